"""A surface the user types: surfaces.from_expression.

Good inputs are checked against values and gradients written out by hand with
the math module; hostile and malformed inputs against the message they must get;
hypothesis fuzzes random text and random formulas from the grammar. The limits
are tested structurally (what is never reached), not with a clock.
"""

import ast
import builtins
import math
import re
import sys
import types

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from descent_lab import surfaces
from descent_lab.optimizers import runner
from descent_lab.surfaces import expression as E
from descent_lab.surfaces import from_expression

# ------------------------------------------------------------------ good inputs

sin, cos, tan, exp, log, sqrt = math.sin, math.cos, math.tan, math.exp, math.log, math.sqrt

# (text, f, gradient, points): f and the gradient written out by hand.
GOOD = [
    ("sin(x)*cos(y) + 0.1*(x**2 + y**2)",
     lambda x, y: sin(x) * cos(y) + 0.1 * (x * x + y * y),
     lambda x, y: (cos(x) * cos(y) + 0.2 * x, -sin(x) * sin(y) + 0.2 * y), None),
    ("x^2 + 3*y^2", lambda x, y: x * x + 3 * y * y, lambda x, y: (2 * x, 6 * y), None),
    ("x^2 + 1", lambda x, y: x * x + 1, lambda x, y: (2 * x, 0.0), None),  # not x**3
    ("x^3^2", lambda x, y: x**9, lambda x, y: (9 * x**8, 0.0), [(1.1, 0.0), (-0.9, 2.0)]),
    ("(1 - x)^2 + 100*(y - x^2)^2",
     lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
     lambda x, y: (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)), None),
    ("exp(-(x**2 + y**2)/4)",
     lambda x, y: exp(-(x * x + y * y) / 4),
     lambda x, y: (-x / 2 * exp(-(x * x + y * y) / 4), -y / 2 * exp(-(x * x + y * y) / 4)), None),
    ("log(1 + x**2) + sqrt(1 + y**2)",
     lambda x, y: log(1 + x * x) + sqrt(1 + y * y),
     lambda x, y: (2 * x / (1 + x * x), y / sqrt(1 + y * y)), None),
    ("ln(x) + y", lambda x, y: log(x) + y, lambda x, y: (1 / x, 1.0), [(0.5, 1.0), (3.0, -2.0)]),
    ("atan2(y, x + 10)",
     lambda x, y: math.atan2(y, x + 10),
     lambda x, y: (-y / ((x + 10) ** 2 + y * y), (x + 10) / ((x + 10) ** 2 + y * y)), None),
    ("tanh(x)*cosh(y/3)",
     lambda x, y: math.tanh(x) * math.cosh(y / 3),
     lambda x, y: ((1 - math.tanh(x) ** 2) * math.cosh(y / 3), math.tanh(x) * math.sinh(y / 3) / 3),
     None),
    ("asin(x/10) + acos(y/10) + asinh(x) + atanh(y/10) + atan(x*y)",
     lambda x, y: (math.asin(x / 10) + math.acos(y / 10) + math.asinh(x) + math.atanh(y / 10)
                   + math.atan(x * y)),
     lambda x, y: (1 / sqrt(100 - x * x) + 1 / sqrt(1 + x * x) + y / (1 + (x * y) ** 2),
                   -1 / sqrt(100 - y * y) + 10 / (100 - y * y) + x / (1 + (x * y) ** 2)), None),
    ("acosh(2 + x**2) - sinh(y/2)",
     lambda x, y: math.acosh(2 + x * x) - math.sinh(y / 2),
     lambda x, y: (2 * x / sqrt((2 + x * x) ** 2 - 1), -math.cosh(y / 2) / 2), None),
    ("x**y", lambda x, y: x**y, lambda x, y: (y * x ** (y - 1), x**y * log(x)),
     [(0.5, 1.5), (2.0, -1.0), (3.0, 0.25)]),
    ("2^-x + e**y*pi", lambda x, y: 2**-x + math.e**y * math.pi,
     lambda x, y: (-log(2) * 2**-x, math.e**y * math.pi), None),
    ("x^2^0.5", lambda x, y: x ** (2**0.5), lambda x, y: (2**0.5 * x ** (2**0.5 - 1), 0.0),
     [(0.5, 0.0), (2.0, 1.0)]),
    ("abs(x) + max(y, 0)**2", lambda x, y: abs(x) + max(y, 0) ** 2,
     lambda x, y: (math.copysign(1, x), 2 * max(y, 0)), [(1.5, 2.0), (-1.5, -2.0), (0.3, 0.7)]),
    ("min(x, y) + max(x*y, 1)", lambda x, y: min(x, y) + max(x * y, 1),
     lambda x, y: ((1 if x < y else 0) + (y if x * y > 1 else 0),
                   (0 if x < y else 1) + (x if x * y > 1 else 0)),
     [(1.5, 2.0), (-1.5, -2.0), (0.3, 0.7), (3.0, -1.0)]),
    # SymPy keeps this as Max(x, Min(E, pi)), a constant min inside a max
    ("min(max(x, pi), max(x, e))", lambda x, y: max(x, math.e),
     lambda x, y: (1.0 if x > math.e else 0.0, 0.0), [(1.0, 0.0), (3.5, 1.0), (-2.0, 2.0)]),
    ("\u2212x + \u03c0*y \u00d7 2", lambda x, y: -x + math.pi * y * 2,
     lambda x, y: (-1.0, 2 * math.pi), None),
    ("1_000*x + .5*y + 2.*x*y", lambda x, y: 1000 * x + 0.5 * y + 2 * x * y,
     lambda x, y: (1000 + 2 * y, 0.5 + 2 * x), None),
    ("- - x + + y - -(-y)", lambda x, y: x, lambda x, y: (1.0, 0.0), None),
    ("x - (y - (x - y))", lambda x, y: 2 * x - 2 * y, lambda x, y: (2.0, -2.0), None),
    ("x / y / 2", lambda x, y: x / y / 2, lambda x, y: (1 / (2 * y), -x / (2 * y * y)),
     [(1.0, 2.0), (-3.0, 0.5)]),
    ("x*(2/3) + y**(1/3)", lambda x, y: x * 2 / 3 + y ** (1 / 3),
     lambda x, y: (2 / 3, y ** (-2 / 3) / 3), [(1.0, 2.0), (-3.0, 0.5)]),
    ("  x\t+\ny ", lambda x, y: x + y, lambda x, y: (1.0, 1.0), None),
    ("x + sin(10**20)", lambda x, y: x + sin(1e20), lambda x, y: (1.0, 0.0), None),
    # SymPy reduces acos(cos(10**99)) to 10**99 - k*pi: evaluated as one number, not
    # as two floats that cancel (value from mpmath at 150 digits)
    ("x + acos(cos(10**99))", lambda x, y: x + 0.27600246916540130573, lambda x, y: (1.0, 0.0),
     None),
    ("tan(x/4) * y", lambda x, y: tan(x / 4) * y,
     lambda x, y: (y / cos(x / 4) ** 2 / 4, tan(x / 4)), None),
]
POINTS = [(1.3, -0.7), (-2.1, 0.4), (0.37, 2.9), (3.3, 1.1), (-4.2, -3.6)]


