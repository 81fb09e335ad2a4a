"""Surfaces: parametrized over the registry, so a new surface is tested by adding it."""

import math

import numpy as np
import pytest

from descent_lab import surfaces
from descent_lab.surfaces import REGISTRY

KEYS = list(REGISTRY)
# Parameterised surfaces are also tested away from their defaults.
VARIANTS = [(k, {}) for k in KEYS] + [
    ("valley", {"condition": 200.0, "angle": 30.0}),
    ("valley", {"condition": 1.0, "angle": 90.0}),
    ("rosenbrock", {"a": 1.5, "b": 10.0}),
]
IDS = [f"{k}-{'-'.join(f'{n}{v:g}' for n, v in p.items())}" if p else k for k, p in VARIANTS]


def _sample(surface, n=40, seed=0):
    """Points inside the bounds (away from Ackley's non-differentiable centre)."""
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surface.bounds
    pts = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    return pts[np.linalg.norm(pts, axis=1) > 1e-2]


@pytest.fixture(params=VARIANTS, ids=IDS)
def surface(request):
    key, params = request.param
    return surfaces.get(key, **params)


def test_gradient_matches_central_differences(surface):
    pts = _sample(surface)
    h = 1e-6
    ex, ey = np.array([h, 0.0]), np.array([0.0, h])
    num = np.stack([(surface.f(pts + ex) - surface.f(pts - ex)) / (2 * h),
                    (surface.f(pts + ey) - surface.f(pts - ey)) / (2 * h)], -1)
    scale = 1 + np.abs(num)
    np.testing.assert_array_less(np.abs(surface.grad(pts) - num) / scale, 1e-5)


def test_hessian_matches_central_differences_of_gradient(surface):
    pts = _sample(surface)
    h = 1e-6
    cols = []
    for e in (np.array([h, 0.0]), np.array([0.0, h])):
        cols.append((surface.grad(pts + e) - surface.grad(pts - e)) / (2 * h))
    num = np.stack(cols, -1)  # num[..., i, j] = d g_i / d x_j
    hess = surface.hess(pts)
    np.testing.assert_array_less(np.abs(hess - num) / (1 + np.abs(num)), 1e-4)
    np.testing.assert_array_equal(hess[..., 0, 1], hess[..., 1, 0])


def test_scalar_kernels_agree_with_vector_kernels(surface):
    for x, y in _sample(surface, n=10):
        assert surface.scalar.f(x, y) == pytest.approx(surface.f([x, y]), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(surface.scalar.grad(x, y), surface.grad([x, y]), 1e-12, 1e-12)
        h = surface.hess([x, y])
        np.testing.assert_allclose(surface.scalar.hess(x, y), [h[0, 0], h[0, 1], h[1, 1]],
                                   1e-12, 1e-12)


def test_minimizers_have_the_minimum_value_and_zero_gradient(surface):
    if surface.min_value is None:
        assert surface.minimizers == () and surface.unbounded_below
        return
    assert surface.minimizers, "a bounded surface lists its global minimizers"
    mins = np.asarray(surface.minimizers)
    np.testing.assert_allclose(surface.f(mins), surface.min_value, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(surface.grad(mins), 0.0, atol=1e-7)
    (x0, x1), (y0, y1) = surface.bounds
    assert ((x0 <= mins[:, 0]) & (mins[:, 0] <= x1) & (y0 <= mins[:, 1]) & (mins[:, 1] <= y1)).all()


def test_nothing_on_a_dense_grid_is_below_the_minimum(surface):
    (x0, x1), (y0, y1) = surface.bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, 401), np.linspace(y0, y1, 401))
    values = surface.f(np.stack([gx, gy], -1))
    assert np.isfinite(values).all()
    if surface.min_value is None:
        # unbounded below: the grid already shows values under f(start) (far under, but for the
        # edge-of-stability surface, whose pull -c x falls away slowly)
        assert values.min() < surface.f(surface.start) - (1 if surface.key != "edge_of_stability" else 0.1)
    else:
        assert values.min() >= surface.min_value - 1e-9 * (1 + abs(surface.min_value))


@pytest.mark.parametrize("shape", [(), (7,), (3, 5)])
def test_shape_contract(surface, shape):
    xy = np.zeros(shape + (2,)) + np.asarray(surface.start)
    assert surface.f(xy).shape == shape
    assert surface.grad(xy).shape == shape + (2,)
    assert surface.hess(xy).shape == shape + (2, 2)


