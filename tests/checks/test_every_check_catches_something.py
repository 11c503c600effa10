"""Every registered check fails at least one wrong lab of the suite: no check passes whatever it is given.

The wrong labs, and the checks each must fail, are ``wrong_labs.WRONG_LABS``; only those pairs run. That the reference
lab passes every check is ``tests/test_claims.py``'s ``test_check`` (its ``nnlab-`` cases), not repeated here.
"""

import re

import pytest

from nnlab.checks import all_checks, run_check
from tests.checks.wrong_labs import T2_BUFFER, T3_MODES, WRONG_LABS

# {check id: why no wrong lab fails it}, for a check whose property no implementation of its roles can lack
EXEMPT: dict[str, str] = {}

T15_EVAL = "residual_block_in_eval_mode_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1"
# {(wrong lab, check id): what the failure's detail says}: the assert's own words, as written (not run into a longer
# word at either end, the case kept), and the labels of hypothesis's draws in its counterexample
SAYS: dict[tuple[str, str], tuple[str, ...]] = {
    ("residual block without affine norms", f"T15:{T15_EVAL}"): ("not 2 Linear biases and 2 BatchNorm affines",),
    ("residual block with a projected skip", "T15:residual_block_adds_its_input_back_before_the_last_relu"): (
        "not the branch's two Linear weights",
    ),
    ("residual block with a projected skip", f"T15:{T15_EVAL}"): ("not the branch's two Linear weights",),
    ("residual block without running statistics", f"T15:{T15_EVAL}"): (
        "float buffers of shape",
        "not 2 BatchNorm running means and variances",
    ),
    ("save_model in half precision", "F2:whole_module_loads_back_and_reproduces_the_outputs"): (
        "outputs differ from the saved network's by up to",
    ),
    ("load_model giving back the module in memory", "F2:whole_module_loads_back_and_reproduces_the_outputs"): (
        "load_model gave back the object in memory, not the one in the file",
    ),
    ("demo with its uniform layer twice as wide", "T13:demo_weights_follow_their_schemes_distributions"): (
        "a U(-0.1, 0.1) weight",
        "outside ±0.1",
    ),
    ("histograms titled by position", "T20:weight_histograms_have_one_panel_per_weight_tensor"): (
        "no panel titled with",
    ),
    ("linear whose repr leaves out the bias", "T10:custom_linear_repr_shows_its_sizes_and_bias"): (
        "bias=True and bias=False print alike:",
    ),
    ("attention dividing by the scores' sum", "T11:attention_weights_are_a_distribution_over_the_sequence"): (
        "negative weights",
    ),
    ("stateful layer detaching its input", "T12:stateful_layer_state_is_detached_from_the_graph"): (
        "backward through the second call did not reach its own input",
    ),
    ("HookDemo recording under layer indices", "T9:hook_demo_records_the_outputs_of_its_first_two_layers"): (
        "activations has keys",
    ),
    ("classifier MLP ignoring dropout_rate", "M1:classifier_mlp_drops_hidden_units_in_training_only"): (
        "two train-mode calls gave the same output: no dropout",
    ),
    ("load_checkpoint giving loss then epoch", "F3:a_checkpoint_gives_back_its_epoch_and_loss"): (
        "load_checkpoint gave",
        "saved (epoch, loss)",
    ),
    ("load_checkpoint restoring the optimizer only", "F3:a_checkpoint_gives_back_its_epoch_and_loss"): (
        "the model was not restored",
    ),
    ("CustomModule with a buffer of ones", f"T2:{T2_BUFFER}"): ("the buffer is", "not 5 zeros"),
    ("CustomModule with a non-persistent buffer", f"T2:{T2_BUFFER}"): ("state_dict() does not hold the buffer",),
    ("CustomModule whose eval() sets only its own flag", f"T3:{T3_MODES}"): (
        "eval() left a submodule in training mode",
    ),
    ("CustomModule whose train() sets only its own flag", f"T3:{T3_MODES}"): ("train() left a submodule in eval mode",),
    ("CustomModule without dropout", f"T3:{T3_MODES}"): (
        "in train mode the same input gave the same output: no dropout",
    ),
    ("MySequential registering each child twice", "L3:my_sequential_registers_its_children"): (
        "state_dict() has",
        "not the Linear's two tensors",
    ),
    ("ParallelBlock detaching its second net", "L7:parallel_block_trains_both_nets"): (
        "no gradient reached the parameters of shapes",
    ),
    (
        "MLP with its hidden layer under no_grad",
        "P7:mlp_parameters_are_reachable_by_attribute_and_name_and_get_gradients_of_their_shape",
    ): ("parameters without a gradient of their own shape",),
    ("init_constant by eye_", "P3:init_constant_sets_weights_to_1_and_biases_to_0"): (
        "init_constant: weights of",
        "are not all 1",
    ),
    ("xavier drawing normal", "P3:xavier_draws_uniform_within_the_fan_bound_of_each_layer"): (
        "xavier on",
        "beyond a =",
    ),
    (
        "textbook_init zeroing none",
        "P3:textbook_init_keeps_uniform_weights_with_magnitude_5_to_10_and_zeroes_the_rest",
    ): ("textbook_init zeroed", "of the weights; P(|U(-10, 10)| < 5) = 0.5"),
    ("tied_net with its shared layer frozen", "P6:tied_net_uses_stay_identical_while_it_trains"): (
        "the shared weight has not moved: the run never trained it",
    ),
    ("ReLU perceptron, 0 at the probes", "T1:perceptron_is_the_sigmoid_of_an_affine_function"): ("saturate",),
    (
        "NewNetwork with conv biases where OriginalNetwork has none",
        "F4:the_exercise_networks_classify_into_10_and_20_classes",
    ): ("layer1 and layer2 differ: OriginalNetwork has",),
    ("T2 buffer kept as a plain tensor", "T2:custom_module_buffer_is_saved_and_moved_but_not_trained"): (
        "CustomModule has",
    ),
    ("T2 parameter kept as a plain tensor", "T2:custom_module_registers_its_bare_parameter"): ("CustomModule has",),
    ("T3 dropout ignoring eval", "T3:custom_module_eval_turns_dropout_off_and_train_back_on"): (
        "in eval mode the same input gave two outputs: dropout is still on",
    ),
    ("T4 counting frozen parameters", "T4:count_parameters_counts_trainable_scalars_once_each"): (
        "count_parameters gave",
    ),
    ("T4 counting a tied parameter twice", "T4:count_parameters_counts_trainable_scalars_once_each"): (
        "count_parameters gave",
    ),
    ("T4 freezing only the weights", "T4:freeze_layer_touches_only_that_layer"): (
        "after freeze_layer, the parameters of shapes",
    ),
    ("T4 freezing only the weights", "T4:freeze_model_freezes_everything_and_unfreeze_model_restores_everything"): (
        "freeze_model left a parameter requiring grad",
    ),
    ("T4 unfreezing only the top level", "T4:freeze_model_freezes_everything_and_unfreeze_model_restores_everything"): (
        "unfreeze_model left a parameter frozen",
    ),
    ("T9 hook changing the output", "T9:hook_demo_computes_its_three_layers_unchanged_by_the_hooks"): (
        "no arrangement of the parameters as Linear",
        "with ReLUs between computes the model's output",
    ),
    ("T10 linear forgetting its bias", "T10:custom_linear_computes_x_times_weight_transposed_plus_bias"): ("not x W",),
    ("T10 linear reshaping instead of transposing", "T10:custom_linear_computes_x_times_weight_transposed_plus_bias"): (
        "the matrix the layer applies is not its weight parameter of shape",
        "read either way round",
    ),
    (
        "T10 linear reshaping instead of transposing",
        "T10:custom_linear_without_bias_has_only_a_weight_and_computes_x_times_weight_transposed",
    ): ("the matrix the layer applies is not its weight parameter of shape", "read either way round"),
    ("T10 linear keeping randn weights", "T10:custom_linear_starts_with_the_kaiming_uniform_bounds_of_nn_linear"): (
        "the weight of CustomLinear",
    ),
    ("T10 linear keeping randn weights", "T10:custom_linear_reset_parameters_redraws_from_those_bounds"): (
        "the weight of CustomLinear",
    ),
    (
        "T10 kaiming_uniform_ with its default slope",
        "T10:custom_linear_starts_with_the_kaiming_uniform_bounds_of_nn_linear",
    ): ("the weight of CustomLinear",),
    ("T10 kaiming_uniform_ with its default slope", "T10:custom_linear_reset_parameters_redraws_from_those_bounds"): (
        "the weight of CustomLinear",
    ),
    ("T10 bound taken from out_features", "T10:custom_linear_starts_with_the_kaiming_uniform_bounds_of_nn_linear"): (
        "the weight of CustomLinear",
    ),
    ("T10 bound taken from out_features", "T10:custom_linear_reset_parameters_redraws_from_those_bounds"): (
        "the weight of CustomLinear",
    ),
    ("T12 state kept in the graph", "T12:stateful_layer_state_is_detached_from_the_graph"): (
        "backward through the second call reached the first call's input",
    ),
    ("T12 state forgotten at each call", "T12:stateful_layer_output_depends_on_the_previous_input"): (
        "the second output does not depend on the first input",
    ),
    ("T13 demo drawing xavier normal for uniform", "T13:demo_weights_follow_their_schemes_distributions"): (
        "a Xavier weight",
    ),
    ("T13 demo keeping the default weights", "T13:demo_weights_follow_their_schemes_distributions"): (
        "layer 1, Xavier uniform (fan_in 10, fan_out 20)",
    ),
    ("T17 checkpoint cutting the graph", "T17:checkpointing_gives_the_gradients_of_the_plain_forward"): (
        "no gradient for parameter",
    ),
    ("T17 model not checkpointing", "T17:checkpointing_keeps_fewer_tensors_for_backward"): ("CheckpointModel keeps",),
    ("T19 debug model printing when off", "T19:debug_model_prints_nothing_when_off_and_computes_the_same"): (
        "printed with debug off: 'input: shape",
    ),
    ("T19 debug model printing no shapes", "T19:debug_model_prints_each_stages_shape_and_mean_when_on"): ("no shape",),
    ("T19 debug model printing the std as the mean", "T19:debug_model_prints_each_stages_shape_and_mean_when_on"): (
        "no mean",
    ),
    ("T19 debug model printing transposed shapes", "T19:debug_model_prints_each_stages_shape_and_mean_when_on"): (
        "no shape",
    ),
    ("examples/python_list_sequential", "L3:my_sequential_registers_its_children"): (".to() left a child behind",),
    ("MLP squeezing its output", "L1:mlp_maps_any_batch_to_its_output_width"): ("MLP gave shape",),
    ("MLP of 128 hidden units", "L1:mlp_is_20_256_10_as_the_report_writes_it"): ("the report's MLP is",),
    ("MLP with tanh", "L2:torch_sequential_of_the_same_layers_computes_mlp"): (
        "MLP computes otherwise than its layers",
    ),
    ("MySequential running last to first", "L3:my_sequential_applies_children_in_insertion_order"): ("for x",),
    ("MySequential looping over children()", "L3:my_sequential_applies_a_child_given_twice_twice"): ("for x",),
    ("FixedHiddenMLP without the sum", "L5:fixed_hidden_applies_one_linear_layer_twice_around_its_constant"): (
        "FixedHiddenMLP gave an output of shape",
    ),
    ("FixedHiddenMLP without the sum", "L5:fixed_hidden_output_is_at_most_one_in_magnitude"): (
        "FixedHiddenMLP gave an output of shape",
    ),
    ("FixedHiddenMLP training its constant", "L5:fixed_hidden_trains_only_its_linear_layer"): (
        "820 parameters; one Linear(20, 20) has 420",
    ),
    ("chimera missing two of its parts", "L6:chimera_runs_end_to_end_with_all_its_parts"): (
        "840 parameters; its three parts have 4712",
    ),
    ("NestMLP ending in 20", "L6:nest_mlp_is_20_64_32_16_as_the_report_writes_it"): ("the report's NestMLP is",),
    ("NestMLP without its inner ReLU", "L6:nest_mlp_applies_relu_after_each_of_its_first_two_layers"): (
        "NestMLP computes otherwise than its layers",
    ),
    ("ParallelBlock holding its nets in a tuple", "L7:parallel_block_trains_both_nets"): (
        "ParallelBlock's parameters",
        "nets: register them",
    ),
    ("init_normal too wide", "P3:init_normal_draws_weights_from_normal_0_001_and_zeroes_biases"): (
        "init_normal's weights against N(0, 0.01²)",
    ),
    ("init_constant leaving the bias", "P3:init_constant_sets_weights_to_1_and_biases_to_0"): (
        "init_constant left a nonzero bias in Linear",
    ),
    ("xavier by kaiming_uniform_(a=1)", "P3:xavier_draws_uniform_within_the_fan_bound_of_each_layer"): (
        "xavier's weights of Linear",
    ),
    ("my_init per row", "P3:my_init_fills_weights_with_one_over_their_count_and_zeroes_biases"): ("my_init on Linear",),
    (
        "textbook_init zeroing below 2",
        "P3:textbook_init_keeps_uniform_weights_with_magnitude_5_to_10_and_zeroes_the_rest",
    ): ("textbook_init kept weights outside",),
    (
        "block2 adding one block four times",
        "P2:rgnet_has_18_named_parameters_those_of_four_block1_and_its_last_layer",
    ): ("rgnet has",),
    ("tied_net with four outputs", "P5:tied_net_is_4_8_8_8_1_as_the_report_writes_it"): ("the report's tied_net is",),
    ("init_constant undone by its container", "P4:init_constant_applied_to_rgnet_reaches_every_nested_linear"): (
        "Linear layers",
        "each of them alone",
    ),
    ("tied_net untied", "P5:tied_net_holds_one_shared_square_layer_and_no_more"): ("tied_net has",),
    ("tied_net untied", "P5:tied_net_shared_gradient_is_the_sum_of_both_uses"): (
        "the shared weight's gradient is not the sum of its two uses':",
    ),
    ("tied_net untied", "P6:tied_net_uses_stay_identical_while_it_trains"): ("the positions are not tied",),
    (
        "tied_net's second use copied from the shared layer at each forward",
        "P5:tied_net_holds_one_shared_square_layer_and_no_more",
    ): ("tied_net has",),
    (
        "tied_net's second use copied from the shared layer at each forward",
        "P5:tied_net_shared_gradient_is_the_sum_of_both_uses",
    ): ("the shared weight's gradient is not the sum of its two uses':",),
    (
        "tied_net's second use copied from the shared layer at each forward",
        "P6:tied_net_uses_stay_identical_while_it_trains",
    ): ("the positions are not tied",),
    (
        "MLP with an unregistered output layer",
        "P7:mlp_parameters_are_reachable_by_attribute_and_name_and_get_gradients_of_their_shape",
    ): ("MLP's parameters, of shapes",),
    (
        "MLP whose parameter names lead to other tensors",
        "P7:mlp_parameters_are_reachable_by_attribute_and_name_and_get_gradients_of_their_shape",
    ): ("net.hidden.weight is not the parameter named 'hidden.weight",),
    ("CenteredLayer on the median", "C1:centered_output_has_mean_zero"): ("output mean",),
    ("CenteredLayer on the median", "C1:centered_layer_after_linear_gives_mean_about_zero"): ("output mean",),
    ("CenteredLayer with a learnable shift", "C1:centered_layer_has_no_parameters"): (
        "CenteredLayer has parameters of shapes",
    ),
    ("tensor dot without cross terms", "C3:tensor_dot_equals_the_triple_loop_over_its_weight_with_its_gradients"): (
        "no axis order of the layer's",
    ),
    ("tensor dot in float32", "C3:tensor_dot_passes_gradcheck_in_float64"): (
        "Jacobian mismatch for the input",
        "between backward's and the central differences'",
    ),
    ("load_params loading nothing", "F1:saved_params_reproduce_any_linear_network_exactly"): (
        "a linear network reloaded from its saved parameters: outputs differ from the",
    ),
    ("load_params loading nothing", "F1:saved_params_reproduce_the_exercise_networks"): (
        "a trained OriginalNetwork reloaded into a fresh one: outputs differ from the",
    ),
    ("save_params saving the parameters only", "F1:saved_params_keep_the_running_statistics"): (
        "an MLP with batch norm reloaded from its saved parameters: outputs differ",
    ),
    ("save_model saving the state dict", "F2:whole_module_loads_back_and_reproduces_the_outputs"): (
        "load_model gave a OrderedDict, not a module",
    ),
    ("load_checkpoint restoring the model only", "F3:resuming_from_a_checkpoint_continues_bitwise"): ("resumed after",),
    ("load_checkpoint restoring the model only", "F3:a_checkpoint_gives_back_its_epoch_and_loss"): (
        "the optimizer's momenta were not restored",
    ),
    ("NewNetwork with the original head", "F4:the_exercise_networks_classify_into_10_and_20_classes"): (
        "the networks gave shapes",
    ),
    ("reuse_layers reporting nothing missing", "F4:reusing_layers_reports_every_key_not_loaded_as_missing"): (
        "missing keys",
    ),
    ("freeze zeroing gradients", "F5:frozen_layers_stay_bitwise_while_the_new_layers_train"): ("the frozen layers",),
    ("unfreeze doing nothing", "F6:fine_tuning_after_unfreezing_changes_every_parameter"): (
        "parameters that moved by",
    ),
    ("unfreeze leaving batch statistics frozen", "F6:unfreezing_undoes_freezing"): ("after freeze and unfreeze",),
    ("classifier MLP always ReLU", "M1:classifier_mlp_applies_the_activation_it_is_given_after_each_hidden_layer"): (
        "ReLU, Sigmoid and Tanh",
    ),
    ("classifier MLP dropping the input", "M1:classifier_mlp_drops_out_after_each_hidden_activation_only"): (
        "train-mode logits take the values",
        "they can only be 0 or 4",
    ),
    ("perceptron of a sigmoid of a sigmoid", "T1:perceptron_is_the_sigmoid_of_an_affine_function"): ("not sigmoid",),
    ("stateful layer resetting in place", "T12:stateful_layer_takes_a_new_batch_size_after_a_reset"): (
        "Call reset_state() before changing the batch size.",
    ),
    ("stateful layer refusing with a bare assert", "T12:stateful_layer_handles_or_clearly_refuses_a_new_batch_size"): (
        "a batch of",
    ),
    ("custom_init of the identity", "T13:custom_init_draws_a_new_orthogonal_matrix_each_time"): (
        "the same matrix twice: orthogonal, but not drawn",
    ),
    ("classifier returning classes", "T14:classifier_softmax_is_a_distribution_over_the_classes"): ("output of shape",),
    ("residual block concatenating its input", "T15:residual_block_keeps_the_shape"): ("output of shape",),
    (
        "residual block without its inner ReLU",
        "T15:residual_block_in_eval_mode_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1",
    ): ("with all six h-vectors equal, no placing of its weights and running",),
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
    assert [pair for pair, says in SAYS.items() if not (isinstance(says, tuple) and says)] == []


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