def _close(a, b, rel=1e-9):
    return abs(a - b) <= rel * (1 + abs(b))


@pytest.mark.parametrize("text,f,grad,points", GOOD, ids=[g[0] for g in GOOD])
def test_good_inputs_match_hand_written_values_and_gradients(text, f, grad, points):
    s = from_expression(text)
    for x, y in points or POINTS:
        want_f, want_g = f(x, y), grad(x, y)
        got_f = s.f([x, y])
        assert _close(float(got_f), want_f), (text, x, y, got_f, want_f)
        assert _close(s.scalar.f(x, y), want_f)
        gv, gs = s.grad([x, y]), s.scalar.grad(x, y)
        for i in range(2):
            assert _close(float(gv[i]), want_g[i]), (text, x, y, i, gv, want_g)
            assert _close(gs[i], want_g[i])


@pytest.mark.parametrize("text", [g[0] for g in GOOD if "abs" not in g[0] and "min" not in g[0]])
def test_hessian_matches_central_differences_of_the_gradient(text):
    s = from_expression(text)
    pts = np.array([p for p in POINTS if np.isfinite(s.grad(p)).all()])
    h = 1e-6
    steps = (np.array([h, 0.0]), np.array([0.0, h]))
    cols = [(s.grad(pts + e) - s.grad(pts - e)) / (2 * h) for e in steps]
    num = np.stack(cols, -1)
    np.testing.assert_array_less(np.abs(s.hess(pts) - num) / (1 + np.abs(num)), 1e-4)
    for (x, y), hv in zip(pts, s.hess(pts)):
        a, b, d = s.scalar.hess(float(x), float(y))
        np.testing.assert_allclose([[a, b], [b, d]], hv, rtol=1e-12, atol=1e-12)


