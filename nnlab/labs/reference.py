"""nnlab's own modules, bound to the documents' role names: the corrected reference lab.

Where nnlab keeps the documents' behaviour available behind an option
(``constant_as_buffer=``, ``combine=``), the reference binds the corrected one.
"""

from functools import partial
from types import SimpleNamespace

from nnlab import blocks, layers, parameters
from nnlab.checks.lab import Lab

REFERENCE = Lab(
    "nnlab",
    blocks=SimpleNamespace(
        MLP=blocks.MLP,
        MySequential=blocks.MySequential,
        FixedHiddenMLP=partial(blocks.FixedHiddenMLP, constant_as_buffer=True),
        NestMLP=blocks.NestMLP,
        chimera=partial(blocks.chimera, constant_as_buffer=True),
        ParallelBlock=blocks.ParallelBlock,
    ),
    parameters=SimpleNamespace(
        block1=parameters.block1,
        block2=parameters.block2,
        init_normal=parameters.init_normal,
        init_constant=parameters.init_constant,
        xavier=parameters.init_xavier,
        init_42=parameters.init_42,
        my_init=parameters.init_inverse_numel,
    ),
    layers=SimpleNamespace(
        CenteredLayer=layers.CenteredLayer,
        MyLinear=layers.MyLinear,
        ParameterizedTensorDot=layers.TensorDot,
    ),
    fileio=SimpleNamespace(),
    chapter=SimpleNamespace(),
)
