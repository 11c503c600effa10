"""The lab report's code, as nnlab reproduces its documented behaviour.

The reference with the roles swapped where the report's code does otherwise:

- section 1: ``FixedHiddenMLP`` keeps ``rand_weight`` as a plain tensor
  attribute, which ``state_dict()`` leaves out and ``.to()`` does not move;
  ``ParallelBlock`` returns the *sum* of its two nets' outputs, which the
  report calls concatenation.
"""

from functools import partial

from nnlab import blocks
from nnlab.labs.reference import REFERENCE

REPORT = REFERENCE.replace(
    "report",
    blocks={
        "FixedHiddenMLP": partial(blocks.FixedHiddenMLP, constant_as_buffer=False),
        "chimera": partial(blocks.chimera, constant_as_buffer=False),
        "ParallelBlock": partial(blocks.ParallelBlock, combine="sum"),
    },
)