def test_the_surface_record():
    text = "sin(x)*cos(y) + 0.1*(x**2 + y**2)"
    s = from_expression("  " + text + " ")
    assert isinstance(s, surfaces.Surface)
    assert s.key == "custom"
    assert s.label == "Custom: " + text
    assert s.expression == text
    assert s.formula == "f = " + sympy.latex(
        0.1 * E.X**2 + 0.1 * E.Y**2 + sympy.sin(E.X) * sympy.cos(E.Y))
    assert s.bounds == ((-5.0, 5.0), (-5.0, 5.0)) == E.DEFAULT_BOUNDS
    assert s.minimizers == () and s.min_value is None
    # the gradient's LaTeX, as display math, and the grid minimum as an estimate only
    grad_tex = r"\nabla f = \left(0.2 x + \cos{\left(x \right)} \cos{\left(y \right)},\ " \
               r"0.2 y - \sin{\left(x \right)} \sin{\left(y \right)}\right)"
    assert "$$" + grad_tex + "$$" in s.description
    assert "minimum is not known" in s.description and "41×41 grid" in s.description
    # start: 70% toward the right edge, 40% toward the top
    assert s.start == (3.5, 2.0)
    # gradient hint 0.1 / (95th percentile of the largest |Hessian eigenvalue|)
    (x0, x1), (y0, y1) = s.bounds
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41)), -1)
    lam = np.abs(np.linalg.eigvalsh(s.hess(grid))).max(-1)
    assert s.lr_hints["gradient"] == float(f"{0.1 / np.percentile(lam, 95):.2g}")
    assert s.lr_hints["normalized"] == 0.1
    assert from_expression(text) is from_expression(text)  # cached


def test_parsed_text_round_trips_through_expression():
    s = from_expression("x^2 + 3*y^2", bounds=((-2, 2), (-1, 3)))
    again = from_expression(s.expression, bounds=s.bounds)
    assert again is s
    assert s.formula == "f = x^{2} + 3 y^{2}"


def test_start_moves_off_undefined_or_flat_points():
    s = from_expression("log(-x) + y**2")  # undefined at the preferred start (3.5, 2)
    x, y = s.start
    assert x < 0 and math.isfinite(s.scalar.f(x, y))
    assert "undefined or infinite on" in s.description
    flat = from_expression("max(x - 4, 0)**2 + max(y - 3, 0)**2")  # zero gradient at (3.5, 2)
    gx, gy = flat.scalar.grad(*flat.start)
    assert (gx, gy) != (0.0, 0.0)


def test_linear_surface_hint_falls_back_to_the_slope():
    s = from_expression("3*x + 4*y")  # Hessian 0: 1% of the span over |grad| = 5
    assert s.lr_hints["gradient"] == 0.02


def test_hints_are_clipped_to_the_learning_rate_range():
    steep = from_expression("1e9*(x**2 + y**2)")
    assert steep.lr_hints["gradient"] == 1e-6
    flat = from_expression("1e-9*(x**2 + y**2)")
    assert flat.lr_hints["gradient"] == 10.0


def test_description_notes_kinks_and_edge_minimum():
    s = from_expression("abs(x) + y")
    assert "sign(0) = 0" in s.description
    assert "on the edge" in s.description  # y keeps falling below -5


def test_custom_bounds():
    s = from_expression("x**2 + y**2", bounds=[[0, 1], (-2.5, 0.5)])
    assert s.bounds == ((0.0, 1.0), (-2.5, 0.5))
    assert s.start == pytest.approx((0.85, -0.4), abs=1e-15)
    assert s.lr_hints["normalized"] == 0.01
    assert from_expression("x**2 + y**2", bounds=((0, 1), (-2.5, 0.5))) is s


BAD_BOUNDS = [
    ("not bounds", "expected ((xmin, xmax), (ymin, ymax))"),
    (((0, 1),), "expected ((xmin, xmax), (ymin, ymax))"),
    (((0, 1), (0, 1, 2)), "expected ((xmin, xmax), (ymin, ymax))"),
    (5, "expected ((xmin, xmax), (ymin, ymax))"),
    (((0, "1"), (0, 1)), "Invalid x bounds: '1' is not a number"),
    (((0, True), (0, 1)), "Invalid x bounds: True is not a number"),
    (((0, 1), (0, math.nan)), "Invalid y bounds (0, nan): must be finite"),
    (((-math.inf, 1), (0, 1)), "Invalid x bounds (-inf, 1): must be finite"),
    (((1, 0), (0, 1)), "Invalid x bounds (1, 0): xmin must be less than xmax"),
    (((0, 1), (2, 2)), "Invalid y bounds (2, 2): ymin must be less than ymax"),
    (((0, 1e-4), (0, 1)), "the width 0.0001 is outside [0.001, 10000]"),
    (((0, 1), (-1e4, 1e4)), "the width 20000 is outside [0.001, 10000]"),
    (((1e7, 1e7 + 1), (0, 1)), "coordinates must be within ±1e+06"),
]


