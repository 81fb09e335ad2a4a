"""Real data, true minibatch noise: plotly's bundled iris and tips read without plotly,
the full-batch loss with exact derivatives, the minibatches a run samples (seeded,
reproducible, unbiased over an epoch), their noise (anisotropic, state-dependent) and
each minibatch's own minimizer."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.surfaces import data

ROOT = Path(__file__).resolve().parents[2]
KEYS = list(data.ENTRIES)


def test_the_rows_are_plotlys_bundled_data_sets():
    import plotly.data

    iris, tips = plotly.data.iris(), plotly.data.tips()
    header, rows = data.read_dataset("iris")
    assert list(header) == list(iris.columns) and len(rows) == len(iris) == 150
    np.testing.assert_allclose([float(r[0]) for r in rows], iris["sepal_length"])
    header, rows = data.read_dataset("tips")
    assert len(rows) == len(tips) == 244
    np.testing.assert_allclose([float(r[header.index("tip")]) for r in rows], tips["tip"])


def test_building_a_data_surface_imports_neither_plotly_nor_pandas():
    code = ("import sys; from descent_lab import surfaces; surfaces.get('iris_logistic', batch=8); "
            "surfaces.get('tips_linear'); print(sorted({'plotly', 'pandas'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("key", KEYS)
def test_exact_derivatives_and_the_minimum(key):
    s = surfaces.get(key)
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = s.bounds
    pts = np.stack([rng.uniform(x0, x1, 20), rng.uniform(y0, y1, 20)], -1)
    h = 1e-6
    for p in pts:
        fd = [(s.f(p + h * e) - s.f(p - h * e)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(s.grad(p), fd, rtol=1e-6, atol=1e-8)
        fdh = np.array([(s.grad(p + h * e) - s.grad(p - h * e)) / (2 * h) for e in np.eye(2)])
        np.testing.assert_allclose(s.hess(p), fdh, rtol=1e-5, atol=1e-7)
        assert s.scalar.f(*p) == pytest.approx(float(s.f(p)), rel=1e-12)
    (w_star,) = s.minimizers
    np.testing.assert_allclose(s.grad(np.array(w_star)), 0.0, atol=1e-10)
    assert s.f(np.array(w_star)) == pytest.approx(s.min_value)
    gx, gy = np.meshgrid(np.linspace(x0, x1, 101), np.linspace(y0, y1, 101))
    assert s.f(np.stack([gx, gy], -1)).min() >= s.min_value - 1e-12


def test_the_tips_fit_is_least_squares_and_the_iris_fit_a_logistic_regression():
    tips = surfaces.get("tips_linear")
    design, target = data._tips()
    np.testing.assert_allclose(tips.minimizers[0], np.linalg.lstsq(design, target, rcond=None)[0], rtol=1e-10)
    iris = surfaces.get("iris_logistic")
    x, t = data._iris()
    np.testing.assert_allclose(x.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(x.std(0), 1.0)
    w = np.array(iris.minimizers[0])
    p = 1 / (1 + np.exp(t * (x @ w)))
    np.testing.assert_allclose((x * (-t * p)[:, None]).mean(0), 0.0, atol=1e-12)  # the score equations


def test_a_full_batch_is_the_full_gradient_and_a_minibatch_is_not():
    s = surfaces.get("tips_linear")
    assert not s.stochastic.minibatched
    full = optimizers.run("gd", s, s.start, 50, lr=0.3)
    np.testing.assert_allclose(full.grad_used, full.grad[:-1], rtol=1e-12)
    mini = optimizers.run("gd", surfaces.get("tips_linear", batch=8), s.start, 50, lr=0.3)
    assert mini.status == "max_steps" and np.abs(mini.grad_used - mini.grad[:-1]).max() > 0.1


def test_minibatches_are_seeded_reproducible_and_the_batch_runner_agrees():
    s = surfaces.get("iris_logistic", batch=10)
    a = optimizers.run("adam", s, s.start, 80, lr=0.05, seed=3)
    b = optimizers.run("adam", s, s.start, 80, lr=0.05, seed=3)
    c = optimizers.run("adam", s, s.start, 80, lr=0.05, seed=4)
    np.testing.assert_array_equal(a.xy, b.xy)
    assert np.abs(a.xy - c.xy).max() > 1e-3
    paths = optimizers.run_batch("adam", s, np.array([s.start] * 3), 80, lr=0.05, seed=2)
    np.testing.assert_allclose(paths[1], a.xy, rtol=1e-12)  # run b of the batch has seed 2 + b


@pytest.mark.parametrize("key,batch", [("tips_linear", 4), ("tips_linear", 61), ("iris_logistic", 20)])
def test_an_epochs_batches_cover_the_rows_once_and_average_to_the_full_gradient(key, batch):
    s = surfaces.get(key, batch=batch)
    model = s.stochastic
    per_epoch = model.size // batch
    rows = model.batches(7, 3 * per_epoch)
    for e in range(3):
        epoch = rows[e * per_epoch:(e + 1) * per_epoch]
        assert len(np.unique(epoch)) == per_epoch * batch == model.size  # these sizes divide N
    w = np.array([0.3, -0.7])
    grads = model.batch_grad(np.broadcast_to(w, (per_epoch, 2)), rows[:per_epoch])
    np.testing.assert_allclose(grads.mean(0), s.grad(w), rtol=1e-10)


def test_drop_last_leaves_the_remainder_out_of_that_epoch():
    model = surfaces.get("iris_logistic", batch=30).stochastic  # 100 = 3 x 30 + 10
    rows = model.batches(0, 6)
    assert rows.shape == (6, 30) and len(np.unique(rows[:3])) == 90 and len(np.unique(rows[3:])) == 90


def test_the_noise_is_the_datas_own_anisotropic_and_larger_away_from_the_minimum():
    s = surfaces.get("tips_linear", batch=8)
    w_star = np.array(s.minimizers[0])
    at_min = s.stochastic.cloud(w_star[None], seed=0, count=4000)[0]
    far = s.stochastic.cloud(np.array([s.start]), seed=0, count=4000)[0]
    cov_min, cov_far = np.cov(at_min.T), np.cov(far.T)
    np.testing.assert_allclose(at_min.mean(0), 0.0, atol=0.1)  # unbiased: the full gradient is 0 there
    eig = np.linalg.eigvalsh(cov_min)
    assert eig[1] / eig[0] > 20  # anisotropic, not the isotropic Gaussian of the noise slider
    assert np.trace(cov_far) > 3 * np.trace(cov_min)  # state-dependent


def test_each_minibatchs_own_minimizer():
    tips = surfaces.get("tips_linear", batch=8)
    rows = tips.stochastic.batches(0, 5)
    w = tips.stochastic.batch_minimizer(rows)
    design, target = data._tips()
    for r, wk in zip(rows, w):
        np.testing.assert_allclose(wk, np.linalg.lstsq(design[r], target[r], rcond=None)[0], rtol=1e-8)
    iris = surfaces.get("iris_logistic", batch=40)
    rows = iris.stochastic.batches(0, 4)
    w = iris.stochastic.batch_minimizer(rows)
    ok = np.isfinite(w).all(1)
    assert ok.any()
    np.testing.assert_allclose(iris.stochastic.batch_grad(w[ok], rows[ok]), 0.0, atol=1e-8)
    single = iris.stochastic.batch_minimizer(np.array([[0], [5]]))  # one flower is always separable: no minimizer
    assert np.isnan(single).all()
    assert np.isnan(tips.stochastic.batch_minimizer(np.array([[3]]))).all()  # one meal cannot fix a line


def test_the_loss_scale_scales_the_minibatch_gradients_too():
    plain = optimizers.run("gd", surfaces.get("tips_linear", batch=8), (3.0, -0.5), 1, lr=0.01, seed=1)
    scaled = optimizers.run("gd", surfaces.get("tips_linear", batch=8, scale=10.0), (3.0, -0.5), 1, lr=0.01,
                            seed=1)
    np.testing.assert_allclose(scaled.grad_used, 10 * plain.grad_used, rtol=1e-12)


def test_the_batch_size_is_a_checked_whole_number():
    with pytest.raises(ValueError, match="Invalid batch size: 0"):
        surfaces.get("tips_linear", batch=0)
    with pytest.raises(ValueError, match="Invalid batch size: 245"):
        surfaces.get("tips_linear", batch=245)
    with pytest.raises(ValueError, match="whole number"):
        surfaces.get("iris_logistic", batch=2.5)
