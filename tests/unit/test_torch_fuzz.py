"""The fuzzed comparison with torch.optim: random valid configurations over each
spec's whole range, on random surfaces and starts, with noise and schedules
(``tests/golden/make_torch_fuzz.py`` wrote the JSON; torch is not needed here).

Each case is compared over the steps where torch agrees with itself when its
gradient changes in the last bits (``stable_steps``): beyond that the dynamics
amplify rounding and no two implementations can agree."""

import json
from pathlib import Path

import numpy as np
import pytest

from descent_lab import optimizers, surfaces

FUZZ = json.loads((Path(__file__).resolve().parents[1] / "golden" / "torch_fuzz.json")
                  .read_text(encoding="utf-8"))
CASES = FUZZ["cases"]
IDS = [f"{c['key']}-{i % FUZZ['meta']['configs_per_optimizer']}" for i, c in enumerate(CASES)]


def test_every_torch_optimizer_is_fuzzed():
    torch_keys = {k for k, spec in optimizers.OPTIMIZERS.items() if spec.torch}
    assert {c["key"] for c in CASES} == torch_keys
    # and the comparison means something: most runs are comparable to the end
    stable = [c["stable_steps"] >= c["n"] - 1 for c in CASES]
    assert sum(stable) >= 0.8 * len(CASES)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_torch_on_a_random_configuration(case):
    surface = surfaces.get(case["surface"], **case["surface_params"])
    tr = optimizers.run(case["key"], surface, case["start"], case["steps"], tol=0.0,
                        noise=case["noise"], seed=case["seed"], schedule=case["schedule"],
                        **case["hparams"])
    n, stride, stable = case["n"], case["stride"], case["stable_steps"]
    rows = [j for j in range(0, n, stride)] + ([n - 1] if (n - 1) % stride else [])
    expected = np.asarray(case["xy"])
    upto = min(stable, len(tr.xy) - 1)
    keep = [i for i, j in enumerate(rows) if j <= upto]
    ours = tr.xy[[rows[i] for i in keep]]
    scale = float(np.abs(expected).max())  # a coordinate passing near 0 is compared at the path's scale
    np.testing.assert_allclose(ours, expected[keep], rtol=1e-9, atol=1e-9 * scale)
    if stable >= n - 1:  # comparable to the end: the same ending
        assert len(tr.xy) == n
        assert tr.diverged_at == case["diverged_at"]
