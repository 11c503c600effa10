"""The measured sections of README.md and docs/mutation.md say what the saved outputs say (scripts/readme.py)."""

import importlib.util
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


def test_a_changed_figure_is_caught(readme_script):
    readme = readme_script.README.read_text()
    body = readme_script.MARKED.search(readme)["body"]
    tampered = readme.replace(body, body.replace("0.", "9.", 1), 1)
    assert readme_script.render(tampered) != tampered


def test_an_unknown_section_name_is_refused_naming_the_known_ones(readme_script):
    with pytest.raises(SystemExit, match="unknown measured section 'nope' is marked; known: lab, "):
        readme_script.render("<!-- measured: nope -->\nold\n<!-- /measured -->\n")