def test_start_is_inside_bounds_and_text_is_generated(surface):
    (x0, x1), (y0, y1) = surface.bounds
    sx, sy = surface.start
    assert x0 <= sx <= x1 and y0 <= sy <= y1
    assert surface.formula and surface.description and surface.label
    assert "x ∈" in surface.domain_text
    if surface.unbounded_below:
        assert "unbounded below" in surface.minimum_text
    else:
        assert f"{surface.min_value:.6g}" in surface.minimum_text


def test_registry_order_and_keys_are_stable():
    expected = {"valley", "bowl", "saddle", "rosenbrock", "beale", "himmelblau", "rastrigin",
                "ackley", "booth", "six_hump_camel", "goldstein_price"}
    assert expected <= set(KEYS)
    assert KEYS[0] == "valley"


def test_himmelblau_has_four_minima_and_camel_two():
    assert len(surfaces.get("himmelblau").minimizers) == 4
    assert len(surfaces.get("six_hump_camel").minimizers) == 2


def test_valley_condition_number_and_rotation():
    for kappa, angle in [(10.0, 0.0), (100.0, 30.0), (1000.0, 90.0)]:
        s = surfaces.get("valley", condition=kappa, angle=angle)
        eig, vec = np.linalg.eigh(s.hess([1.0, -2.0]))
        assert eig.max() / eig.min() == pytest.approx(kappa, rel=1e-9)
        shallow = vec[:, 0]  # eigenvector of the smallest curvature: the ravine's axis
        t = math.radians(angle)
        assert abs(shallow @ [math.cos(t), math.sin(t)]) == pytest.approx(1.0, abs=1e-9)
    flat = surfaces.get("valley", angle=0.0).hess([0.3, 0.2])
    assert flat[0, 1] == 0.0  # angle 0 is exactly axis-aligned


def test_rosenbrock_parameters_move_the_minimum():
    s = surfaces.get("rosenbrock", a=1.5, b=10.0)
    assert s.minimizers == ((1.5, 2.25),)
    assert s.f([1.5, 2.25]) == 0.0


def test_loss_scale_multiplies_f_grad_and_hess():
    base, scaled = surfaces.get("booth"), surfaces.get("booth", scale=10.0)
    p = np.array([0.3, -1.2])
    assert scaled.f(p) == pytest.approx(10 * base.f(p))
    np.testing.assert_allclose(scaled.grad(p), 10 * base.grad(p))
    np.testing.assert_allclose(scaled.hess(p), 10 * base.hess(p))
    assert scaled.scalar.grad(*p) == pytest.approx(tuple(10 * base.grad(p)))
    assert scaled.minimizers == base.minimizers and scaled.min_value == 0.0


@pytest.mark.parametrize("call, message", [
    (lambda: surfaces.get("nope"), "Unknown surface 'nope'"),
    (lambda: surfaces.get(None), "Unknown surface None"),
    (lambda: surfaces.get("valley", condition=0.5), "Invalid condition value: 0.5"),
    (lambda: surfaces.get("valley", condition=float("nan")), "Invalid condition value: nan"),
    (lambda: surfaces.get("valley", angle="45"), "Invalid angle value: '45'"),
    (lambda: surfaces.get("valley", kappa=3), "Unknown parameter 'kappa'"),
    (lambda: surfaces.get("bowl", a=1), "Unknown parameter 'a' for surface bowl"),
    (lambda: surfaces.get("rosenbrock", b=1e9), "Invalid b value: 1000000000.0"),
    (lambda: surfaces.get("bowl", scale=0.0), "Invalid loss scale: 0.0"),
    (lambda: surfaces.get("bowl", scale=True), "Invalid loss scale: True"),
])
def test_invalid_surface_requests_are_refused_clearly(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_distance_to_minimum_picks_the_nearest():
    s = surfaces.get("himmelblau")
    d = s.distance_to_minimum(np.array([[3.0, 2.5], [-3.7, -3.3]]))
    assert d[0] == pytest.approx(0.5)
    assert d[1] < 0.1
    assert np.isnan(surfaces.get("saddle").distance_to_minimum([0.0, 0.0]))