@pytest.mark.parametrize("bounds,message", BAD_BOUNDS, ids=[repr(b[0]) for b in BAD_BOUNDS])
def test_bad_bounds_are_refused(bounds, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        from_expression("x + y", bounds=bounds)


def test_scalar_and_array_paths_agree_outside_the_domain():
    s = from_expression("log(x) + x**y")
    for x, y in [(-1.0, 2.0), (0.0, 1.0), (-8.0, 1 / 3), (2.0, 3.0), (-2.0, 0.5)]:
        fv, gv, hv = s.f([x, y]), s.grad([x, y]), s.hess([x, y])
        fs, gs, hs = s.scalar.f(x, y), s.scalar.grad(x, y), s.scalar.hess(x, y)
        assert type(fs) is float and all(type(v) is float for v in gs + hs)
        np.testing.assert_allclose(fs, fv, rtol=1e-12)  # NaN == NaN, inf == inf here
        np.testing.assert_allclose(gs, gv, rtol=1e-12)
        np.testing.assert_allclose(hs, [hv[0, 0], hv[0, 1], hv[1, 1]], rtol=1e-12)


def test_runs_on_a_typed_surface():
    bowl = from_expression("(x - 1)^2 + 2*(y + 1)^2")
    t = runner.run("gd", bowl, bowl.start, 500, lr=0.1)
    assert t.status == "converged"
    np.testing.assert_allclose(t.xy[-1], [1.0, -1.0], atol=1e-6)
    # log(x) is undefined for x < 0: a run that steps there stops as diverged
    s = from_expression("log(x) + y**2")
    t = runner.run("gd", s, (0.5, 1.0), 50, lr=1.0)
    assert t.status == "diverged"
    assert np.isfinite(t.loss).all()
    t = runner.run("newton", s, (0.5, 1.0), 50)
    assert t.status in ("diverged", "max_steps")


# ------------------------------------------------------------------ hostile inputs

DEEP = "(" * 200 + "x" + ")" * 200

# (input, a fragment of the message it must get)
HOSTILE = [
    ("x +", "Syntax error at column 4: unexpected end of expression"),
    ("x + )", "Syntax error at column 5: unmatched ')'"),
    ("   x +", "Syntax error at column 7: unexpected end of expression"),
    ("\t 2x", "Syntax error at column 3: invalid decimal literal"),
    ("  x.real", "Attribute access (.real) at column 3 is not allowed"),
    ("  x # c", "Character '#' at column 5"),
    ("sin(x", "Syntax error at column 4: '(' was never closed"),
    ("x y", "Syntax error at column 3"),
    ("2x", "Syntax error at column 1: invalid decimal literal (a number runs into a name"),
    ("x^^2", "Syntax error at column 3"),
    ("*x", "Syntax error at column 1"),
    ("import os", "Syntax error at column 1"),
    ("yield x", "Syntax error at column 1"),
    ("x = 1", "Syntax error at column 3"),
    ("x; y", "Syntax error at column 2"),
    ("1if x else 2", "Syntax error at column 1"),
    ("__import__('os')", "The function '__import__' at column 1 is not allowed (allowed: abs,"),
    ("__import__", "Unknown name '__import__' at column 1"),
    ("().__class__", "Attribute access (.__class__) at column 1 is not allowed"),
    ("x.real", "Attribute access (.real) at column 1 is not allowed"),
    ("x.__class__.__mro__", "Attribute access (.__mro__)"),
    ("''.join(x)", "Attribute access (.join)"),
    ("lambda: 1", "lambda functions at column 1 are not allowed"),
    ("[x]", "Lists [...] at column 1 are not allowed"),
    ("x[0]", "Subscripts (a[i]) at column 1 are not allowed"),
    ("{x}", "Sets {...}"),
    ("{x: 1}", "Dictionaries {...}"),
    ("x, y", "Tuples (commas outside a function call)"),
    ("[i for i in x]", "Comprehensions at column 1 are not allowed"),
    ("(i for i in x)", "Comprehensions"),
    ("'a'", "Strings ('a') at column 1 are not allowed"),
    ("\"a\" * 10**9", "Strings"),
    ("b'a'", "Strings"),
    ("f'{x}'", "f-strings at column 1 are not allowed"),
    ("9**9**9**9", "The exponent '9**9' at column 7 is too large: 3.8742e+08 (limit: at most 100"),
    ("x**1e10", "The exponent '1e10' at column 4 is too large"),
    ("x**(9**9)", "The exponent '9**9' at column 5 is too large"),
    ("x**101", "The exponent '101' at column 4 is too large"),
    ("10**400", "The exponent '400' at column 5 is too large"),
    ("2**99*x**99*99**99*x", "The number '99**99' at column 13 is too large (limit 1e+100)"),
    ("pi**pi**pi**pi", "The exponent 'pi**pi**pi' at column 5 is too large"),
    ("1e400", "The number '1e400' at column 1 is too large (limit 1e+100)"),
    ("x*1" + "0" * 101, "is too large (limit 1e+100)"),
    ("exp(1000)*x", "'exp(1000)' at column 1 is too large"),
    ("exp(exp(6)) + x", "'exp(exp(6))' at column 1 is too large"),
    ("(1e99*x)**100", "Expression overflows: once simplified it holds the number 1.00E+9900"),
    ("nan", "Unknown name 'nan' at column 1: use x, y, pi, e (NaN and infinity are not allowed)"),
    ("x + inf", "Unknown name 'inf' at column 5"),
    ("z", "Unknown name 'z' at column 1: use x, y, pi, e"),
    ("x if y else 1", "Conditional expressions (a if c else b) at column 1 are not allowed"),
    ("x < y", "Comparisons (<, ==, ...) at column 1 are not allowed"),
    ("x and y", "Boolean operators (and, or) at column 1 are not allowed"),
    ("not x", "The operator not at column 1 is not allowed"),
    ("~x", "The operator ~ at column 1 is not allowed"),
    ("x % 2", "The operator % at column 1 is not allowed (allowed: + - * / ** ^)"),
    ("x // 2", "The operator // at column 1 is not allowed"),
    ("x @ y", "The operator @"),
    ("x << 2", "The operator <<"),
    ("x | y", "The operator |"),
    ("(x := 1)", "Assignment expressions (:=) at column 2 are not allowed"),
    ("sin(*[x])", "Starred arguments (*a) in sin() at column 1 are not allowed"),
    ("await x", "await at column 1 is not allowed"),
    ("...", "The constant ... at column 1 is not allowed"),
    ("True + x", "The constant True at column 1 is not allowed"),
    ("None", "The constant None"),
    ("1j*x", "Imaginary numbers (1j) at column 1 are not allowed"),
    ("open('f')", "The function 'open' at column 1 is not allowed"),
    ("exec('1')", "The function 'exec' at column 1 is not allowed"),
    ("eval('1')", "The function 'eval' at column 1 is not allowed"),
    ("compile('1', '', 'eval')", "The function 'compile' at column 1 is not allowed"),
    ("getattr(x, 'y')", "The function 'getattr' at column 1 is not allowed"),
    ("globals()", "The function 'globals'"),
    ("x + sympify('x')", "The function 'sympify' at column 5"),
    ("sin(x, y)", "sin() at column 1 takes exactly 1 argument (2 given)"),
    ("sin()", "sin() at column 1 takes exactly 1 argument (0 given)"),
    ("max(x, y, 1)", "max() at column 1 takes exactly 2 arguments (3 given)"),
    ("sin(x=1)", "sin() at column 1 takes no keyword arguments"),
    ("sin", "sin at column 1 is a function: call it, e.g. sin(x)"),
    ("x(1)", "x at column 1 is not a function (write x*(...) to multiply)"),
    ("sin(x)(y)", "Only named functions can be called"),
    (DEEP, "Expression is nested too deeply: more than 24 levels of brackets at column 25"),
    ("sin(" * 30 + "x" + ")" * 30, "Expression is nested too deeply: more than 24 levels"),
    ("x**" * 30 + "x", "Expression is nested too deeply (more than 24 levels) at column"),
    ("x" * 100_000, "Expression is too long: 100000 characters (limit 500)"),
    ("x+" * 250 + "x", "Expression is too long: 501 characters (limit 500)"),
    ("x+" * 249 + "x", "Expression is too big: more than 200 numbers, names and operations"),
    ("-" * 499 + "x", "Expression is too big"),
    ("", "Expression is empty: type a function of x and y, e.g. sin(x)*cos(y)"),
    ("   \t\n ", "Expression is empty"),
    (None, "Expression must be text (a string), not NoneType"),
    (5, "Expression must be text (a string), not int"),
    (b"x", "Expression must be text (a string), not bytes"),
    (["x"], "Expression must be text (a string), not list"),
    ("x # comment", "Character '#' at column 3 is not allowed"),
    ("x + \\\n y", "Character '\\\\' at column 5 is not allowed"),
    ("x\x00", "Character U+0000 at column 2 is not allowed"),
    ("x\x1b[31m", "Character U+001B at column 2 is not allowed"),
    ("\u00e9 + x", "Character '\u00e9' at column 1 is not allowed"),
    ("\uff58", "Character '\uff58' at column 1"),  # fullwidth x: NFKC would make it x
    ("1/0", "Division by zero at column 3"),
    ("x/(y - y)", "Division by zero at column 4: 'y - y' is 0"),
    ("0**-1 + x", "Division by zero at column 1: '0**-1'"),
    ("log(0) + x", "'log(0)' at column 1 is undefined"),
    ("atanh(1) + x", "'atanh(1)' at column 1 is undefined"),
    ("x + 1/sin(pi)", "Division by zero at column 7: 'sin(pi)' is 0"),
    ("sqrt(-1)*x", "'sqrt(-1)' at column 1 is not a real number"),
    ("acos(2) + x", "'acos(2)' at column 1 is not a real number"),
    ("(-8)**(1/3)*x", "'(-8)**(1/3)' at column 1 is not a real number"),
    ("(-2)**x", "'(-2)**x' at column 1: a base that is 0 or negative raised to a power with x"),
    ("0**y + x", "a base that is 0 or negative"),
    ("sqrt(-x**2)", "Expression is not real-valued"),
    ("1", "Expression does not depend on x or y (it is the constant 1)"),
    ("x - x + 2", "Expression does not depend on x or y (it is the constant 2)"),
    ("pi", "does not depend on x or y"),
    ("log(-1 - x**2)", "f is not finite anywhere on x ∈ [-5, 5], y ∈ [-5, 5]"),
    ("exp(exp(exp(10 + x**2)))", "f is not finite anywhere"),
    ("sqrt(-x**2 - y**2)", "is not finite anywhere"),
    ("*".join(f"sin({i}*x+y)" for i in range(1, 20)),
     "Expression is too complex to differentiate quickly"),
    ("x**x**x**x**x**x**x**x**x**x**x**x**x**x**x**x**x**x", "too complex"),
]


@pytest.mark.parametrize("text,message", HOSTILE, ids=[repr(h[0])[:40] for h in HOSTILE])
def test_hostile_and_malformed_inputs_get_a_clear_message(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        from_expression(text)


@pytest.fixture
def no_differentiation(monkeypatch):
    def refuse(expr):
        raise AssertionError(f"differentiated a refused input: {expr}")

    monkeypatch.setattr(E, "kernels", refuse)


@pytest.mark.parametrize("text,message", [h for h in HOSTILE if "finite anywhere" not in h[1]],
                         ids=[repr(h[0])[:40] for h in HOSTILE if "finite anywhere" not in h[1]])
def test_refusals_come_before_the_exact_derivatives_are_built(text, message, no_differentiation):
    with pytest.raises(ValueError, match=re.escape(message)):
        from_expression(text)


def test_long_and_deep_inputs_are_refused_before_parsing(monkeypatch):
    def no_parse(*a, **k):
        raise AssertionError("parsed")

    monkeypatch.setattr(E, "ast", types.SimpleNamespace(**{**vars(ast), "parse": no_parse}))
    for text, message in [("x" * 100_000, "too long"), ("(" * 10**5, "too long"),
                          (DEEP, "nested too deeply"), ("x\x00", "U+0000"), ("", "empty")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            from_expression(text)


class _PowGuard:
    """Stands in for sympy in surfaces.expression: every power the builder asks
    SymPy for has no constant exponent beyond the limit, so no huge number is
    ever computed (9**9**9**9 stops at 9**387420489 without computing it)."""

    def __init__(self):
        self.calls = 0

    def install(self, monkeypatch):
        proxy = types.SimpleNamespace(**vars(sympy))
        real = sympy.Pow

        def pow_(base, exp):
            self.calls += 1
            base, exp = sympy.Integer(base) if isinstance(base, int) else base, \
                sympy.Integer(exp) if isinstance(exp, int) else exp
            if not exp.free_symbols:
                assert abs(float(exp)) <= E.MAX_EXPONENT, (base, exp)
                if not base.free_symbols and base.is_Rational and exp.is_Rational:
                    assert E._digits(base) * abs(exp.p) <= E.MAX_EXACT_DIGITS
            return real(base, exp)

        proxy.Pow = pow_
        monkeypatch.setattr(E, "sp", proxy)


@pytest.mark.parametrize("text", ["9**9**9**9", "2**2**2**2**2**2", "10**99**99", "x**(9**9)",
                                  "(1/3**99)**99**99 + x", "((1 + 1/3**99)**99)**99 + x",
                                  "(((1/3**60)**99)**99)**99 + x"])
def test_no_power_beyond_the_limits_is_ever_computed(text, monkeypatch):
    _PowGuard().install(monkeypatch)
    try:
        from_expression(text)
    except ValueError:
        pass


def test_huge_exact_powers_are_computed_in_floating_point():
    s = from_expression("x + ((1 + 1/3**99)**99)**99")
    assert s.f([1.0, 0.0]) == 2.0


# ------------------------------------------------------------------ nothing is run

def test_the_module_calls_no_evaluator():
    """No call of eval/exec/compile/sympify/parse_expr/S(...)/__import__/getattr
    anywhere in surfaces/expression.py, and no mention of them outside strings."""
    import inspect

    tree = ast.parse(inspect.getsource(E))
    called, named = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            called.add(fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", ""))
        if isinstance(node, ast.Attribute):
            named.add(node.attr)
        if isinstance(node, ast.Name):
            named.add(node.id)
    for bad in ("eval", "exec", "compile", "sympify", "parse_expr", "S", "__import__",
                "literal_eval", "getattr", "import_module", "lambdify"):
        assert bad not in called, bad
    for bad in ("eval", "exec", "compile", "sympify", "parse_expr", "literal_eval"):
        assert bad not in named, bad


def test_user_text_never_reaches_eval_exec_compile_or_sympify(monkeypatch):
    """ast.parse (compile with PyCF_ONLY_AST: a syntax tree, nothing runs) is the
    only thing that sees the text. lambdify does exec code, but only SymPy's own
    printer output; sympify and parse_expr never see a string."""
    text = "sin( x )*cos( y ) + 0.1*(x^2+y^2) + abs( x - 1 )"  # nothing SymPy would print
    real_compile, real_exec, real_eval = builtins.compile, builtins.exec, builtins.eval
    ran = []

    def compile_(source, filename, mode, flags=0, *a, **k):
        if not flags & ast.PyCF_ONLY_AST:
            ran.append(source)
        return real_compile(source, filename, mode, flags, *a, **k)

    def exec_(code, *a, **k):
        ran.append(code)
        return real_exec(code, *a, **k)

    def eval_(code, *a, **k):
        ran.append(code)
        raise AssertionError("eval was called")

    def no_string(real):
        def guard(a, *args, **kwargs):
            assert not isinstance(a, str), f"a string reached sympify: {a!r}"
            return real(a, *args, **kwargs)
        return guard

    def parse_expr(*a, **k):
        raise AssertionError("parse_expr was called")

    monkeypatch.setattr(builtins, "compile", compile_)
    monkeypatch.setattr(builtins, "exec", exec_)
    monkeypatch.setattr(builtins, "eval", eval_)
    import sympy.parsing.sympy_parser as sympy_parser

    sympify_module = sys.modules["sympy.core.sympify"]

    monkeypatch.setattr(sympy, "sympify", no_string(sympy.sympify))
    monkeypatch.setattr(sympify_module, "sympify", no_string(sympify_module.sympify))
    monkeypatch.setattr(sympy, "parse_expr", parse_expr)
    monkeypatch.setattr(sympy_parser, "parse_expr", parse_expr)

    s = from_expression(text)
    assert s.f([1.0, 2.0]) == pytest.approx(sin(1) * cos(2) + 0.1 * 5)
    for code in ran:
        src = code if isinstance(code, str) else code.co_filename
        assert "sin( x )" not in src and "x^2" not in src
        assert src.startswith(("def _lambdifygenerated", "<lambdifygenerated")), src[:80]


# ------------------------------------------------------------------ budgets


def _hessian_size(text: str) -> int:
    _, compute, _ = E._parse(text)
    gx, gy = sympy.diff(compute, E.X), sympy.diff(compute, E.Y)
    return sum(E._tree_size(sympy.diff(g, v), {}) for g, v in ((gx, E.X), (gx, E.Y), (gy, E.Y)))


FAMILIES = {
    "product of sines": lambda k: "*".join(f"sin({i}*x+y)" for i in range(1, k + 1)),
    "product of powers": lambda k: "*".join(f"(x+{i}*y)**(x-{i}*y)" for i in range(1, k + 1)),
    "power tower": lambda k: "**".join(["x"] * k),
    "nested sin": lambda k: "sin(x*" * k + "y" + ")" * k,
    "nested atan2": lambda k: "atan2(x, " * k + "y" + ")" * k,
    "product of sums": lambda k: "*".join(f"(x**{i}+y**{i}+x*y+{i})" for i in range(1, k + 1)),
    "quotients": lambda k: "/".join(f"(sin(x)+{i}*y)" for i in range(1, k + 1)),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_the_hessian_budget_bounds_the_real_hessian(family):
    """The worst shapes found (each grown until it is refused): the estimate is
    an upper bound of the real size, so what is accepted stays within budget."""
    make = FAMILIES[family]
    accepted = None
    for k in range(2, 40):
        try:
            E._parse(make(k))
        except ValueError as exc:
            assert "too complex" in str(exc)
            break
        accepted = make(k)
    else:
        pytest.fail("never refused")
    assert accepted is not None
    assert _hessian_size(accepted) <= E.MAX_HESSIAN_SIZE


# ------------------------------------------------------------------ fuzzing

DOCUMENTED = (
    "Syntax error at column", "is not allowed", "are not allowed", "Unknown name",
    "is a function", "is not a function", "takes exactly", "takes no keyword",
    "Only named functions", "Expression is empty", "too long", "too big",
    "nested too deeply", "too large", "overflows", "Division by zero", "is undefined",
    "not a real number", "not real-valued", "a base that is 0 or negative",
    "does not depend on x or y", "too complex", "not finite anywhere",
    "gradient of this expression",
)


def _documented(exc: ValueError) -> bool:
    return any(d in str(exc) for d in DOCUMENTED)


ALPHABET = "xy0123456789.+-*/^() ,esincoatqrlgbmpkhd_'\"[]{}<>=!%&|~@#:;\\\t\n"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), st.text(alphabet=ALPHABET, max_size=60),
                 st.text(min_size=490, max_size=700, alphabet="x+-*/()^sin")))
def test_random_text_gives_a_surface_or_a_documented_value_error(text):
    with pytest.MonkeyPatch.context() as monkeypatch:
        _PowGuard().install(monkeypatch)
        try:
            s = from_expression(text)
        except ValueError as exc:
            assert _documented(exc), str(exc)
            return
    assert isinstance(s, surfaces.Surface)
    assert np.isfinite(s.f(s.start)) and len(text) <= E.MAX_LENGTH


class Node:
    """A formula from the grammar: its text, and an independent evaluation with
    the math module returning (value, largest intermediate magnitude)."""

    def __init__(self, text, fn, var=False):
        self.text, self.fn, self.var = text, fn, var

    def __repr__(self):
        return self.text

    def __call__(self, x, y):
        try:
            v, m = self.fn(x, y)
        except (ValueError, OverflowError, ZeroDivisionError, TypeError):
            return math.nan, math.inf
        if isinstance(v, complex):
            return math.nan, math.inf
        return float(v), max(m, abs(v))


VARIABLES = st.sampled_from([Node("x", lambda x, y: (x, abs(x)), True),
                             Node("y", lambda x, y: (y, abs(y)), True)])
CONSTANTS = st.sampled_from([
    Node("pi", lambda x, y: (math.pi, math.pi)), Node("e", lambda x, y: (math.e, math.e)),
    *[Node(str(n), (lambda n: lambda x, y: (n, abs(n)))(n)) for n in (1, 2, 3, 7, 0.5, 1.25, 2.5)],
])
LEAVES = st.one_of(VARIABLES, VARIABLES, CONSTANTS)

UNARY = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
    "sqrt": math.sqrt, "abs": abs, "tanh": math.tanh, "sinh": math.sinh, "cosh": math.cosh,
    "atan": math.atan, "asin": math.asin, "acos": math.acos, "asinh": math.asinh,
    "acosh": math.acosh, "atanh": math.atanh,
}
def _atan2(a, b):
    # on the branch cut (a = ±0, b < 0) the sign of zero decides between ±pi, and
    # SymPy may simplify -(x - x) to 0: not compared there
    return math.nan if a == 0 and b < 0 else math.atan2(a, b)


def _nan_aware(fn):
    # the surfaces propagate NaN through min and max (Python's max(x, nan) is x): a
    # NaN argument (atan2 on its branch cut, not compared) makes the result NaN too
    return lambda a, b: math.nan if math.isnan(a) or math.isnan(b) else fn(a, b)


BINARY = {"min": _nan_aware(min), "max": _nan_aware(max), "atan2": _atan2}
OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
       "/": lambda a, b: a / b, "^": lambda a, b: a**b}


