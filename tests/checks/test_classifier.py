"""The checks of report section 5's model (claim M1) catch misplaced dropout and pass correct models in other styles."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from nnlab.checks import all_checks, run_check
from nnlab.labs import LABS, REFERENCE

DROPOUT_PLACEMENT = "classifier_mlp_drops_out_after_each_hidden_activation_only"


def result(lab, name: str) -> str:
    (found,) = [c for c in all_checks() if c.claim == "M1" and c.name == name]
    return run_check(found, lab).result


def m1_results(lab) -> dict[str, str]:
    return {c.id: run_check(c, lab).result for c in all_checks() if c.claim == "M1"}


class SequentialMLP(nn.Module):
    """The report's signature; ``where`` decides where the dropout layers go."""

    def __init__(self, activation=nn.ReLU(), dropout_rate=0.0, where="hidden"):  # noqa: B008
        super().__init__()
        drop = nn.Dropout(dropout_rate)
        layers = {
            "hidden": [nn.Linear(784, 256), activation, drop, nn.Linear(256, 128), activation, drop],
            "first hidden": [nn.Linear(784, 256), activation, drop, nn.Linear(256, 128), activation],
            "input": [drop, nn.Linear(784, 256), activation, nn.Linear(256, 128), activation],
            "input and hidden": [drop, nn.Linear(784, 256), activation, drop, nn.Linear(256, 128), activation, drop],
            "logits": [nn.Linear(784, 256), activation, drop, nn.Linear(256, 128), activation],
        }[where]
        self.net = nn.Sequential(nn.Flatten(), *layers, nn.Linear(128, 10))
        self.drop_logits = nn.Dropout(dropout_rate) if where == "logits" else nn.Identity()

    def forward(self, x):
        return self.drop_logits(self.net(x))


def placed(where: str):
    def MLP(activation=nn.ReLU(), dropout_rate=0.0):  # noqa: B008, N802  (the report's name and signature)
        return SequentialMLP(activation, dropout_rate, where)

    return MLP


class RawMLP(nn.Module):
    """Correct, in another style: raw weights stored (in, out), ``F.dropout`` after each hidden activation."""

    def __init__(self, activation=nn.ReLU(), dropout_rate=0.0):  # noqa: B008
        super().__init__()
        self.act, self.p = activation, dropout_rate
        self.ws = nn.ParameterList([nn.Parameter(torch.randn(n, m) / n**0.5) for n, m in ((784, 256), (256, 128))])
        self.bs = nn.ParameterList([nn.Parameter(torch.zeros(m)) for m in (256, 128)])
        self.out_w, self.out_b = nn.Parameter(torch.randn(128, 10) / 128**0.5), nn.Parameter(torch.zeros(10))

    def forward(self, x):
        x = x.reshape(len(x), -1)
        for w, b in zip(self.ws, self.bs):
            x = F.dropout(self.act(x @ w + b), self.p, self.training)
        return x @ self.out_w + self.out_b


@pytest.mark.parametrize("where", ["first hidden", "input", "input and hidden", "logits"])
def test_dropout_anywhere_but_after_each_hidden_activation_fails_the_placement_check(where):
    lab = REFERENCE.replace("wrong", classifier={"MLP": placed(where)})
    assert result(lab, DROPOUT_PLACEMENT) == "fail"


@pytest.mark.parametrize("mlp", [placed("hidden"), RawMLP], ids=["sequential", "raw (in, out) weights"])
def test_a_correct_mlp_in_another_style_passes_every_m1_check(mlp):
    lab = REFERENCE.replace("another style", classifier={"MLP": mlp})
    assert m1_results(lab) == {c.id: "pass" for c in all_checks() if c.claim == "M1"}


@pytest.mark.parametrize("name", list(LABS))
def test_the_reference_and_the_documents_models_pass_the_placement_check(name):
    assert result(LABS[name], DROPOUT_PLACEMENT) == "pass"
