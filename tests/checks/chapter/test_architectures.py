"""The checks of T14, T15 (tutorial 3.8) catch the wrong code they are for and pass correct code in other styles."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from nnlab.checks import all_checks, run_check
from nnlab.checks.chapter import architectures as checks_architectures
from nnlab.labs import CHAPTER, REFERENCE
from nnlab.tutorial import architectures
from tests.checks.helpers import another_style_failures, result, results_of, variant, wrong_results

# ---------------------------------------------------------------- T14: MultiClassifier


def classifier_of(order):
    class Classifier(nn.Module):
        def __init__(self, input_size, hidden_sizes, num_classes, dropout_rate=0.2):
            super().__init__()
            layers, previous = [], input_size
            for hidden in hidden_sizes:
                layers += order(previous, hidden, dropout_rate)
                previous = hidden
            self.network = nn.Sequential(*layers, nn.Linear(previous, num_classes))

        def forward(self, x):
            return self.network(x)

    return Classifier


ReluBeforeBatchNorm = classifier_of(lambda n, h, p: [nn.Linear(n, h), nn.ReLU(), nn.BatchNorm1d(h), nn.Dropout(p)])
NoBatchNorm = classifier_of(lambda n, h, p: [nn.Linear(n, h), nn.ReLU(), nn.Dropout(p)])
NoDropout = classifier_of(lambda n, h, p: [nn.Linear(n, h), nn.BatchNorm1d(h), nn.ReLU()])


# ---------------------------------------------------------------- T15: ResidualBlock and the residual MLP


class BlockWithoutSkip(architectures.ResidualBlock):
    def forward(self, x):
        return F.relu(self.branch(x))


class BlockReluBeforeAdding(architectures.ResidualBlock):
    def forward(self, x):
        return F.relu(self.branch(x)) + x


class BlockWithoutLastRelu(architectures.ResidualBlock):
    def forward(self, x):
        return self.branch(x) + x


class BlockWithoutInnerRelu(architectures.ResidualBlock):
    def forward(self, x):
        return F.relu(x + self.bn2(self.fc2(self.bn1(self.fc1(x)))))


class BlockWithNormsBeforeTheLinears(architectures.ResidualBlock):
    def forward(self, x):
        return F.relu(x + self.fc2(self.bn2(F.relu(self.fc1(self.bn1(x))))))


@pytest.mark.parametrize("block", [BlockWithoutInnerRelu, BlockWithNormsBeforeTheLinears])
def test_a_branch_without_its_inner_relu_or_with_misplaced_norms_fails_the_eval_mode_check(block):
    lab = variant("chapter", ResidualBlock=block)
    assert result(lab, "T15", "residual_block_in_eval_mode_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1") == "fail"
    assert result(lab, "T15", "residual_block_adds_its_input_back_before_the_last_relu") == "pass"


class RawResidualBlock(nn.Module):
    """Correct, in another style: raw weights stored (in, out), batch norm written out with its own buffers."""

    def __init__(self, hidden_size, dropout_rate=0.1):
        super().__init__()
        h = hidden_size
        self.beta2, self.gamma2, self.beta1, self.gamma1 = (nn.Parameter(torch.full((h,), v)) for v in (0.0, 1.0) * 2)
        self.w2, self.b2 = nn.Parameter(torch.randn(h, h) / h**0.5), nn.Parameter(torch.zeros(h))
        self.w1, self.b1 = nn.Parameter(torch.randn(h, h) / h**0.5), nn.Parameter(torch.zeros(h))
        for i in (2, 1):
            self.register_buffer(f"var{i}", torch.ones(h))
            self.register_buffer(f"mean{i}", torch.zeros(h))
        self.p = dropout_rate

    def norm(self, z, i):
        mean, var = getattr(self, f"mean{i}"), getattr(self, f"var{i}")
        if self.training:
            with torch.no_grad():
                mean.lerp_(z.mean(0), 0.1)
                var.lerp_(z.var(0), 0.1)
            mean, var = z.mean(0), z.var(0, correction=0)
        return getattr(self, f"gamma{i}") * (z - mean) / torch.sqrt(var + 1e-5) + getattr(self, f"beta{i}")

    def forward(self, x):
        inner = F.dropout(torch.relu(self.norm(x @ self.w1 + self.b1, 1)), self.p, self.training)
        return torch.relu(x + self.norm(inner @ self.w2 + self.b2, 2))


def test_a_raw_residual_block_with_its_own_batch_norm_passes_every_residual_block_check():
    lab = REFERENCE.replace("another style", chapter={"ResidualBlock": RawResidualBlock})
    checks = [c for c in all_checks() if c.claim == "T15" and c.name.startswith(("residual_block_", "residualblock_"))]
    assert {c.id: run_check(c, lab).result for c in checks} == {c.id: "pass" for c in checks}


class ResNetWithoutBatchNorm(nn.Module):
    def __init__(self, input_size, hidden_size, num_blocks, num_classes):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(input_size, hidden_size),
            *[nn.Linear(hidden_size, hidden_size) for _ in range(2 * num_blocks)],
            nn.Linear(hidden_size, num_classes),
        )

    def forward(self, x):
        return self.layers(x)


# ---------------------------------------------------------------- each wrong variant above fails its checks

# (claim, the roles swapped in, {check: result} for the checks named), the id naming what is wrong
WRONG_VARIANTS = [
    pytest.param(
        "T14",
        {"MultiClassifier": ReluBeforeBatchNorm},
        {"classifier_batchnorm_follows_the_first_linear_layer": "fail"},
        id="T14 relu before batchnorm",
    ),
    pytest.param(
        "T14",
        {"MultiClassifier": NoBatchNorm},
        {"classifier_has_linear_and_batchnorm_parameters_per_hidden_size": "fail"},
        id="T14 classifier without batchnorm",
    ),
    pytest.param(
        "T14",
        {"MultiClassifier": NoDropout},
        {"classifier_dropout_closes_the_last_hidden_block": "fail"},
        id="T14 classifier without dropout",
    ),
    pytest.param(
        "T15",
        {"ResidualBlock": BlockWithoutSkip},
        {"residual_block_adds_its_input_back_before_the_last_relu": "fail"},
        id="T15 block without the skip",
    ),
    pytest.param(
        "T15",
        {"ResidualBlock": BlockReluBeforeAdding},
        {"residual_block_adds_its_input_back_before_the_last_relu": "fail"},
        id="T15 block applying relu before adding",
    ),
    pytest.param(
        "T15",
        {"ResidualBlock": BlockWithoutLastRelu},
        {"residual_block_adds_its_input_back_before_the_last_relu": "fail"},
        id="T15 block without the last relu",
    ),
    pytest.param(
        "T15",
        {"ResNet": ResNetWithoutBatchNorm},
        {"residual_mlp_parameter_count_follows_from_its_sizes": "fail"},
        id="T15 residual mlp missing its batchnorms",
    ),
]


@pytest.mark.parametrize(("claim", "roles", "expected"), WRONG_VARIANTS)
def test_the_checks_of_the_properties_a_wrong_variant_breaks_fail(claim, roles, expected):
    assert wrong_results(claim, roles, expected) == expected


# ---------------------------------------------------------------- correct, in another style


class HandResidualBlock(nn.Module):
    def __init__(self, hidden_size, dropout_rate=0.1):
        super().__init__()
        self.layers = nn.ModuleList(
            [
                nn.Linear(hidden_size, hidden_size),
                nn.BatchNorm1d(hidden_size),
                nn.Linear(hidden_size, hidden_size),
                nn.BatchNorm1d(hidden_size),
            ]
        )
        self.p = dropout_rate

    def forward(self, x):
        fc1, bn1, fc2, bn2 = self.layers
        inner = F.dropout(torch.relu(bn1(fc1(x))), self.p, self.training)
        return torch.relu(x + bn2(fc2(inner)))


# Correct roles in styles that neither nnlab's reference nor examples/correct_lab (which the suite runs
# through every check) uses; each runs through only the checks of its own role.
ANOTHER_STYLE = {
    "ResidualBlock": (HandResidualBlock, ("residual_block_", "residualblock_")),
}


@pytest.mark.parametrize("role", ANOTHER_STYLE)
def test_a_correct_role_in_another_style_passes_every_check_of_its_role(role):
    assert not another_style_failures(role, *ANOTHER_STYLE[role])


# ---------------------------------------------------------------- T15: the eval-mode reference and its probes


@settings(max_examples=20, deadline=None)
@given(h=st.integers(1, 6), b=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_the_residual_reference_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1_with_running_statistics(h, b, seed):
    torch.manual_seed(seed)
    fc1, fc2 = nn.Linear(h, h).double(), nn.Linear(h, h).double()
    bn1, bn2 = nn.BatchNorm1d(h).double().eval(), nn.BatchNorm1d(h).double().eval()
    with torch.no_grad():
        for bn in (bn1, bn2):
            bn.weight.normal_()
            bn.bias.normal_()
            bn.running_mean.normal_()
            bn.running_var.uniform_(1e-4, 3.0)  # small variances make eps matter
    x = torch.randn(b, h, dtype=torch.float64)
    vectors = [fc1.bias, bn1.weight, bn1.bias, fc2.bias, bn2.weight, bn2.bias]
    stats = [bn1.running_mean, bn1.running_var, bn2.running_mean, bn2.running_var]
    with torch.no_grad():
        expected = torch.relu(x + bn2(fc2(torch.relu(bn1(fc1(x))))))
        got = checks_architectures.residual_branch_reference(x, fc1.weight, fc2.weight, vectors, stats)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_the_h_vectors_set_on_the_block_are_distinct_of_magnitude_half_to_three_halves_and_the_same_each_call():
    shared, own = checks_architectures.vector_values(6)
    values = torch.stack([shared, *own])
    assert values.shape == (7, checks_architectures.BLOCK_H)
    assert ((values.abs() >= 0.5) & (values.abs() <= 1.5)).all()
    assert (values > 0).any() and (values < 0).any()
    assert len({tuple(v.tolist()) for v in values}) == 7  # a role's value tells which role it is
    again_shared, again_own = checks_architectures.vector_values(6)
    assert torch.equal(torch.stack([again_shared, *again_own]), values)


def test_the_statistics_batches_move_the_running_statistics_off_zero_and_one():
    batches = checks_architectures.statistics_batches()
    assert [tuple(batch.shape) for batch in batches] == [(16, checks_architectures.BLOCK_H)] * 3
    means = [batch.mean().item() for batch in batches]
    assert [round(m) for m in means] == [3, -1, 2]
    assert all(batch.std().item() > 1 for batch in batches)


def test_the_closest_assignment_is_the_candidate_that_gives_the_target():
    torch.manual_seed(0)
    h = 3
    x = torch.randn(4, h, dtype=torch.float64)

    def candidate(scale):
        vectors = [torch.full((h,), scale, dtype=torch.float64)] * 6
        stats = [torch.zeros(h, dtype=torch.float64), torch.ones(h, dtype=torch.float64)] * 2
        return torch.eye(h, dtype=torch.float64) * scale, torch.eye(h, dtype=torch.float64), vectors, stats

    candidates = [candidate(s) for s in (0.5, 1.0, 2.0, 3.0)]
    target = checks_architectures.residual_branch_reference(x, *candidates[2])
    gap, chosen = checks_architectures.closest_assignment(target + 1e-3, x, candidates)
    assert chosen is candidates[2]
    assert gap == pytest.approx(1e-3, abs=1e-12)


@pytest.mark.parametrize("claim", ["T14", "T15"])
def test_the_chapters_code_passes_every_check_of_its_claim(claim):
    assert set(results_of(CHAPTER, claim).values()) == {"pass"}
