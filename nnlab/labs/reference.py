"""nnlab's own modules, bound to the documents' role names: the corrected reference lab.

Where nnlab keeps the documents' behaviour available behind an option
(``constant_as_buffer=``, ``combine=``), the reference binds the corrected one.
"""

from functools import partial
from types import SimpleNamespace

from torch import nn

from nnlab import blocks, fileio, layers, parameters
from nnlab.checks.lab import Lab
from nnlab.classifier import ACTIVATIONS, FashionMLP
from nnlab.tutorial import (  # the chapter, T1 to T20
    architectures,
    custom_layers,
    debugging,
    efficiency,
    hooks,
    initialisation,
)
from nnlab.tutorial import modules as tutorial_modules


def report_mlp(activation: nn.Module = nn.ReLU(), dropout_rate: float = 0.0) -> FashionMLP:  # noqa: B008
    """Section 5's ``MLP(activation=nn.ReLU(), dropout_rate=0.0)``: nnlab's ``FashionMLP``, naming its activation."""
    names = {kind: name for name, kind in ACTIVATIONS.items()}
    return FashionMLP(activation=names[type(activation)], dropout=dropout_rate)


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
        textbook_init=parameters.init_textbook,
        tied_net=parameters.tied_net,
    ),
    layers=SimpleNamespace(
        CenteredLayer=layers.CenteredLayer,
        MyLinear=layers.MyLinear,
        ParameterizedTensorDot=layers.TensorDot,
    ),
    classifier=SimpleNamespace(MLP=report_mlp),
    fileio=SimpleNamespace(
        save_params=fileio.save_state_dict,
        load_params=fileio.load_state_dict,
        save_model=fileio.save_module,
        load_model=partial(fileio.load_module, trusted=True),
        save_checkpoint=fileio.save_checkpoint,
        load_checkpoint=fileio.load_checkpoint,
        OriginalNetwork=fileio.OriginalNetwork,
        NewNetwork=fileio.NewNetwork,
        reuse_layers=fileio.load_matching,
        freeze=parameters.freeze,
        unfreeze=parameters.unfreeze,
    ),
    chapter=SimpleNamespace(
        # chapter, T1 to T10
        Perceptron=tutorial_modules.Perceptron,
        CustomModule=tutorial_modules.CustomModule,
        count_parameters=partial(parameters.count_parameters, trainable_only=True),
        freeze_model=parameters.freeze,
        unfreeze_model=parameters.unfreeze,
        freeze_layer=parameters.freeze,
        HookDemo=hooks.HookModel,
        CustomLinear=custom_layers.CustomLinear,
        # chapter, T11 to T20
        SimpleAttention=custom_layers.SimpleAttention,
        StatefulLayer=custom_layers.StatefulLayer,
        InitializationDemo=initialisation.InitializationDemo,
        custom_init=initialisation.orthogonal_init,
        MultiClassifier=architectures.MultiClassifier,
        ResidualBlock=architectures.ResidualBlock,
        ResNet=architectures.ResidualMLP,
        MemoryEfficientModel=efficiency.SharedLayerModel,
        CheckpointModel=efficiency.CheckpointModel,
        OptimizedModel=efficiency.OptimizedModel,
        DebugModel=debugging.DebugModel,
        visualize_weights=debugging.weight_histograms,
    ),
)
