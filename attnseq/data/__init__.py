"""Data sets: a pinned registry, verified downloads, readers and corpus splits."""
