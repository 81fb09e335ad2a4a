r"""Real data, true minibatch noise: two-parameter models on small data sets shipped
inside an installed package (plotly's bundled iris and tips CSVs, read from its
package data with the standard library: no download, and plotly itself is not imported).

* ``iris_logistic``: logistic regression without intercept telling *virginica* (+1)
  from *versicolor* (-1) by sepal length and width, standardised over those 100
  flowers: :math:`L(w) = \frac1N\sum_i \log(1 + e^{-t_i\, a_i\cdot w})`.
* ``tips_linear``: least squares of the tip on the bill,
  :math:`\text{tip} \approx w_1 + w_2\,(\text{bill}/\$10)` over 244 meals:
  :math:`L(w) = \frac1{2N}\sum_i (a_i\cdot w - t_i)^2` with :math:`a_i = (1, \text{bill}_i/10)`.

The contour is the full-batch loss. The ``batch`` parameter (1 to N) is the minibatch
size the optimizer samples its gradients with, as a PyTorch
``DataLoader(shuffle=True, drop_last=True)`` does: each epoch a fresh permutation of the
rows, cut into consecutive batches (the N mod batch rows left over sit that epoch out),
drawn from
``numpy.random.default_rng([seed, 1])`` (the seed of the run; the Gaussian noise slider
uses ``default_rng(seed)``, another stream). At ``batch = N`` every gradient is the
full one. The noise is the data's own: anisotropic, and larger far from the minimum.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import math
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np

from descent_lab.optimizers.hyperparams import HyperParam

from .base import Kernels, Surface, SurfaceEntry

__all__ = ["GLM", "MinibatchView", "minibatch_view", "read_dataset", "ENTRIES", "iris_logistic", "tips_linear", "CLOUD",
           "BATCH_STREAM"]

BATCH_STREAM = 1
"""The minibatches of a run with seed s come from ``default_rng([s, BATCH_STREAM])``."""
CLOUD_STREAM = 2
CLOUD = 16
"""Minibatches sampled at a point to show the cloud of their gradients."""
NEWTON_STEPS = 40
VIEW_FRAMES = 300
"""Most frames a run's minibatch view (cloud, minibatch minimizers) is computed at."""


def _datasets_dir() -> str:
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("plotly is not installed: its bundled data sets are missing")
    return os.path.join(spec.submodule_search_locations[0], "package_data", "datasets")


