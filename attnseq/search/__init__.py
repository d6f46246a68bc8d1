"""Decoding: turning a trained model's next-word distributions into outputs.

Search talks to any model through three calls (``encode``, ``init_state``,
``step``) and returns, with every output, the attention of the hypothesis it
chose, so what is shown is what the model actually looked at.
"""

from attnseq.search.beam import beam_search
from attnseq.search.greedy import greedy_search
from attnseq.search.hypothesis import Hypothesis
from attnseq.search.sampling import Sampling, sample_search

__all__ = ["Hypothesis", "Sampling", "beam_search", "greedy_search", "sample_search"]
