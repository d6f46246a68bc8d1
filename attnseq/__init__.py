"""attnseq: attention-based sequence-to-sequence learning with attention you can see."""

__version__ = "0.1.0"


def load(run_dir, device: str = "cpu"):
    """Load a trained run folder; ``load(d).translate([...])`` returns text and attention."""
    from attnseq.api.translator import load as _load

    return _load(run_dir, device=device)


__all__ = ["__version__", "load"]
