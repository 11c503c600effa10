"""Every registered check fails at least one wrong lab of the suite: no check passes whatever it is given.

The wrong labs, and the checks each must fail, are ``wrong_labs.WRONG_LABS``; only those pairs run. That the reference
lab passes every check is ``tests/test_claims.py``'s ``test_check`` (its ``nnlab-`` cases), not repeated here.
"""

import re

import pytest

from nnlab.checks import all_checks, run_check
from tests.checks.wrong_labs import WRONG_LABS

# {check id: why no wrong lab fails it}, for a check whose property no implementation of its roles can lack
EXEMPT: dict[str, str] = {}

# {(wrong lab, check id): what the failure's detail says}: the assert's own words, as written (not run into a longer
# word at either end, the case kept), and the labels of hypothesis's draws in its counterexample
SAYS: dict[tuple[str, str], tuple[str, ...]] = {
    ("T3 dropout ignoring eval", "T3:custom_module_eval_turns_dropout_off_and_train_back_on"): (
        "in eval mode the same input gave two outputs: dropout is still on",
    ),
    ("T4 counting frozen parameters", "T4:count_parameters_counts_trainable_scalars_once_each"): ("(trainable)",),
    ("T4 counting a tied parameter twice", "T4:count_parameters_counts_trainable_scalars_once_each"): ("(trainable)",),
    ("T4 freezing only the weights", "T4:freeze_layer_touches_only_that_layer"): ("(layer)",),
    ("T4 freezing only the weights", "T4:freeze_model_freezes_everything_and_unfreeze_model_restores_everything"): (
        "freeze_model left a parameter requiring grad",
    ),
    ("T4 unfreezing only the top level", "T4:freeze_model_freezes_everything_and_unfreeze_model_restores_everything"): (
        "unfreeze_model left a parameter frozen",
    ),
    ("T9 hook changing the output", "T9:hook_demo_computes_its_three_layers_unchanged_by_the_hooks"): (
        "with ReLUs between computes the model's output",
    ),
    ("T10 linear reshaping instead of transposing", "T10:custom_linear_computes_x_times_weight_transposed_plus_bias"): (
        "read either way round",
    ),
    (
        "T10 linear reshaping instead of transposing",
        "T10:custom_linear_without_bias_has_only_a_weight_and_computes_x_times_weight_transposed",
    ): ("read either way round",),
    ("T12 state kept in the graph", "T12:stateful_layer_state_is_detached_from_the_graph"): (
        "backward through the second call reached the first call's input",
        "(x1)",
        "(x2)",
    ),
    ("T12 state forgotten at each call", "T12:stateful_layer_output_depends_on_the_previous_input"): (
        "the second output does not depend on the first input",
        "(x1)",
        "(x2)",
    ),
    ("T12 reset that keeps the state", "T12:stateful_layer_reset_restores_the_first_call"): ("(x)", "(other)"),
    ("T13 demo keeping the default weights", "T13:demo_weights_follow_their_schemes_distributions"): (
        "layer 1, Xavier uniform (fan_in 10, fan_out 20)",
    ),
    ("T15 block without the skip", "T15:residual_block_adds_its_input_back_before_the_last_relu"): ("(vector)", "(x)"),
    ("T15 block applying relu before adding", "T15:residual_block_adds_its_input_back_before_the_last_relu"): (
        "(vector)",
        "(x)",
    ),
    ("T15 block without the last relu", "T15:residual_block_adds_its_input_back_before_the_last_relu"): (
        "(vector)",
        "(x)",
    ),
    ("examples/python_list_sequential", "L3:my_sequential_registers_its_children"): (".to() left a child behind",),
    ("ParallelBlock holding its nets in a tuple", "L7:parallel_block_trains_both_nets"): ("nets: register them",),
    ("init_normal too wide", "P3:init_normal_draws_weights_from_normal_0_001_and_zeroes_biases"): (
        "init_normal's weights against N(0, 0.01²)",
    ),
    ("init_constant undone by its container", "P4:init_constant_applied_to_rgnet_reaches_every_nested_linear"): (
        "each of them alone",
    ),
    ("tied_net untied", "P6:tied_net_uses_stay_identical_while_it_trains"): ("the positions are not tied",),
    (
        "tied_net's second use copied from the shared layer at each forward",
        "P6:tied_net_uses_stay_identical_while_it_trains",
    ): ("the positions are not tied",),
    ("load_params loading nothing", "F1:saved_params_reproduce_any_linear_network_exactly"): (
        "a linear network reloaded from its saved parameters",
    ),
    ("save_params saving the parameters only", "F1:saved_params_keep_the_running_statistics"): (
        "an MLP with batch norm reloaded from its saved parameters",
    ),
    ("load_checkpoint restoring the model only", "F3:a_checkpoint_gives_back_its_epoch_and_loss"): (
        "the optimizer's momenta were not restored",
    ),
    ("reuse_layers reporting nothing missing", "F4:reusing_layers_reports_every_key_not_loaded_as_missing"): (
        "missing keys",
    ),
    ("classifier MLP always ReLU", "M1:classifier_mlp_applies_the_activation_it_is_given_after_each_hidden_layer"): (
        "ReLU, Sigmoid and Tanh",
    ),
    ("classifier MLP dropping the input", "M1:classifier_mlp_drops_out_after_each_hidden_activation_only"): (
        "they can only be 0 or 4",
    ),
    ("stateful layer resetting in place", "T12:stateful_layer_takes_a_new_batch_size_after_a_reset"): (
        "Call reset_state() before changing the batch size.",
        "(x1)",
        "(x2)",
    ),
    ("custom_init of the identity", "T13:custom_init_draws_a_new_orthogonal_matrix_each_time"): (
        "the same matrix twice: orthogonal, but not drawn",
    ),
    ("histograms shown and closed", "T20:weight_histograms_can_be_written_to_an_image_file"): (
        "visualize_weights drew no figure",
    ),
}

