"""Serve trained run folders over HTTP, with a web page that shows the attention.

``attnseq serve runs/fr-en`` starts it; :func:`attnseq.serving.app.create_app`
builds the FastAPI application for tests and embedding.
"""