@lru_cache(maxsize=4)
def read_dataset(name: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The header and rows of one of plotly's bundled CSV data sets (``iris``, ``tips``)."""
    with gzip.open(os.path.join(_datasets_dir(), f"{name}.csv.gz"), "rt", newline="") as handle:
        rows = list(csv.reader(handle))
    return tuple(rows[0]), tuple(tuple(r) for r in rows[1:])


def _columns(name: str, *wanted: str) -> list[np.ndarray]:
    header, rows = read_dataset(name)
    index = [header.index(w) for w in wanted]
    return [np.array([r[i] for r in rows]) for i in index]


def _expit(u):
    return 0.5 * (1.0 + np.tanh(0.5 * u))


@dataclass(frozen=True, eq=False)
class GLM:
    """A two-parameter model on N rows: ``design`` (N, 2) and ``target`` (N,) (labels
    ±1 for the logistic loss, values for the squared loss), sampled in batches of
    ``batch``; ``scale`` multiplies the loss (the page's loss scale)."""

    kind: Literal["logistic", "linear"]
    design: np.ndarray
    target: np.ndarray
    batch: int
    scale: float = 1.0

    @property
    def size(self) -> int:
        return len(self.target)

    @property
    def minibatched(self) -> bool:
        return self.batch < self.size

    @property
    def sampled(self) -> bool:
        """Whether the runners draw its gradients (minibatches) instead of the full one."""
        return self.minibatched

    def scaled(self, c: float) -> "GLM":
        return replace(self, scale=self.scale * c)

    # ---------------------------------------------------------------- the loss
    def loss(self, w) -> np.ndarray:
        """The full-batch loss at points ``w`` (..., 2)."""
        w = np.asarray(w, dtype=float)
        if self.kind == "linear":  # a quadratic: its sufficient statistics
            a, t = self.design, self.target
            r = w @ a.T - t
            return self.scale * 0.5 * np.mean(r * r, axis=-1)
        return self.scale * np.mean(np.logaddexp(0.0, -self.target * (w @ self.design.T)), axis=-1)

    def _weights(self, z, t):
        """d loss / d z per row (the residual's role) and d² loss / d z²."""
        if self.kind == "linear":
            return z - t, np.ones_like(z)
        p = _expit(-t * z)
        return -t * p, p * (1.0 - p)

    def grad(self, w) -> np.ndarray:
        w = np.asarray(w, dtype=float)
        d1, _ = self._weights(w @ self.design.T, self.target)
        return self.scale * (d1 @ self.design) / self.size

    def hess(self, w) -> np.ndarray:
        w = np.asarray(w, dtype=float)
        _, d2 = self._weights(w @ self.design.T, self.target)
        a = self.design
        return self.scale * np.einsum("...i,ij,ik->...jk", d2, a, a) / self.size

    def batch_grad(self, w, rows) -> np.ndarray:
        """The gradient of the loss over the rows ``rows`` (..., b) at ``w`` (..., 2)."""
        w = np.asarray(w, dtype=float)
        a = self.design[rows]  # (..., b, 2)
        z = np.einsum("...j,...ij->...i", w, a)
        d1, _ = self._weights(z, self.target[rows])
        return self.scale * np.einsum("...i,...ij->...j", d1, a) / np.shape(rows)[-1]

    def batch_minimizer(self, rows) -> np.ndarray:
        """(..., 2) the minimizer of each batch's own loss; NaN where it has none (a
        logistic batch its two classes do not overlap in, or a batch too small to fix
        two parameters)."""
        a, t = self.design[rows], self.target[rows]
        if self.kind == "linear":
            h = np.einsum("...ij,...ik->...jk", a, a)
            rhs = np.einsum("...ij,...i->...j", a, t)
            det = h[..., 0, 0] * h[..., 1, 1] - h[..., 0, 1] ** 2
            ok = det > 1e-9 * np.maximum(h[..., 0, 0] * h[..., 1, 1], 1e-300)
            safe = np.where(ok[..., None, None], h, np.eye(2))
            return np.where(ok[..., None], np.linalg.solve(safe, rhs[..., None])[..., 0], np.nan)
        w = np.zeros(np.shape(rows)[:-1] + (2,))
        with np.errstate(all="ignore"):
            for _ in range(NEWTON_STEPS):
                z = np.einsum("...j,...ij->...i", w, a)
                d1, d2 = self._weights(z, t)
                g = np.einsum("...i,...ij->...j", d1, a)
                h = np.einsum("...i,...ij,...ik->...jk", d2, a, a) + 1e-12 * np.eye(2)
                w = w - np.linalg.solve(h, g[..., None])[..., 0]
            z = np.einsum("...j,...ij->...i", w, a)
            d1, d2 = self._weights(z, t)
            g = np.einsum("...i,...ij->...j", d1, a) / np.shape(rows)[-1]
            # a separable batch has no minimizer: Newton runs off to where its curvature vanishes
            h = np.einsum("...i,...ij,...ik->...jk", d2, a, a)
            moment = np.einsum("...ij,...ij->...", a, a)
            flat = np.linalg.eigvalsh(h)[..., 0] <= 1e-6 * moment
        ok = np.isfinite(w).all(-1) & (np.linalg.norm(g, axis=-1) < 1e-8) & ~flat
        return np.where(ok[..., None], w, np.nan)

    # ---------------------------------------------------------------- sampling
    def batches(self, seed, steps: int) -> np.ndarray:
        """(steps, batch) the rows of each step's minibatch: epochs of permutations cut
        into ``N // batch`` batches each (drop_last)."""
        rng = np.random.default_rng([int(seed), BATCH_STREAM])
        n, b = self.size, self.batch
        per_epoch = n // b
        epochs = math.ceil(max(steps, 1) / per_epoch)
        perms = np.stack([rng.permutation(n)[: per_epoch * b] for _ in range(epochs)])
        return perms.reshape(epochs * per_epoch, b)[:steps]

    def sampler(self, seed, steps: int):
        """A gradient for :func:`optimizers.run`: its k-th call is step k's minibatch
        gradient at ``(x, y)`` (floats)."""
        rows = self.batches(seed, steps)
        state = {"k": 0}

        def grad(x, y):
            k = state["k"]
            state["k"] = k + 1
            g = self.batch_grad(np.array([x, y]), rows[min(k, len(rows) - 1)])
            return float(g[0]), float(g[1])

        return grad

    def array_sampler(self, seeds, steps: int):
        """The same for :func:`optimizers.run_batch`: run ``b`` draws with ``seeds[b]``."""
        rows = np.stack([self.batches(s, steps) for s in seeds], axis=1)  # (steps, B, batch)
        state = {"k": 0}

        def grad(x, y):
            k = state["k"]
            state["k"] = k + 1
            g = self.batch_grad(np.stack([x, y], -1), rows[min(k, len(rows) - 1)])
            return g[..., 0], g[..., 1]

        return grad

    def cloud(self, w, seed, count: int = CLOUD) -> np.ndarray:
        """(n, count, 2) the gradients of ``count`` fresh random minibatches at each
        point of ``w`` (n, 2): the spread the optimizer's gradient is drawn from there."""
        w = np.asarray(w, dtype=float)
        rng = np.random.default_rng([int(seed), CLOUD_STREAM])
        rows = np.argsort(rng.random((len(w), count, self.size)), axis=-1)[..., :self.batch]
        return self.batch_grad(np.broadcast_to(w[:, None, :], (len(w), count, 2)), rows)


def _kernels(model: GLM) -> tuple[Kernels, Kernels]:
    def vf(x, y):
        return model.loss(np.stack(np.broadcast_arrays(x, y), -1))

    def vg(x, y):
        g = model.grad(np.stack(np.broadcast_arrays(x, y), -1))
        return g[..., 0], g[..., 1]

    def vh(x, y):
        h = model.hess(np.stack(np.broadcast_arrays(x, y), -1))
        return h[..., 0, 0], h[..., 0, 1], h[..., 1, 1]

    def sf(x, y):
        return float(vf(np.float64(x), np.float64(y)))

    def sg(x, y):
        g = model.grad(np.array([x, y], dtype=float))
        return float(g[0]), float(g[1])

    def sh(x, y):
        h = model.hess(np.array([x, y], dtype=float))
        return float(h[0, 0]), float(h[0, 1]), float(h[1, 1])

    return Kernels(f=sf, grad=sg, hess=sh), Kernels(f=vf, grad=vg, hess=vh)


def _minimize(model: GLM) -> np.ndarray:
    w = np.zeros(2)
    for _ in range(NEWTON_STEPS):
        w = w - np.linalg.solve(model.hess(w), model.grad(w))
    return w


@dataclass(frozen=True)
class MinibatchView:
    """What a run's minibatches look like along its path, every ``stride`` updates
    (``frames``, update indices): ``cloud`` (m, CLOUD, 2) the moves ``-lr * g`` of
    fresh minibatches from the run's point there, ``full`` (m, 2) the full batch's move,
    ``minimizer`` (m, 2) the minimizer of the minibatch the run used at that update
    (NaN when it has none), and ``spread`` the RMS of the minibatch gradients' distance
    from the full one over its RMS length: the noise-to-signal ratio."""

    stride: int
    frames: np.ndarray
    cloud: np.ndarray
    full: np.ndarray
    minimizer: np.ndarray
    spread: float


def minibatch_view(model: GLM, xy, lrs, seed, frames: int = VIEW_FRAMES) -> MinibatchView:
    """The minibatch view of a run: its path ``xy`` (n+1, 2), learning rates ``lrs``
    (n,) and ``seed`` (the batches it was given are the same ``model.batches(seed, n)``)."""
    n = len(xy) - 1
    stride = max(1, math.ceil(n / frames)) if n else 1
    at = np.arange(0, n, stride)
    if not at.size:
        empty = np.zeros((0, 2))
        return MinibatchView(stride, at, np.zeros((0, CLOUD, 2)), empty, empty, math.nan)
    lr = np.asarray(lrs, dtype=float)[at]
    points = np.asarray(xy, dtype=float)[at]
    grads = model.cloud(points, seed)
    full = model.grad(points)
    minimizer = model.batch_minimizer(model.batches(seed, n)[at])
    spread = float(np.sqrt(np.mean(np.sum((grads - full[:, None]) ** 2, -1)) / np.mean(np.sum(full ** 2, -1))))
    return MinibatchView(stride, at, -lr[:, None, None] * grads, -lr[:, None] * full, minimizer, spread)


# A data surface's gradient is a NumPy call over its rows (its minibatch: gathered first): 21 to
# 39 us per gradient-descent step on iris and tips at any batch size (minimum of three runs),
# about 20 times Rosenbrock's 1.2 us. Its size for budgets, in formula nodes (optimizers.cost),
# counts about twice that, as the formula surfaces' sizes do.
DATA_GRAD_NODES = 10_000


def _surface(key, label, model, formula, description, bounds, start, hints) -> Surface:
    scalar, vector = _kernels(model)
    w_star = _minimize(model)
    return Surface(
        key=key, label=label, formula=formula, bounds=bounds, minimizers=(tuple(float(v) for v in w_star),),
        min_value=float(model.loss(w_star)), start=start, scalar=scalar, vector=vector,
        description=description, params={"batch": model.batch}, lr_hints=hints,
        expression="", grad_size=DATA_GRAD_NODES, hess_size=DATA_GRAD_NODES, stochastic=model,
    )


@lru_cache(maxsize=1)
def _iris() -> tuple[np.ndarray, np.ndarray]:
    length, width, species = _columns("iris", "sepal_length", "sepal_width", "species")
    keep = species != "setosa"
    x = np.stack([length[keep].astype(float), width[keep].astype(float)], axis=1)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x, np.where(species[keep] == "virginica", 1.0, -1.0)


@lru_cache(maxsize=1)
def _tips() -> tuple[np.ndarray, np.ndarray]:
    bill, tip = _columns("tips", "total_bill", "tip")
    return np.stack([np.ones(len(bill)), bill.astype(float) / 10.0], axis=1), tip.astype(float)


def iris_logistic(batch: int = 100) -> Surface:
    design, target = _iris()
    model = GLM(kind="logistic", design=design, target=target, batch=int(batch))
    return _surface(
        "iris_logistic", "Iris: logistic regression", model,
        r"L(w) = \tfrac1N \textstyle\sum_i \log\bigl(1 + e^{-t_i\,(w_1 \ell_i + w_2 s_i)}\bigr)",
        f"Telling virginica from versicolor (100 iris flowers, plotly's bundled data) by sepal length ℓ and "
        f"width s, standardised; no intercept. The optimizer sees the loss of a minibatch of {batch} of the "
        f"{model.size} flowers each step{'' if model.minibatched else ' (here all of them: the full gradient)'}.",
        ((-2.0, 4.0), (-3.0, 3.0)), (-1.5, 2.5), {"gradient": 2.0, "normalized": 0.05},
    )


def tips_linear(batch: int = 244) -> Surface:
    design, target = _tips()
    model = GLM(kind="linear", design=design, target=target, batch=int(batch))
    return _surface(
        "tips_linear", "Tips: linear regression", model,
        r"L(w) = \tfrac1{2N} \textstyle\sum_i \bigl(w_1 + w_2\,b_i/10 - \text{tip}_i\bigr)^2",
        f"The tip against the bill b (244 meals, plotly's bundled data), in dollars and tens of dollars: a "
        f"ravine turned by the bill's mean. The optimizer sees the loss of a minibatch of {batch} of the "
        f"{model.size} meals each step{'' if model.minibatched else ' (here all of them: the full gradient)'}.",
        ((-2.0, 4.0), (-1.0, 3.0)), (3.0, -0.5), {"gradient": 0.3, "normalized": 0.05},
    )


def _batch_param(size: int) -> HyperParam:
    return HyperParam(name="batch", label="batch size", default=size, low=1, high=size, kind="int",
                      help=f"Rows per minibatch, 1 to {size} (all of them: the full gradient). Seeded by the run's "
                           "seed, epoch by epoch as a shuffled DataLoader.",
                      error="Invalid batch size: {}")


ENTRIES: dict[str, SurfaceEntry] = {
    "iris_logistic": SurfaceEntry(key="iris_logistic", label="Iris: logistic regression",
                                  description="Real data: minibatch gradients of a classifier.",
                                  params=(_batch_param(100),), build=iris_logistic),
    "tips_linear": SurfaceEntry(key="tips_linear", label="Tips: linear regression",
                                description="Real data: minibatch gradients of a least-squares fit.",
                                params=(_batch_param(244),), build=tips_linear),
}
"""The data surfaces, in the app's order (after the formula surfaces)."""
