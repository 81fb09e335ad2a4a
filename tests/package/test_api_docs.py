"""docs/api.md is the output of scripts/make_api_docs.py for the code as it is, covers every
public name, and its notebook example runs and prints what its comments say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from descent_lab import optimizers, surfaces

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "api.md").read_text()


def test_api_reference_is_up_to_date():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_api_docs.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_every_public_name_and_registry_key_is_documented():
    for module, prefix in ((optimizers, "optimizers"), (surfaces, "surfaces")):
        for name in module.__all__:
            assert re.search(rf"### (class )?`{prefix}\.{name}\b", DOC), f"{prefix}.{name}"
    for key in list(optimizers.REGISTRY) + list(surfaces.REGISTRY):
        assert f"| `{key}` |" in DOC, key
    assert "### `notebook.show(" in DOC


def test_the_notebook_example_does_what_its_comments_say():
    example = re.search(r"```python\n(.*?)```", DOC, re.S).group(1)
    code = "\n".join(line for line in example.splitlines() if "show()" not in line)
    space: dict = {}
    exec(compile(code, "docs/api.md", "exec"), space)  # our own documentation, not user input
    assert (space["tr"].status, space["tr"].xy.shape) == ("max_steps", (501, 2))
    assert len(space["tr"].to_frame()) == 501
    assert space["xy"].shape == (3, 501, 2) and np.isfinite(space["xy"]).all()
