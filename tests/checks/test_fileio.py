"""The checks of report section 4 catch the wrong implementations they are for, and pass correct ones."""

import json
import re
import warnings

import pytest
import torch
from torch import nn
from torch.torch_version import TorchVersion

from nnlab import fileio
from nnlab.checks import all_checks, plain, run_check
from nnlab.checks.fileio import (
    SEED,
    DrawnDropout,
    a_checkpoint_gives_back_its_epoch_and_loss,
    batch_norm_mlp,
    checkpoints_to_restore,
    convolutions_into_norms,
    feeding_batch_norm,
    in_folder,
    refused_then_loaded,
    restored,
    the_exercise_networks_classify_into_10_and_20_classes,
    whole_module_loads_only_with_weights_only_false,
)
from nnlab.checks.judged import answered, judgement
from nnlab.labs import REPORT
from tests.checks.helpers import results_of, variant

# --- the report's results follow from its code ---------------------------------------------


def test_f2_report_plain_torch_load_holds_before_torch_2_6_and_is_qualified_after():
    expected = "pass" if TorchVersion(torch.__version__) < (2, 6) else "qualified"
    assert results_of(REPORT, "F2") == {"whole_module_loads_back_and_reproduces_the_outputs": expected}


def test_report_section_4_results():
    assert results_of(REPORT, "F1", "saved_params_reproduce_the_exercise_networks") == {
        "saved_params_reproduce_the_exercise_networks": "pass"
    }
    assert results_of(REPORT, "F3")["resuming_from_a_checkpoint_continues_bitwise"] == "qualified"
    assert results_of(REPORT, "F4")["reusing_layers_reports_every_key_not_loaded_as_missing"] == "qualified"
    assert results_of(REPORT, "F5") == {"frozen_layers_stay_bitwise_while_the_new_layers_train": "qualified"}
    assert results_of(REPORT, "F6")["fine_tuning_after_unfreezing_changes_every_parameter"] == "qualified"


# --- F1 ------------------------------------------------------------------------------------


def load_nothing(net, path):
    """Wrong: a load_params that reads nothing back: the net keeps the values it had."""


def test_f1_catches_a_load_that_loads_nothing():
    lab = variant("fileio", load_params=load_nothing)
    assert set(results_of(lab, "F1", "saved_params_reproduce_the_exercise_networks").values()) == {"fail"}
    assert set(results_of(lab, "F1", "saved_params_reproduce_any_linear_network_exactly").values()) == {"fail"}


def save_parameters_only(net, path):
    """Wrong: saves named_parameters(), not state_dict(): batch norm's running statistics are lost."""
    torch.save({name: p.detach() for name, p in net.named_parameters()}, path)


def load_what_is_there(net, path):
    net.load_state_dict(torch.load(path), strict=False)


def test_f1_catches_saving_the_parameters_without_the_buffers():
    lab = variant("fileio", save_params=save_parameters_only, load_params=load_what_is_there)
    assert results_of(lab, "F1", "saved_params_keep_the_running_statistics") == {
        "saved_params_keep_the_running_statistics": "fail"
    }


# --- F2 ------------------------------------------------------------------------------------


def save_the_state_dict_as_the_module(net, path):
    """Wrong: a save_model that saves the state dict, so what loads back is a dict, not the module."""
    torch.save(net.state_dict(), path)


def load_anything(path):
    return torch.load(path, weights_only=False)


def test_f2_catches_a_whole_module_save_that_keeps_only_the_state_dict():
    lab = variant("fileio", save_model=save_the_state_dict_as_the_module, load_model=load_anything)
    assert results_of(lab, "F2") == {"whole_module_loads_back_and_reproduces_the_outputs": "fail"}


def test_f2_catches_a_load_that_gives_back_the_object_in_memory():
    kept = {}

    def save(net, path):
        kept["net"] = net
        fileio.save_module(net, path)

    lab = variant("fileio", save_model=save, load_model=lambda path: kept["net"])
    assert results_of(lab, "F2") == {"whole_module_loads_back_and_reproduces_the_outputs": "fail"}


# --- F3 ------------------------------------------------------------------------------------


def save_four_keys(path, model, optimizer, epoch, loss):
    fileio.atomic_save(
        {
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "epoch": epoch,
            "loss": loss,
        },
        path,
    )