def _combine(name, fn, *nodes):
    def run(x, y):
        vals = [n(x, y) for n in nodes]
        m = max(v[1] for v in vals)
        return fn(*(v[0] for v in vals)), m
    return run


def _extend(children):
    unary = st.builds(
        lambda name, a: Node(f"{name}({a.text})", _combine(name, UNARY[name], a), a.var),
        st.sampled_from(sorted(UNARY)), children)
    binary = st.builds(
        lambda name, a, b: Node(f"{name}({a.text}, {b.text})",
                                _combine(name, BINARY[name], a, b), a.var or b.var),
        st.sampled_from(sorted(BINARY)), children, children)
    op = st.builds(
        lambda sym, a, b: Node(f"({a.text}) {sym} ({b.text})", _combine(sym, OPS[sym], a, b),
                               a.var or b.var),
        st.sampled_from(["+", "-", "*", "/", "^"]), children, children)
    power = st.builds(
        lambda a, p: Node(f"({a.text})**{p}", _combine("**", lambda v: v**p, a), a.var),
        children, st.sampled_from([2, 3, -1, 0.5, 1.5]))
    neg = st.builds(lambda a: Node(f"-({a.text})", _combine("-", lambda v: -v, a), a.var),
                    children)
    return st.one_of(unary, binary, op, op, power, neg)


