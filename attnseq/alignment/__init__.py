"""Word alignments: links and their files, links read off attention, and AER.

* :mod:`attnseq.alignment.files`: links, Pharaoh and gold files (sure and possible)
* :mod:`attnseq.alignment.extract`: from attention rows over pieces to word links, symmetrization
* :mod:`attnseq.alignment.aer`: precision, recall and alignment error rate against gold

Models, search and the task layer's :mod:`attnseq.api.aligner` build on these;
nothing here imports a model.
"""