def test_f3_a_checkpoint_without_the_rng_state_is_qualified():
    lab = variant("fileio", save_checkpoint=save_four_keys)  # nnlab's loader restores the RNG only when it is there
    assert results_of(lab, "F3")["resuming_from_a_checkpoint_continues_bitwise"] == "qualified"


def load_model_only(path, model, optimizer):
    """Wrong: restores the model and leaves the optimizer's state (momenta, Adam's moments) behind."""
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model_state_dict"])
    torch.set_rng_state(checkpoint["rng_state"])
    return checkpoint["epoch"], checkpoint["loss"]


def test_f3_catches_a_checkpoint_without_the_optimizer_state():
    lab = variant("fileio", load_checkpoint=load_model_only)
    results = results_of(lab, "F3")
    assert results == {
        "resuming_from_a_checkpoint_continues_bitwise": "fail",
        "a_checkpoint_gives_back_its_epoch_and_loss": "fail",
    }


def test_f3_catches_a_checkpoint_that_forgets_the_epoch():
    def load_without_epoch(path, model, optimizer):
        return 0, fileio.load_checkpoint(path, model, optimizer).loss

    lab = variant("fileio", load_checkpoint=load_without_epoch)
    assert set(results_of(lab, "F3").values()) == {"fail"}


# --- F4 ------------------------------------------------------------------------------------


def torch_missing_keys(new_net, state_dict, prefixes):
    subset = {key: value for key, value in state_dict.items() if key.split(".")[0] in prefixes}
    return new_net.load_state_dict(subset, strict=False).missing_keys


def test_f4_torch_missing_keys_as_the_missing_list_is_qualified():
    lab = variant("fileio", reuse_layers=torch_missing_keys)
    assert results_of(lab, "F4", "reusing_layers_reports_every_key_not_loaded_as_missing") == {
        "reusing_layers_reports_every_key_not_loaded_as_missing": "qualified"
    }


def load_and_say_nothing(new_net, state_dict, prefixes):
    """Wrong: loads the layers and reports no key as missing."""
    torch_missing_keys(new_net, state_dict, prefixes)
    return []


def test_f4_catches_a_missing_list_that_is_empty():
    lab = variant("fileio", reuse_layers=load_and_say_nothing)
    assert results_of(lab, "F4", "reusing_layers_reports_every_key_not_loaded_as_missing") == {
        "reusing_layers_reports_every_key_not_loaded_as_missing": "fail"
    }


def reuse_parameters_only(new_net, state_dict, prefixes):
    """Wrong: copies the parameters under the prefixes, not their batch norms' running statistics."""
    parameters = dict(new_net.named_parameters())
    with torch.no_grad():
        for key, value in state_dict.items():
            if key.split(".")[0] in prefixes and key in parameters:
                parameters[key].copy_(value)
    return [key for key in new_net.state_dict() if key.split(".")[0] not in prefixes]


def test_f4_catches_a_reuse_that_copies_parameters_but_not_batch_statistics():
    lab = variant("fileio", reuse_layers=reuse_parameters_only)
    assert results_of(lab, "F4", "reusing_layers_copies_them_exactly_and_leaves_the_rest_as_initialised") == {
        "reusing_layers_copies_them_exactly_and_leaves_the_rest_as_initialised": "fail"
    }


def test_f4_catches_a_reuse_that_copies_more_than_the_prefixes():
    def every_fitting_key(new_net, state_dict, prefixes):
        own = new_net.state_dict()
        fitting = {k: v for k, v in state_dict.items() if k in own and own[k].shape == v.shape}
        return new_net.load_state_dict(fitting, strict=False).missing_keys

    lab = variant("fileio", reuse_layers=every_fitting_key)
    assert results_of(lab, "F4", "reusing_layers_copies_them_exactly_and_leaves_the_rest_as_initialised") == {
        "reusing_layers_copies_them_exactly_and_leaves_the_rest_as_initialised": "fail"
    }


# --- F5 and F6 -------------------------------------------------------------------------------


def requires_grad_only(*modules):
    for module in modules:
        for p in module.parameters():
            p.requires_grad = False


def test_f5_a_freeze_that_only_stops_gradients_is_qualified():
    lab = variant("fileio", freeze=requires_grad_only)
    assert results_of(lab, "F5") == {"frozen_layers_stay_bitwise_while_the_new_layers_train": "qualified"}


def test_f5_catches_a_freeze_that_does_nothing():
    lab = variant("fileio", freeze=lambda *modules: None)
    assert results_of(lab, "F5") == {"frozen_layers_stay_bitwise_while_the_new_layers_train": "fail"}


