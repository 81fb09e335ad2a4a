"""Write the README's generated tables from the code: the optimizers (what each follows,
its reference, how the lab runs it) and the lessons (question and answer).

Run: ``python scripts/make_readme_tables.py`` (``--check`` exits 1 if README.md is out of
date; tests/package/test_readme.py runs that check). Each table sits between
``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers; the rest of the README is
written by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from descent_lab import optimizers  # noqa: E402
from descent_lab.ui.race import lessons  # noqa: E402

README = ROOT / "README.md"
CAVEAT_STEPS = 500
"""The run length the table's configuration notes (the specs' caveats) are written for."""


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def optimizer_table() -> str:
    """One row per optimizer the page offers: what it follows, its reference, how the lab
    runs it (its convention, and its caveat at the default settings)."""
    rows = ["| optimizer | follows | reference | in the lab |", "|---|---|---|---|"]
    for key, spec in optimizers.REGISTRY.items():
        follows = f"`{spec.torch}`" if spec.torch else "the authors' code"
        notes = [spec.convention] if spec.convention else []
        if spec.caveat is not None:
            caveat = spec.caveat(spec.validate(), CAVEAT_STEPS)
            if caveat:
                notes.append(caveat)
        rows.append(f"| **{_cell(spec.label)}** (`{key}`): {_cell(spec.summary)} | {follows} | "
                    f"{_cell(spec.reference)} | {_cell(' '.join(notes)) or '—'} |")
    return "\n".join(rows)


def lesson_table() -> str:
    """One row per lesson: its title and link key, the question and the answer it shows."""
    rows = ["| lesson | question | what the plot shows |", "|---|---|---|"]
    for lesson in lessons.LESSONS:
        rows.append(f"| **{_cell(lesson.title)}** (`?lesson={lesson.key}`) | {_cell(lesson.question)} | "
                    f"{_cell(lesson.answer)} |")
    return "\n".join(rows)


TABLES = {"optimizers": optimizer_table, "lessons": lesson_table}


def render(text: str) -> str:
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> block")
        text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date")
    args = parser.parse_args(argv)
    old = README.read_text()
    new = render(old)
    if args.check:
        if new != old:
            print("README.md is out of date: run python scripts/make_readme_tables.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    print("wrote README.md's tables:", ", ".join(TABLES))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
