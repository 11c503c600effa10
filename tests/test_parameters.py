"""Report section 2, parameter management: nnlab's own extras (nnlab.checks.parameters checks claims P1 to P7)."""

import pytest
from torch import nn

from nnlab import count_parameters, tied_net
from nnlab.parameters import rgnet


@pytest.mark.claim("P2")
def test_count_parameters_of_rgnet_follows_from_layer_sizes():
    block1 = (4 * 8 + 8) + (8 * 4 + 4)
    assert count_parameters(rgnet()) == 4 * block1 + (4 * 1 + 1) == 309


@pytest.mark.claim("P2")
def test_count_parameters_trainable_only_leaves_out_frozen_ones():
    net = rgnet()
    net[1].weight.requires_grad_(False)
    assert count_parameters(net, trainable_only=True) == 309 - 4
    assert count_parameters(net) == 309


@pytest.mark.claim("P5")
def test_tied_net_shares_the_layer_it_is_given_and_refuses_other_shapes():
    shared = nn.Linear(8, 8)
    net = tied_net(shared)
    assert net[2] is shared and net[4] is shared
    assert [type(m) for m in net] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    with pytest.raises(ValueError, match=r"^tied_net needs a Linear\(8, 8\) to share, got Linear\(in_features=8"):
        tied_net(nn.Linear(8, 4))


@pytest.mark.claim("P5")
def test_count_parameters_counts_a_tied_parameter_once():
    assert count_parameters(tied_net()) == (4 * 8 + 8) + (8 * 8 + 8) + (8 + 1)
