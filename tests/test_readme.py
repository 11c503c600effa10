"""The measured sections of README.md and docs/mutation.md say what the saved outputs say (scripts/readme.py)."""

import importlib.util
import re
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "scripts" / "readme.py"


@pytest.fixture(scope="module")
def readme_script():
    spec = importlib.util.spec_from_file_location("readme_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_measured_sections_are_what_the_saved_outputs_give(readme_script):
    marked = []
    for path in readme_script.FILES:
        text = path.read_text()
        marked += [match["name"] for match in readme_script.MARKED.finditer(text)]
        assert readme_script.render(text) == text, f"stale figures in {path.name}: run python scripts/readme.py"
    assert sorted(marked) == sorted(readme_script.SECTIONS), "each measured section marked once, in one file"


@pytest.mark.parametrize("section", ["lab", "ledger", "coverage", "tensor-dot-cpu", "trainer-speed", "versions"])
def test_a_changed_figure_is_caught_in_every_measured_section(readme_script, section):
    readme = readme_script.README.read_text()
    body = next(m["body"] for m in readme_script.MARKED.finditer(readme) if m["name"] == section)
    digit = re.search(r"\d", body)
    changed = body[: digit.start()] + str((int(digit[0]) + 1) % 10) + body[digit.end() :]
    tampered = readme.replace(body, changed, 1)
    assert readme_script.render(tampered) != tampered


def test_an_unknown_section_name_is_refused_naming_the_known_ones(readme_script):
    with pytest.raises(SystemExit, match="unknown measured section 'nope' is marked; known: lab, "):
        readme_script.render("<!-- measured: nope -->\nold\n<!-- /measured -->\n")
