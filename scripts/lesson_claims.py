"""Print every lesson's claims with the numbers the engine measures for them.

``python scripts/lesson_claims.py [KEY ...]`` (all lessons by default). Each line says
whether the claim holds (``ok`` / ``FAILS``) and the measured number. Exit status 1
when any claim fails: such a lesson must not ship.
"""

from __future__ import annotations

import sys
import time

from descent_lab.ui.race import lessons


def report(keys: list[str]) -> tuple[list[str], int]:
    lines, failures = [], 0
    for key in keys:
        lesson = lessons.get(key)
        lines.append(f"{lesson.key}: {lesson.title}")
        for claim, (text, holds, value) in zip(lesson.claims, lessons.check(lesson)):
            failures += not holds
            lines.append(f"  {'ok   ' if holds else 'FAILS'} {claim.fmt(value):>10}  {text}")
    return lines, failures


def main(argv: list[str]) -> int:
    t0 = time.perf_counter()
    lines, failures = report(argv or list(lessons.LESSON_KEYS))
    print("\n".join(lines))
    print(f"{failures} failing claim(s); measured in {time.perf_counter() - t0:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
