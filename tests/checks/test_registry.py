"""How checks are declared (nnlab/checks/registry.py)."""

from nnlab.checks.registry import for_role


def test_a_check_for_one_role_forwards_the_role_and_the_lab_and_is_named_and_worded_for_it():
    seen = []

    def keeps_its_shape(subject, lab):
        """{role} keeps the shape of its input {unlike a dict: {x: 1}}."""
        seen.append((subject, lab))

    check = for_role(keeps_its_shape, "the spec", role="MLP", prefix="mlp")
    check("the lab")
    assert seen == [("the spec", "the lab")]
    assert check.__name__ == "mlp_keeps_its_shape"
    assert check.__doc__ == "MLP keeps the shape of its input {unlike a dict: {x: 1}}."