def stop_batch_statistics(*modules):
    for module in modules:
        for sub in module.modules():
            if isinstance(sub, nn.BatchNorm2d):
                sub.track_running_stats = False


def freeze_by_zeroing_gradients(*modules):
    """Wrong: zeroes the gradients instead of stopping them, so weight decay and momentum still move the weights."""
    stop_batch_statistics(*modules)
    for module in modules:
        for p in module.parameters():
            p.register_hook(torch.zeros_like)


def test_f5_catches_a_freeze_that_zeroes_gradients_instead_of_stopping_them():
    lab = variant("fileio", freeze=freeze_by_zeroing_gradients)
    assert results_of(lab, "F5") == {"frozen_layers_stay_bitwise_while_the_new_layers_train": "fail"}


def test_f6_biased_convolutions_before_batch_norm_are_qualified():
    lab = variant(
        "fileio",
        OriginalNetwork=lambda: fileio.OriginalNetwork(conv_bias=True),
        NewNetwork=lambda: fileio.NewNetwork(conv_bias=True),
    )
    assert results_of(lab, "F6", "fine_tuning_after_unfreezing_changes_every_parameter") == {
        "fine_tuning_after_unfreezing_changes_every_parameter": "qualified"
    }
    # the key lists of F4 do not depend on the biases
    assert set(results_of(lab, "F4").values()) == {"pass"}


def unfreeze_parameters_only(*modules):
    """Wrong: gives the parameters back their gradients, and leaves the batch norms' statistics frozen."""
    for module in modules:
        for p in module.parameters():
            p.requires_grad = True


def test_f6_catches_an_unfreeze_that_leaves_batch_statistics_frozen():
    from nnlab.parameters import freeze

    lab = variant("fileio", freeze=freeze, unfreeze=unfreeze_parameters_only)
    assert results_of(lab, "F6", "unfreezing_undoes_freezing") == {"unfreezing_undoes_freezing": "fail"}


def unfreeze_nothing(*modules):
    """Wrong: an unfreeze that does nothing: the reused layers stay frozen through fine-tuning."""


def test_f6_catches_an_unfreeze_that_does_nothing():
    lab = variant("fileio", unfreeze=unfreeze_nothing)
    assert set(results_of(lab, "F6").values()) == {"fail"}


# --- what the judge recomputes -------------------------------------------------------------


def test_drawn_dropout_draws_the_masks_and_gradients_of_torchs_dropout_from_a_generator_seeded_alike():
    X = torch.randn(8, 16, requires_grad=True)
    torch.manual_seed(SEED)
    expected = nn.Dropout(0.3)(X)
    expected.sum().backward()
    expected_gradient, X.grad = X.grad, None
    got = DrawnDropout(0.3, torch.Generator().manual_seed(SEED))(X)
    got.sum().backward()
    assert torch.equal(got, expected) and torch.equal(X.grad, expected_gradient)


SECTION_4 = ("F1", "F2", "F3", "F4", "F5", "F6")
PROBES = [
    probe
    for check in all_checks()
    if check.claim in SECTION_4
    for probe in (check.probe, check.documented_probe)
    if probe is not None
]


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: probe.judge.__name__)
def test_the_questions_are_the_same_whatever_torchs_global_generator_holds(probe):
    # the supervisor judges submissions from threads of their own, each free to draw from torch's generator
    drawn = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        drawn.append(json.dumps([plain.encode(question) for question in probe.ask()]))
    assert drawn[0] == drawn[1]


def feeding(net: nn.Module) -> set[str]:
    return feeding_batch_norm(convolutions_into_norms(net, torch.randn(2, 3, 32, 32)))


def test_the_biases_feeding_batch_norm_are_read_from_the_traced_calls():
    assert feeding(fileio.NewNetwork(conv_bias=True)) == {"layer1.0.bias", "layer2.0.bias", "layer3_new.0.bias"}
    assert feeding(fileio.NewNetwork(conv_bias=False)) == set()


def test_a_biased_convolution_whose_output_goes_elsewhere_first_feeds_no_batch_norm():
    through_relu = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(), nn.BatchNorm2d(4), nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4)
    )
    assert feeding(through_relu) == {"3.bias"}


DOCUMENTED = [check for check in all_checks() if check.claim in SECTION_4 and check.documented_probe is not None]


