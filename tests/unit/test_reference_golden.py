"""The optimizers torch lacks, against their authors' code (schedulefree, prodigyopt,
lion-pytorch, dadaptation, torch-adopt, pytorch-optimizer, and the authors' adan.py,
sophia.py and soap.py), from ``tests/golden/reference_golden.json``: defaults and random
valid configurations over each spec's range, compared where rounding does not yet
decide (``stable_steps``, as in the torch fuzz). Schedule-Free's evaluation point x,
Prodigy's and D-Adaptation's distance estimate d and Sophia's running curvature h are
compared too, and so are the closed forms SOAP and full-matrix AdaGrad use in place of
LAPACK (``kernels``)."""

import json
from pathlib import Path

import numpy as np
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.optimizers import modern
from descent_lab.optimizers.backend import ARRAY, FLOAT

DATA = json.loads((Path(__file__).resolve().parents[1] / "golden" / "reference_golden.json")
                  .read_text(encoding="utf-8"))
CASES = DATA["cases"]
IDS = [f"{c['key']}-{i}" for i, c in enumerate(CASES)]
KERNELS = DATA["kernels"]
NEW = {"adopt", "adan", "dadapt_adam", "dadapt_sgd", "sophia", "shampoo", "soap"}


def test_every_reference_optimizer_is_covered():
    keys = {c["key"] for c in CASES}
    assert keys == {"lion", "signum", "signsgd", "sf_sgd", "sf_adamw", "prodigy"} | NEW
    assert keys == {k for k, spec in optimizers.OPTIMIZERS.items() if not spec.torch} - {"newton"}
    assert sum(c["stable_steps"] >= c["n"] - 1 for c in CASES) >= 0.8 * len(CASES)
    for key in NEW:  # each with its defaults and at least a dozen random configurations
        assert sum(c["key"] == key for c in CASES) >= 14


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
    if "d" in case and later:  # Prodigy's and D-Adaptation's estimate of the distance to the solution
        d = np.asarray(case["d"])
        np.testing.assert_allclose(tr.state["d"][[j - 1 for _, j in later], 0], d[[i for i, _ in later]],
                                   rtol=1e-9)
    if "h" in case and later:  # Sophia's running curvature, as each step used it
        h = np.asarray(case["h"])
        ours = tr.state["h"][[j - 1 for _, j in later]]
        np.testing.assert_allclose(ours, h[[i for i, _ in later]], rtol=1e-9,
                                   atol=1e-9 * float(np.abs(h).max(initial=0.0)))
    if case["stable_steps"] >= case["n"] - 1:
        assert len(tr.xy) == case["n"] and tr.diverged_at == case["diverged_at"]


@pytest.mark.parametrize("key", sorted(NEW))
def test_the_batch_path_runs_the_same_rule(key):
    # every new rule serves both backends: a batch of runs equals the runs one by one
    cases = [c for c in CASES if c["key"] == key and c["noise"] == 0 and c["schedule"] is None][:3]
    for case in cases:
        surface = surfaces.get(case["surface"], **case["surface_params"])
        one = optimizers.run(key, surface, case["start"], 60, tol=0.0, **case["hparams"])
        both = optimizers.run_batch(key, surface, [case["start"], surface.start], 60, **case["hparams"])
        np.testing.assert_allclose(both[0, : len(one.xy)], one.xy, rtol=1e-13, atol=1e-300)


# ------------------------------------------------------------ LAPACK's and BLAS's closed forms


@pytest.mark.parametrize("i", range(len(KERNELS["eigh"])))
def test_soaps_first_eigenbasis_is_torchs_eigh_bit_for_bit(i):
    a, b, c, q = KERNELS["eigh"][i]
    q1, q2 = modern.eigenbasis(a + 1e-30, b, c + 1e-30)
    assert [[q1[0], q2[0]], [q1[1], q2[1]]] == q


@pytest.mark.parametrize("ops", [FLOAT, ARRAY], ids=["float", "array"])
def test_the_float32_qr_is_torchs_bit_for_bit(ops):
    for a, q in KERNELS["qr_float32"]:
        a11, a21 = a[0][0], a[1][0]
        if ops is ARRAY:
            a11, a21 = np.array([a11, a11]), np.array([a21, a21])
        (q11, q21), (q12, q22) = modern.qr_float32(ops, a11, a21)
        got = [[q11, q12], [q21, q22]]
        assert np.array_equal(np.asarray(got, dtype=float).reshape(2, 2, -1)[..., 0], q), (a, got, q)


def test_the_float32_matrix_product_is_torchs_bit_for_bit():
    for a, b, ab in KERNELS["matmul_float32"]:
        got = [[modern.dot2_float32(FLOAT, a[i][0], b[0][j], a[i][1], b[1][j]) for j in range(2)]
               for i in range(2)]
        assert got == ab


def test_the_inverse_root_is_the_references_svd_to_rounding():
    # both are exact to rounding times the condition number kappa (near-singular G
    # after one gradient: kappa up to 1e12 here), and no closer
    for m, root in KERNELS["inverse_root"]:
        xx, xy, yy = modern.inverse_root(FLOAT, m[0][0], m[0][1], m[1][1])
        eig = np.linalg.eigvalsh(np.asarray(m))
        kappa = eig[1] / eig[0]
        error = np.abs(np.subtract([[xx, xy], [xy, yy]], root)).max() / np.abs(root).max()
        assert error <= 1e-15 * kappa + 1e-14, (m, error, kappa)