CHECKS = {c.id: c for c in all_checks()}
DECLARED = {check_id for wrong in WRONG_LABS for check_id in wrong.fails}


def test_every_registered_check_is_the_target_of_a_wrong_lab_or_exempt_with_a_reason():
    uncaught = sorted(set(CHECKS) - DECLARED - set(EXEMPT))
    assert not uncaught, f"no wrong lab is declared to fail {uncaught}: add one to wrong_labs.py"
    unexplained = [check_id for check_id, reason in EXEMPT.items() if not reason.strip()]
    assert not unexplained, f"exempt without a reason: {unexplained}"


def test_the_table_and_the_exemptions_name_only_registered_checks_and_exempt_none_a_wrong_lab_fails():
    unknown = sorted((DECLARED | set(EXEMPT)) - set(CHECKS))
    assert not unknown, f"no check is registered as {unknown}"
    needless = sorted(DECLARED & set(EXEMPT))
    assert not needless, f"exempt, yet a wrong lab is declared to fail them: {needless}"


def test_each_wrong_lab_has_a_name_of_its_own_and_a_check_to_fail():
    names = [wrong.name for wrong in WRONG_LABS]
    assert sorted({name for name in names if names.count(name) > 1}) == []
    assert [wrong.name for wrong in WRONG_LABS if not wrong.fails] == []


def test_the_details_pinned_are_those_of_declared_pairs():
    declared = {(wrong.name, check_id) for wrong in WRONG_LABS for check_id in wrong.fails}
    assert sorted(set(SAYS) - declared) == []


PAIRS = [
    pytest.param(wrong.lab, check_id, SAYS.get((wrong.name, check_id), ()), id=f"{wrong.name} fails {check_id}")
    for wrong in WRONG_LABS
    for check_id in wrong.fails
    if check_id in CHECKS  # an unknown id fails the test above instead
]


@pytest.mark.parametrize(("lab", "check_id", "says"), PAIRS)
def test_a_wrong_lab_fails_each_check_it_is_declared_to_fail(lab, check_id, says):
    outcome = run_check(CHECKS[check_id], lab)
    assert outcome.result == "fail", f"{outcome.result}: {outcome.detail}"
    unsaid = [words for words in says if not re.search(rf"(?<!\w){re.escape(words)}(?!\w)", outcome.detail)]
    assert not unsaid, f"the detail does not say {unsaid}: {outcome.detail}"
