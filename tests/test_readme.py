"""The README's set-up commands and links hold: the first line runs every example, the second is what CI runs,
and every file the README links to exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def setup_lines():
    block = re.search(r"## Set up\n\n```bash\n(.*?)```", README, re.S).group(1)
    return block.strip().splitlines()


def test_first_setup_line_runs_every_example():
    examples, tests = setup_lines()
    assert examples.startswith('pip install ".[plot]" && ')
    scripts = sorted(p.name for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))
    assert sorted(re.findall(r"python examples/(\w+\.py)", examples)) == scripts


def test_second_setup_line_is_what_ci_runs():
    tests = setup_lines()[1]
    assert tests == 'pip install ".[test]" && pytest'
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r'^pip install "\.\[test\]"$', ci, re.M) and re.search(r"^pytest$", ci, re.M)


def test_linked_files_exist():
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert links
    for link in links:
        if "://" not in link:
            assert (ROOT / link).exists(), link
