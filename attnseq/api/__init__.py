"""The task layer: what the command line, the server and user code call.

One front end per task, each loading a run folder and returning results that
carry their attention:

* :mod:`attnseq.api.translator`: ``load(run).translate(...)`` (also chat runs' engine)
* :mod:`attnseq.api.chatbot`: ``Chatbot.load(run).reply(history)``
* :mod:`attnseq.api.captioner`: ``Captioner.load(run).caption(images)``
* :mod:`attnseq.api.aligner`: ``Aligner.load(run).align(src, tgt)``, word links
* :mod:`attnseq.api.unk_replace`: unknown-word replacement through attention

Building a model from a run folder is :mod:`attnseq.runs`, beneath all of them.
"""
