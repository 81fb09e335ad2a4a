"""Check that the running Python has exactly the versions a pin file names.

``python scripts/check_pins.py constraints/lowest.txt`` prints one line per package and
exits 1 if any installed version differs from its ``name==version`` pin (or is missing).
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


def pins(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def main(path: str) -> int:
    wanted = pins(open(path, encoding="utf-8").read())
    wrong = []
    for name, version in wanted.items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = None
        if have != version:
            wrong.append(f"{name}: pinned {version}, installed {have}")
    if wrong:
        print("Versions off their pins:\n  " + "\n  ".join(wrong), file=sys.stderr)
        return 1
    print(f"{len(wanted)} packages at their pins ({path})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
