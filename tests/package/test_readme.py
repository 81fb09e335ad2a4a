"""The README's generated tables are those of the code as it is, and its two commands and the
files it points to exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from descent_lab import optimizers
from descent_lab.ui.race import lessons

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_generated_tables_are_up_to_date():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_readme_tables.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_every_optimizer_and_lesson_has_its_row():
    for key, spec in optimizers.REGISTRY.items():
        assert f"**{spec.label}** (`{key}`)" in README, key
    for lesson in lessons.LESSONS:
        assert f"(`?lesson={lesson.key}`)" in README, lesson.key


def test_the_two_commands_and_linked_files_exist():
    assert "bash scripts/run.sh" in README and "bash scripts/test.sh" in README
    assert "exec scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
    for target in re.findall(r"\]\(((?:docs|scripts|tests)/[^)#]+)\)", README):
        assert (ROOT / target).exists(), target