# formulas in x and/or y ("^" between two subtrees is a power, like "**")
FORMULAS = st.recursive(LEAVES, _extend, max_leaves=10).filter(lambda n: n.var)
FUZZ_POINTS = [(1.3, -0.7), (-2.1, 0.4), (0.37, 2.9), (3.3, 1.1), (-4.2, -3.6), (0.05, 0.11)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FORMULAS)
def test_formulas_from_the_grammar_agree_with_an_independent_evaluation(node):
    try:
        s = from_expression(node.text)
    except ValueError as exc:
        assert _documented(exc), (node.text, str(exc))
        return
    pts = np.array(FUZZ_POINTS)
    got = s.f(pts)
    for (x, y), g in zip(FUZZ_POINTS, got):
        want, scale = node(x, y)
        scalar = s.scalar.f(x, y)
        assert type(scalar) is float
        assert np.isfinite(scalar) == np.isfinite(g), (node.text, x, y, scalar, g)
        if np.isfinite(g):
            # math and NumPy may round a huge intermediate (the argument of sin) differently
            slack = 1e-12 * scale if math.isfinite(scale) else 0.0
            assert abs(scalar - g) <= 1e-9 * (1 + abs(g)) + slack, (node.text, x, y, scalar, g)
        if math.isfinite(want) and np.isfinite(g) and math.isfinite(scale):
            assert abs(g - want) <= 1e-8 * (1 + scale), (node.text, x, y, g, want)
