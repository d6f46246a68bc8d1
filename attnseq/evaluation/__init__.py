"""Scoring outputs against references."""
