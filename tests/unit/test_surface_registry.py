"""The surfaces registry: every entry (the typed one too) through surfaces.get, typed
refusals that say which parameter was refused, and the loss scale on every surface."""

import numpy as np
import pytest

from descent_lab import surfaces
from descent_lab.optimizers.hyperparams import HyperParam
from descent_lab.surfaces import (
    ENTRIES,
    REGISTRY,
    BoundsError,
    ExpressionError,
    RegionError,
    SurfaceError,
    from_expression,
)
from descent_lab.surfaces.expression import DEFAULT_BOUNDS, EXAMPLE, MAX_LENGTH

TEXT = "sin(x)*cos(y) + 0.1*(x**2 + y**2)"


def test_entries_are_the_formula_surfaces_then_data_online_n_dimensional_then_the_typed_one():
    assert list(ENTRIES) == [*REGISTRY, *surfaces.data.ENTRIES, *surfaces.online.ENTRIES,
                             *surfaces.highdim.ENTRIES, "custom"]
    custom = ENTRIES["custom"]
    assert [p.name for p in custom.params] == ["expression", "xmin", "xmax", "ymin", "ymax"]
    text = custom.params[0]
    assert text.kind == "text" and text.default == EXAMPLE and text.high == MAX_LENGTH
    assert [p.default for p in custom.params[1:]] == [v for pair in DEFAULT_BOUNDS for v in pair]


@pytest.mark.parametrize("key", list(ENTRIES))
def test_every_entry_builds_with_its_defaults_and_round_trips_through_its_params(key):
    entry = ENTRIES[key]
    surface = surfaces.get(key, **{p.name: p.default for p in entry.params})
    assert surface.key == key
    for scale in (1.0, 3.0):
        s = surfaces.get(key, scale=scale)
        again = surfaces.get(s.key, **s.params)  # params carry everything, the scale too
        p = np.array([0.37, -0.81])
        assert again.f(p) == pytest.approx(s.f(p), rel=1e-14)
        assert again.bounds == s.bounds


def test_the_typed_surface_is_built_by_from_expression_and_cached():
    s = surfaces.get("custom", expression=TEXT, xmin=-3, xmax=4, ymin=-2, ymax=2)
    assert s is from_expression(TEXT, ((-3.0, 4.0), (-2.0, 2.0)))  # one cache, not two
    assert s.bounds == ((-3.0, 4.0), (-2.0, 2.0)) and s.expression == TEXT
    assert s.params == {"expression": TEXT, "xmin": -3.0, "xmax": 4.0, "ymin": -2.0, "ymax": 2.0}
    assert surfaces.get("custom", expression=TEXT).bounds == DEFAULT_BOUNDS


def test_the_loss_scale_applies_to_the_typed_surface_as_to_any_other():
    base = surfaces.get("custom", expression=TEXT)
    scaled = surfaces.get("custom", expression=TEXT, scale=10.0)
    p = np.array([0.3, -1.2])
    assert scaled.f(p) == pytest.approx(10 * base.f(p))
    np.testing.assert_allclose(scaled.grad(p), 10 * base.grad(p))
    np.testing.assert_allclose(scaled.hess(p), 10 * base.hess(p))
    assert scaled.scalar.grad(*p) == pytest.approx(tuple(10 * base.grad(p)))
    assert scaled.params["scale"] == 10.0 and "scale" not in base.params
    with pytest.raises(SurfaceError) as err:
        surfaces.get("custom", expression=TEXT, scale=0.0)
    assert err.value.fields == ("scale",) and str(err.value).startswith("Invalid loss scale: 0.0")


# (params, class, fields, the same text from_expression gives, or None)
REFUSALS = [
    ({"expression": "x +"}, ExpressionError, ("expression",), ("x +", None)),
    ({"expression": "__import__('os')"}, ExpressionError, ("expression",), ("__import__('os')", None)),
    ({"expression": 5}, ExpressionError, ("expression",), (5, None)),
    ({"expression": "x" * (MAX_LENGTH + 1)}, ExpressionError, ("expression",), ("x" * (MAX_LENGTH + 1), None)),
    ({"expression": "3"}, ExpressionError, ("expression",), ("3", None)),
    ({"xmin": 3, "xmax": 1}, BoundsError, ("xmin", "xmax"), (EXAMPLE, ((3, 1), (-5, 5)))),
    ({"ymin": float("nan")}, BoundsError, ("ymin", "ymax"), (EXAMPLE, ((-5, 5), (float("nan"), 5)))),
    ({"xmax": "7"}, BoundsError, ("xmin", "xmax"), (EXAMPLE, ((-5, "7"), (-5, 5)))),
    ({"ymax": 1e7}, BoundsError, ("ymin", "ymax"), (EXAMPLE, ((-5, 5), (-5, 1e7)))),
    ({"expression": "log(x)", "xmin": -5, "xmax": -1}, RegionError,
     ("expression", "xmin", "xmax", "ymin", "ymax"), ("log(x)", ((-5, -1), (-5, 5)))),
]


@pytest.mark.parametrize("params, cls, fields, direct", REFUSALS)
def test_refusals_say_which_field_was_refused(params, cls, fields, direct):
    with pytest.raises(cls) as err:
        surfaces.get("custom", **params)
    assert isinstance(err.value, ValueError) and err.value.fields == fields
    text, bounds = direct
    with pytest.raises(cls) as same:
        from_expression(text, bounds)
    assert str(same.value) == str(err.value)  # every existing message kept
    assert same.value.fields == fields


def test_a_region_error_is_about_the_bounds_and_the_expression_at_once():
    assert issubclass(RegionError, BoundsError) and issubclass(RegionError, ExpressionError)
    assert not issubclass(BoundsError, ExpressionError)
    assert issubclass(ExpressionError, SurfaceError) and issubclass(SurfaceError, ValueError)


@pytest.mark.parametrize("call, fields", [
    (lambda: surfaces.get("nope"), ("key",)),
    (lambda: surfaces.get("valley", condition=0.5), ("condition",)),
    (lambda: surfaces.get("valley", kappa=3), ("kappa",)),
    (lambda: surfaces.get("custom", bounds=((0, 1), (0, 1))), ("bounds",)),
    (lambda: surfaces.get("bowl", scale=-1.0), ("scale",)),
])
def test_every_refusal_of_get_names_its_field(call, fields):
    with pytest.raises(SurfaceError) as err:
        call()
    assert err.value.fields == fields


def test_text_parameters_take_strings_up_to_their_length():
    p = HyperParam(name="expression", label="f", default="x", kind="text", high=5,
                   error="Invalid expression: {}")
    assert p.validate("x**2") == "x**2"
    with pytest.raises(ValueError, match=r"Invalid expression: 6 characters \(expected text of at most 5"):
        p.validate("x" * 6)
    with pytest.raises(ValueError, match="Invalid expression: 3"):
        p.validate(3)
    with pytest.raises(ValueError):
        HyperParam(name="t", label="t", default="too long", kind="text", high=3)
