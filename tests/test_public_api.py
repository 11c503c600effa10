"""What a student can import from ``nnlab`` itself, under the names the lab uses."""

import nnlab

LAB_NAMES = [
    "MLP",
    "MySequential",
    "FixedHiddenMLP",
    "NestMLP",
    "ParallelBlock",
    "CenteredLayer",
    "MyLinear",
    "TensorDot",
]
TUTORIAL_NAMES = ["CustomLinear", "SimpleAttention", "StatefulLayer", "MultiClassifier", "ResidualBlock"]
HELPERS = ["ListSequential", "init_normal", "init_xavier", "init_textbook", "tied_net", "count_parameters", "freeze"]
FILE_IO = ["save_state_dict", "load_state_dict", "save_checkpoint", "load_checkpoint", "load_module", "load_matching"]


def test_the_lab_and_tutorial_names_are_public():
    for name in LAB_NAMES + TUTORIAL_NAMES + HELPERS + FILE_IO:
        assert name in nnlab.__all__, name
        assert getattr(nnlab, name).__name__ == name


def test_every_public_name_resolves():
    missing = [name for name in nnlab.__all__ if not hasattr(nnlab, name)]
    assert missing == []