@pytest.mark.parametrize("check", DOCUMENTED, ids=lambda check: check.id)
def test_the_reports_answers_are_judged_as_run_check_judges_its_code(check):
    # what the documents' code does is judged from its answers too: the grader's qualified is the ledger's
    from_answers = judgement(check, json.loads(json.dumps(answered(check, REPORT))))
    assert from_answers == run_check(check, REPORT)


def test_in_folder_runs_in_a_fresh_empty_folder_named_as_the_checks_and_removes_it():
    seen = []

    def inside(folder):
        seen.append((folder, folder.is_dir(), list(folder.iterdir())))
        (folder / "model.pt").write_bytes(b"saved")
        return "returned"

    assert in_folder(inside) == "returned"
    [(folder, existed, contents)] = seen
    assert existed and contents == []
    assert folder.name.startswith("nnlab-check-"), folder  # a folder left by a killed worker says whose it is
    assert not folder.exists()


@pytest.mark.parametrize(
    ("refusal", "says"),
    [
        (None, "load_model loaded the module, so it is not the refusal this describes"),
        ("invalid load key, 'x'.", "load_model failed, not for weights_only: invalid load key, 'x'."),
    ],
)
def test_the_weights_only_statement_fails_a_load_not_refused_for_weights_only(refusal, says):
    with pytest.raises(AssertionError, match=re.escape(says)):
        whole_module_loads_only_with_weights_only_false({}, {"refusal": refusal})


@pytest.mark.skipif(
    TorchVersion(torch.__version__) < (2, 6), reason="torch.load refuses a module by default from torch 2.6 on"
)
def test_the_weights_only_statement_holds_for_the_reports_plain_torch_load():
    question = batch_norm_mlp()[0]
    found = refused_then_loaded(REPORT, question)
    assert "weights_only" in found["refusal"]
    whole_module_loads_only_with_weights_only_false(question, found)


def spoiled(found: dict, part: str) -> dict:
    """``found`` with ``part`` wrong: the epoch off by one, the first parameter moved, or the momenta lost."""
    if part == "returned":
        return {**found, "returned": [found["returned"][0] + 1, found["returned"][1]]}
    if part == "parameters":
        return {**found, "parameters": [found["parameters"][0] + 1, *found["parameters"][1:]]}
    return {**found, "momenta": [None] * len(found["momenta"])}


@pytest.mark.parametrize(
    ("part", "says"),
    [
        ("returned", "load_checkpoint gave"),
        ("parameters", "the model was not restored"),
        ("momenta", "the optimizer's momenta were not restored"),
    ],
)
def test_the_checkpoint_judge_passes_the_reports_restore_and_fails_each_part_restored_wrong(part, says):
    question = checkpoints_to_restore()[0]
    with warnings.catch_warnings():  # the report's torch.load(path): torch 2.4 and 2.5 warn of weights_only's default
        warnings.simplefilter("ignore", FutureWarning)
        found = restored(REPORT, question)
    a_checkpoint_gives_back_its_epoch_and_loss(question, found)
    with pytest.raises(AssertionError, match=re.escape(says)):
        a_checkpoint_gives_back_its_epoch_and_loss(question, spoiled(found, part))


ALIKE = {"layer1.0.weight": (16, 3, 3, 3), "layer2.0.weight": (32, 16, 3, 3)}


@pytest.mark.parametrize(
    ("outputs", "reused", "says"),
    [
        ([(2, 10), (2, 20)], [ALIKE, ALIKE], None),
        ([(2, 20), (2, 10)], [ALIKE, ALIKE], "the networks gave shapes ((2, 20), (2, 10)), not (2, 10) and (2, 20)"),
        ([(2, 10), (2, 10)], [ALIKE, ALIKE], "the networks gave shapes"),
        ([(2, 10), (2, 20)], [ALIKE, {**ALIKE, "layer2.0.weight": (8, 16, 3, 3)}], "layer1 and layer2 differ"),
        ([(2, 10), (2, 20)], [{}, {}], "layer1 and layer2 differ"),
    ],
)
def test_the_exercise_networks_judge_wants_10_and_20_classes_and_alike_reused_layers(outputs, reused, says):
    found = {"outputs": [torch.zeros(shape) for shape in outputs], "reused": reused}
    if says is None:
        the_exercise_networks_classify_into_10_and_20_classes({}, found)
    else:
        with pytest.raises(AssertionError, match=re.escape(says)):
            the_exercise_networks_classify_into_10_and_20_classes({}, found)
