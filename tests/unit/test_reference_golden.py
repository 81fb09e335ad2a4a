"""The optimizers torch lacks, against their authors' code (schedulefree, prodigyopt,
lion-pytorch), from ``tests/golden/reference_golden.json``: defaults and random
valid configurations over each spec's range, compared where rounding does not yet
decide (``stable_steps``, as in the torch fuzz). Schedule-Free's evaluation point x
and Prodigy's distance estimate d are compared too."""

import json
from pathlib import Path

import numpy as np
import pytest

from descent_lab import optimizers, surfaces

DATA = json.loads((Path(__file__).resolve().parents[1] / "golden" / "reference_golden.json")
                  .read_text(encoding="utf-8"))
CASES = DATA["cases"]
IDS = [f"{c['key']}-{i}" for i, c in enumerate(CASES)]


def test_every_reference_optimizer_is_covered():
    assert {c["key"] for c in CASES} == {"lion", "signum", "signsgd", "sf_sgd", "sf_adamw", "prodigy"}
    assert sum(c["stable_steps"] >= c["n"] - 1 for c in CASES) >= 0.8 * len(CASES)


def _rows(case):
    n, stride = case["n"], case["stride"]
    return [j for j in range(0, n, stride)] + ([n - 1] if (n - 1) % stride else [])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_the_authors_code(case):
    surface = surfaces.get(case["surface"], **case["surface_params"])
    tr = optimizers.run(case["key"], surface, case["start"], case["steps"], tol=0.0,
                        noise=case["noise"], seed=case["seed"], schedule=case["schedule"],
                        **case["hparams"])
    rows = _rows(case)
    upto = min(case["stable_steps"], len(tr.xy) - 1)
    keep = [i for i, j in enumerate(rows) if j <= upto]
    expected = np.asarray(case["xy"])
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(tr.xy[[rows[i] for i in keep]], expected[keep], rtol=1e-9,
                               atol=1e-9 * scale)
    later = [(i, j) for i, j in enumerate(rows[1:]) if j <= upto]  # rows after the start
    if "x" in case and later:  # Schedule-Free's average, where the model is evaluated
        x = np.asarray(case["x"])
        np.testing.assert_allclose(tr.state["x"][[j - 1 for _, j in later]], x[[i for i, _ in later]],
                                   rtol=1e-9, atol=1e-9 * scale)
    if "d" in case and later:  # Prodigy's estimate of the distance to the solution
        d = np.asarray(case["d"])
        np.testing.assert_allclose(tr.state["d"][[j - 1 for _, j in later], 0], d[[i for i, _ in later]],
                                   rtol=1e-9)
    if case["stable_steps"] >= case["n"] - 1:
        assert len(tr.xy) == case["n"] and tr.diverged_at == case["diverged_at"]
