"""A surface the user types: ``from_expression("sin(x)*cos(y) + 0.1*(x**2 + y**2)")``.

Safety
------
The text is never run. There is no ``eval``/``exec``/``compile`` here and no
``sympy.sympify``/``parse_expr`` (both evaluate their input). Python's parser
(``ast.parse(text, mode="eval")``) only turns the text into a syntax tree; a
whitelist walk over that tree builds the SymPy expression node by node, and
anything it does not know is refused. SymPy's ``lambdify`` later runs code that
SymPy's own printer wrote from that expression, never the user's text.

Grammar (Python's expression syntax, restricted)
------------------------------------------------
::

    expr   := expr (+ | - | * | / | ** | ^) expr  |  (+ | -) expr  |  ( expr )
            | number | name | call
    number := an int or float literal: 2, 2.5, .5, 1e-3, 1_000 (not complex, not bool)
    name   := x | y | pi | e
    call   := f(expr) for f in sin cos tan asin acos atan sinh cosh tanh asinh acosh
                              atanh exp log ln sqrt abs
            | atan2(expr, expr) | min(expr, expr) | max(expr, expr)

``^`` means power, as on a calculator (``x^2`` is ``x**2``, with power's
precedence: ``x^2 + 1`` is ``x**2 + 1``); it is rewritten to ``**`` before parsing.
Typographic ``−`` (U+2212), ``×``, ``·`` and ``π`` are accepted too. ``ln`` is
``log`` (natural). Whitespace (tabs, newlines) counts as spaces.

Limits (each refusal is a ``ValueError`` with a message saying what and where)
--------------------------------------------------------------------------------
Each is one of :mod:`surfaces.errors`' typed refusals: an ``ExpressionError`` for the
text, a ``BoundsError`` for the bounds, a ``RegionError`` for "f is not finite
anywhere in these bounds" (both).

* not a string, or empty;
* longer than :data:`MAX_LENGTH` characters (checked first, before anything else);
* a character outside printable ASCII (after the typographic rewrites), ``#`` (a
  comment) or ``\\``; brackets nested deeper than :data:`MAX_DEPTH`;
* a syntax error: ``"Syntax error at column N: ..."``;
* any construct outside the grammar, named: attribute access, subscripts, lambdas,
  comprehensions, strings, f-strings, comparisons, boolean operators, conditional
  expressions, walrus, starred, keyword arguments, other operators (``%`` ``//`` ...),
  other functions (``__import__``, ``eval``, ``open``, ...), other names (``nan``,
  ``inf``, ``z``, ...), a wrong number of arguments;
* more than :data:`MAX_NODES` operations, numbers and names, or nesting deeper than
  :data:`MAX_DEPTH` (a run of ``+``/``-`` or of ``*``/``/`` is one level, as in
  ordinary notation; every power and function call is one more);
* a number, or any part without ``x`` and ``y`` (a constant subexpression, folded
  as it is built), larger than :data:`MAX_NUMBER` in size, not real (``sqrt(-1)``)
  or undefined (``1/0``, ``log(0)``);
* a constant exponent larger than :data:`MAX_EXPONENT` in size (``x**1e10``;
  ``9**9**9**9`` is refused at ``9**387420489`` without computing it). Exponents
  that contain ``x`` or ``y`` (``x**y``) are allowed, but not on a constant base
  that is 0 or negative (``(-2)**x`` is complex almost everywhere). A constant
  power whose exact value would have more than :data:`MAX_EXACT_DIGITS` digits is
  computed in floating point instead;
* a result that does not depend on ``x`` or ``y`` (every point would be a minimum
  and no optimizer would move, so it is almost certainly a typo), or one that
  SymPy simplifies to something complex or undefined; a gradient that is;
* a function whose exact Hessian would be too big to build quickly (its size is
  estimated from the gradient's structure before it is built:
  :data:`MAX_GRADIENT_SIZE`, :data:`MAX_HESSIAN_SIZE`);
* ``f``, or its gradient, not finite anywhere on a 41x41 grid over the bounds;
* bounds that are not ``((xmin, xmax), (ymin, ymax))`` of finite numbers with
  ``min < max``, a width in :data:`SPAN_RANGE` and coordinates within
  :data:`MAX_COORDINATE`.

All of these are structural: no answer depends on a clock. The slowest accepted
inputs found (products of eight sines, power towers, nested atan2 just under the
Hessian budget) take a few tenths of a second; refusals take milliseconds.

The surface
-----------
``f`` may be undefined in part of the region (``log(x)`` for ``x < 0``, ``sqrt``,
``acos`` outside [-1, 1], ``x**0.5``, ``x**(1/3)`` for ``x < 0`` (principal
branch)...). There it is NaN (or ±inf at a pole) on both paths: where the
math-module kernels raise or produce a complex number, the point is evaluated
again with the NumPy kernels. A run that steps there stops as diverged.
``abs``, ``min`` and ``max`` are differentiated as functions of their own: the
derivative of ``|u|`` is ``sign(u) u'`` with ``sign(0) = 0`` (so a kink at the
minimum is stationary), and where the two arguments of ``min``/``max`` tie the
derivative is the first argument's. Their second derivatives are 0 (no
DiracDelta), and NaN propagates through them on both paths.

Results are cached (``functools.lru_cache``): the parsed formula by text, the
surface by (text, bounds). Only successes are cached; refusals are cheap.
"""

from __future__ import annotations

import ast
import math
import numbers
import warnings
from functools import lru_cache

import numpy as np
import sympy as sp

from descent_lab.optimizers.hyperparams import HyperParam

from .base import Kernels, Surface, SurfaceEntry, X, Y, derivative_sizes, fmt, kernels
from .errors import AXIS_BOUNDS, BoundsError, ExpressionError, RegionError

__all__ = [
    "from_expression", "CUSTOM", "DEFAULT_BOUNDS", "MAX_LENGTH", "MAX_NODES", "MAX_DEPTH",
    "MAX_EXPONENT", "MAX_NUMBER", "MAX_HESSIAN_SIZE", "FUNCTIONS", "NAMES",
]

MAX_LENGTH = 500
"""Characters in the text; longer input is refused before it is looked at."""
MAX_NODES = 200
"""Numbers, names, operations and calls in the expression."""
MAX_DEPTH = 24
"""Nesting levels (a run of + and - or of * and / is one level)."""
MAX_EXPONENT = 100
"""Largest |p| for a constant exponent p."""
MAX_NUMBER = 1e100
"""Largest |v| for a number literal or a constant subexpression."""
MAX_COEFFICIENT = 1e300
"""Largest |v| for a number in the final (SymPy-simplified) expression."""
MAX_GRADIENT_SIZE = 4_000
"""Estimated size (SymPy tree nodes) of the two gradient components together."""
MAX_HESSIAN_SIZE = 12_000
"""Estimated size (SymPy tree nodes) of the three Hessian entries together."""
MAX_EXACT_DIGITS = 300
"""Beyond this many digits a constant power is computed in floating point."""
MAX_LATEX = 4_000
"""Longest gradient LaTeX shown in the description."""

DEFAULT_BOUNDS = ((-5.0, 5.0), (-5.0, 5.0))
SPAN_RANGE = (1e-3, 1e4)
"""Allowed width of each axis' interval."""
MAX_COORDINATE = 1e6
"""Largest |coordinate| of a bound."""
GRID_N = 41
"""Grid points per axis for the finiteness check, the grid minimum and the hints."""
LR_RANGE = (1e-6, 10.0)
START_FRACTION = (0.7, 0.4)
"""Start = centre + these fractions of the half-widths."""

EXAMPLE = "sin(x)*cos(y) + 0.1*(x**2 + y**2)"

# name -> (number of arguments, SymPy builder)
FUNCTIONS: dict[str, tuple[int, object]] = {
    "sin": (1, sp.sin), "cos": (1, sp.cos), "tan": (1, sp.tan),
    "asin": (1, sp.asin), "acos": (1, sp.acos), "atan": (1, sp.atan),
    "sinh": (1, sp.sinh), "cosh": (1, sp.cosh), "tanh": (1, sp.tanh),
    "asinh": (1, sp.asinh), "acosh": (1, sp.acosh), "atanh": (1, sp.atanh),
    "exp": (1, sp.exp), "log": (1, sp.log), "ln": (1, sp.log), "sqrt": (1, sp.sqrt),
    "abs": (1, sp.Abs),
    "atan2": (2, sp.atan2), "min": (2, sp.Min), "max": (2, sp.Max),
}
NAMES = {"x": X, "y": Y, "pi": sp.pi, "e": sp.E}

# Typographic characters accepted as their ASCII meaning (one original column each).
_REWRITE = {"^": "**", "\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*",
            "\u03c0": "pi", "\t": " ", "\n": " ", "\r": " "}

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_OTHER_OPS = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<",
              ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}

# What each refused construct is called in messages, and whether that is plural.
_REFUSED = {
    ast.Attribute: ("Attribute access", False),
    ast.Subscript: ("Subscripts (a[i])", True),
    ast.Slice: ("Slices", True),
    ast.Lambda: ("lambda functions", True),
    ast.List: ("Lists [...]", True),
    ast.Tuple: ("Tuples (commas outside a function call)", True),
    ast.Set: ("Sets {...}", True),
    ast.Dict: ("Dictionaries {...}", True),
    ast.ListComp: ("Comprehensions", True),
    ast.SetComp: ("Comprehensions", True),
    ast.DictComp: ("Comprehensions", True),
    ast.GeneratorExp: ("Comprehensions", True),
    ast.Compare: ("Comparisons (<, ==, ...)", True),
    ast.BoolOp: ("Boolean operators (and, or)", True),
    ast.IfExp: ("Conditional expressions (a if c else b)", True),
    ast.NamedExpr: ("Assignment expressions (:=)", True),
    ast.Starred: ("Starred expressions (*a)", True),
    ast.JoinedStr: ("f-strings", True),
    ast.FormattedValue: ("f-strings", True),
    ast.Await: ("await", False),
    ast.Yield: ("yield", False),
    ast.YieldFrom: ("yield", False),
}


_Refused = ExpressionError  # a refusal of the text by the parser or the checks on its formula


def _refuse(message: str):
    raise _Refused(message)


# ------------------------------------------------------------------ public


def from_expression(text, bounds=None) -> Surface:
    """The surface ``f(x, y) = text`` over ``bounds`` (default ``((-5, 5), (-5, 5))``).

    See the module docstring for the grammar, the limits and what the returned
    surface holds. Never evaluates the text. Refusals are ``ValueError``
    subclasses that say what was refused (:mod:`surfaces.errors`):
    :class:`ExpressionError` (the text), :class:`BoundsError` (the bounds, with the
    axis in ``fields``) or :class:`RegionError` (f is not finite anywhere in the
    bounds: either may change). The surface's ``params`` are its text and bounds,
    so ``surfaces.get("custom", **surface.params)`` builds it again.
    """
    _check_text(text)
    text = str(text)
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())  # columns in messages count from the raw text
    box = _check_bounds(bounds)
    return _surface(stripped, box, lead)


def _check_text(text) -> None:
    if not isinstance(text, str):
        raise ExpressionError(f"Expression must be text (a string), not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"Expression is too long: {len(text)} characters (limit {MAX_LENGTH})")


# ------------------------------------------------------------------ the registry entry


def _entry_params() -> tuple[HyperParam, ...]:
    (x0, x1), (y0, y1) = DEFAULT_BOUNDS
    edge = {"xmin": ("x min", x0, "Left edge"), "xmax": ("x max", x1, "Right edge"),
            "ymin": ("y min", y0, "Bottom edge"), "ymax": ("y max", y1, "Top edge")}
    return (
        HyperParam(name="expression", label="f(x, y)", default=EXAMPLE, kind="text",
                   high=MAX_LENGTH,
                   help="A function of x and y: numbers, + - * / ** ^, pi, e and "
                        + ", ".join(sorted(FUNCTIONS)) + ".",
                   error="Invalid expression: {}"),
        *(HyperParam(name=name, label=label, default=default, low=-MAX_COORDINATE,
                     high=MAX_COORDINATE,
                     help=f"{where} of the plot, and of the region where f must be finite.",
                     error=f"Invalid {name} value: {{}}")
          for name, (label, default, where) in edge.items()),
    )


def _validate_entry(params: dict) -> dict:
    """The typed surface's parameters with defaults filled, checked with
    :func:`from_expression`'s own messages and typed errors."""
    defaults = {p.name: p.default for p in CUSTOM.params}
    values = {**defaults, **params}
    _check_text(values["expression"])
    (x0, x1), (y0, y1) = _check_bounds(((values["xmin"], values["xmax"]),
                                        (values["ymin"], values["ymax"])))
    return {"expression": values["expression"], "xmin": x0, "xmax": x1, "ymin": y0, "ymax": y1}


def _build_entry(expression: str, xmin: float, xmax: float, ymin: float, ymax: float) -> Surface:
    return from_expression(expression, ((xmin, xmax), (ymin, ymax)))


CUSTOM = SurfaceEntry(
    key="custom", label="Custom f(x, y)", description="Type your own function of x and y.",
    params=_entry_params(), build=_build_entry, validate=_validate_entry,
)
"""The typed surface as a registry entry: ``surfaces.get("custom", expression=text,
xmin=..., xmax=..., ymin=..., ymax=..., scale=...)``."""


# ------------------------------------------------------------------ bounds


def _check_bounds(bounds) -> tuple[tuple[float, float], tuple[float, float]]:
    if bounds is None:
        return DEFAULT_BOUNDS
    shape = "expected ((xmin, xmax), (ymin, ymax))"
    try:
        pairs = [tuple(p) for p in bounds] if not isinstance(bounds, (str, bytes)) else None
    except TypeError:
        pairs = None
    if pairs is None or len(pairs) != 2 or any(len(p) != 2 for p in pairs):
        raise BoundsError(f"Invalid bounds {_short(bounds)}: {shape}")
    out = []
    for axis, (lo, hi) in zip("xy", pairs):
        fields = AXIS_BOUNDS[axis]
        for v in (lo, hi):
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise BoundsError(f"Invalid {axis} bounds: {_short(v)} is not a number ({shape})",
                                  fields)
        lo, hi = float(lo), float(hi)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise BoundsError(f"Invalid {axis} bounds ({lo:g}, {hi:g}): must be finite", fields)
        if max(abs(lo), abs(hi)) > MAX_COORDINATE:
            raise BoundsError(f"Invalid {axis} bounds ({lo:g}, {hi:g}): "
                              f"coordinates must be within ±{MAX_COORDINATE:g}", fields)
        if not lo < hi:
            raise BoundsError(f"Invalid {axis} bounds ({lo:g}, {hi:g}): "
                              f"{axis}min must be less than {axis}max", fields)
        span = hi - lo
        if not SPAN_RANGE[0] <= span <= SPAN_RANGE[1]:
            raise BoundsError(f"Invalid {axis} bounds ({lo:g}, {hi:g}): the width {span:g} is "
                              f"outside [{SPAN_RANGE[0]:g}, {SPAN_RANGE[1]:g}]", fields)
        out.append((lo, hi))
    return out[0], out[1]


def _clip(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _short(v, n: int = 40) -> str:
    return _clip(repr(v), n)


# ------------------------------------------------------------------ parsing


def _prepare(text: str, lead: int) -> tuple[str, list[int]]:
    """Rewrite ``^`` and typographic characters; check the characters.

    Returns the text to parse and, for each of its characters, the 0-based index
    of the original character it came from in what the user typed (``lead``
    whitespace characters came before ``text``), so messages can quote columns.
    """
    out, where = [], []
    depth = 0
    for i, ch in enumerate(text, start=lead):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(f"Expression is nested too deeply: more than {MAX_DEPTH} "
                               f"levels of brackets at column {i + 1}")
        elif ch in ")]}":
            depth -= 1
        rep = _REWRITE.get(ch, ch)
        if rep == ch and not (" " <= ch <= "~") or ch in "#\\":
            shown = repr(ch) if (" " <= ch <= "~") or ch.isprintable() else f"U+{ord(ch):04X}"
            raise _Refused(f"Character {shown} at column {i + 1} is not allowed "
                           "(use x, y, numbers, + - * / ** ^, parentheses and function names)")
        out.append(rep)
        where.extend([i] * len(rep))
    return "".join(out), where


class _Source:
    """The text being parsed, with a map back to the columns the user typed."""

    def __init__(self, original: str, lead: int, parsed: str, where: list[int]):
        self.original, self.lead, self.parsed, self.where = original, lead, parsed, where

    def column(self, offset: int) -> int:
        """1-based original column of 0-based ``offset`` in the parsed text."""
        if 0 <= offset < len(self.where):
            return self.where[offset] + 1
        return self.lead + len(self.original) + 1

    def segment(self, node: ast.AST) -> str:
        a, b = node.col_offset, node.end_col_offset
        if not (0 <= a < b <= len(self.where)):
            return self.parsed[a:b]
        return self.original[self.where[a] - self.lead: self.where[b - 1] - self.lead + 1]

    def at(self, node: ast.AST) -> str:
        return f"at column {self.column(node.col_offset)}"


def _parse_tree(src: _Source) -> ast.expr:
    try:
        with warnings.catch_warnings():
            # the parser warns about e.g. "1if"; make that a syntax error, the same
            # under every warning filter (catch_warnings swaps the process-wide
            # filters for the length of one parse)
            warnings.simplefilter("error")
            tree = ast.parse(src.parsed, mode="eval")
    except SyntaxError as exc:
        msg = exc.msg or "invalid syntax"
        off = exc.offset if exc.lineno in (None, 1) else None
        if off is None or off < 1 or off > len(src.parsed):
            col, msg = src.column(-1), ("unexpected end of expression"
                                        if msg == "invalid syntax" else msg)
        else:
            col = src.column(off - 1)
        if msg.startswith("invalid decimal literal"):
            msg += " (a number runs into a name: use * to multiply, e.g. 2*x)"
        raise _Refused(f"Syntax error at column {col}: {msg}") from None
    except (ValueError, MemoryError, RecursionError, OverflowError) as exc:
        raise _Refused(f"Expression could not be parsed: {exc}") from None
    return tree.body


def _family(node: ast.AST) -> str | None:
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, (ast.Add, ast.Sub)):
            return "sum"
        if isinstance(node.op, (ast.Mult, ast.Div)):
            return "product"
    if isinstance(node, ast.UnaryOp):
        return "product"  # -a is (-1)*a
    return None


def _check_tree(body: ast.expr, src: _Source) -> None:
    """Whitelist, size and nesting, in one iterative pre-order walk (no recursion,
    so no input can exhaust the stack here)."""
    count = 0
    stack = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            _refuse(f"Expression is too big: more than {MAX_NODES} numbers, names and "
                    "operations")
        if depth > MAX_DEPTH:
            _refuse(f"Expression is nested too deeply (more than {MAX_DEPTH} levels) "
                    f"{src.at(node)}")
        children = _allowed_children(node, src)
        fam = _family(node)
        for child in reversed(children):
            same = fam is not None and _family(child) == fam
            stack.append((child, depth if same else depth + 1))


def _allowed_children(node: ast.AST, src: _Source) -> list[ast.expr]:
    """The sub-expressions of an allowed node; refuse anything else, by name."""
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            sym = _OTHER_OPS.get(type(node.op), type(node.op).__name__)
            _refuse(f"The operator {sym} {src.at(node)} is not allowed "
                    "(allowed: + - * / ** ^)")
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.UAdd, ast.USub)):
            sym = "not" if isinstance(node.op, ast.Not) else "~"
            _refuse(f"The operator {sym} {src.at(node)} is not allowed "
                    "(allowed: + - * / ** ^)")
        return [node.operand]
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or v is None or v is Ellipsis:
            _refuse(f"The constant {src.segment(node)} {src.at(node)} is not allowed "
                    "(use numbers, x, y, pi, e)")
        if isinstance(v, (str, bytes)):
            _refuse(f"Strings ({_clip(src.segment(node), 20)}) {src.at(node)} are not allowed")
        if isinstance(v, complex):
            _refuse(f"Imaginary numbers ({src.segment(node)}) {src.at(node)} are not allowed")
        if not isinstance(v, (int, float)):
            _refuse(f"The constant {src.segment(node)} {src.at(node)} is not allowed")
        return []
    if isinstance(node, ast.Name):
        if node.id not in NAMES:
            if node.id in FUNCTIONS:
                _refuse(f"{node.id} {src.at(node)} is a function: call it, e.g. {node.id}(x)")
            hint = " (NaN and infinity are not allowed)" if node.id.lower() in (
                "nan", "inf", "infinity", "oo") else ""
            _refuse(f"Unknown name {node.id!r} {src.at(node)}: use x, y, pi, e{hint}")
        return []
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute):
                return _allowed_children(node.func, src)  # names the attribute
            _refuse(f"Only named functions can be called, like sin(x) ({src.at(node)})")
        name = node.func.id
        if name in NAMES:
            _refuse(f"{name} {src.at(node)} is not a function (write {name}*(...) to multiply)")
        if name not in FUNCTIONS:
            _refuse(f"The function {name!r} {src.at(node)} is not allowed "
                    f"(allowed: {', '.join(sorted(FUNCTIONS))})")
        if node.keywords:
            _refuse(f"{name}() {src.at(node)} takes no keyword arguments")
        if any(isinstance(a, ast.Starred) for a in node.args):
            _refuse(f"Starred arguments (*a) in {name}() {src.at(node)} are not allowed")
        arity = FUNCTIONS[name][0]
        if len(node.args) != arity:
            word = "argument" if arity == 1 else "arguments"
            _refuse(f"{name}() {src.at(node)} takes exactly {arity} {word} "
                    f"({len(node.args)} given)")
        return list(node.args)
    if isinstance(node, ast.Attribute):
        _refuse(f"Attribute access (.{node.attr}) {src.at(node)} is not allowed")
    what, plural = _REFUSED.get(type(node), (f"{type(node).__name__} expressions", True))
    _refuse(f"{what} {src.at(node)} {'are' if plural else 'is'} not allowed")
    return []  # unreachable


# ------------------------------------------------------------------ building


class _Builder:
    """AST -> SymPy, after :func:`_check_tree` (so recursion depth is bounded by
    MAX_DEPTH: runs of + - and * / are gathered iteratively)."""

    def __init__(self, src: _Source):
        self.src = src

    def build(self, node: ast.expr) -> sp.Expr:
        fam = _family(node)
        if fam == "sum":
            out = sp.Add(*(s * self.build(t) for s, t in self._chain(node, "sum")))
        elif fam == "product":
            out = self._product(node)
        elif isinstance(node, ast.BinOp):  # power
            out = self._power(node)
        elif isinstance(node, ast.Constant):
            out = self._number(node)
        elif isinstance(node, ast.Name):
            return NAMES[node.id]
        else:  # Call (checked)
            fn = FUNCTIONS[node.func.id][1]
            out = fn(*(self.build(a) for a in node.args))
        return self._checked(out, node)

    def _chain(self, node: ast.expr, fam: str) -> list[tuple[int, ast.expr]]:
        """The terms of a run of + and -, left to right, each with its sign."""
        out, stack = [], [(node, 1)]
        while stack:
            n, s = stack.pop()
            if isinstance(n, ast.BinOp) and _family(n) == fam:
                neg = isinstance(n.op, ast.Sub)
                stack.append((n.right, -s if neg else s))
                stack.append((n.left, s))
            else:
                out.append((s, n))
        return out

    def _product(self, node: ast.expr) -> sp.Expr:
        """A run of *, / and unary signs, gathered iteratively, as one Mul."""
        sign, factors, stack = 1, [], [(node, False)]
        while stack:
            n, divide = stack.pop()
            if isinstance(n, ast.UnaryOp):
                sign *= -1 if isinstance(n.op, ast.USub) else 1
                stack.append((n.operand, divide))
            elif _family(n) == "product":
                stack.append((n.right, divide ^ isinstance(n.op, ast.Div)))
                stack.append((n.left, divide))
            else:
                v = self.build(n)
                if divide:
                    if v == 0:
                        seg = self.src.segment(n)
                        what = "" if isinstance(n, ast.Constant) else f": {_short(seg, 30)} is 0"
                        _refuse(f"Division by zero {self.src.at(n)}{what}")
                    v = sp.Pow(v, -1)
                factors.append(v)
        return sp.Mul(sign, *factors)

    def _number(self, node: ast.Constant) -> sp.Expr:
        v = node.value
        seg = self.src.segment(node)
        if isinstance(v, float) and not math.isfinite(v) or abs(v) > MAX_NUMBER:
            _refuse(f"The number {_short(seg, 24)} {self.src.at(node)} is too large "
                    f"(limit {MAX_NUMBER:g})")
        return sp.Integer(v) if isinstance(v, int) else sp.Float(v)

    def _power(self, node: ast.BinOp) -> sp.Expr:
        base = self.build(node.left)
        exp = self.build(node.right)
        if not exp.free_symbols:
            p = float(self._value(exp, node.right))
            if abs(p) > MAX_EXPONENT:
                _refuse(f"The exponent {_short(self.src.segment(node.right), 24)} "
                        f"{self.src.at(node.right)} is too large: {fmt(p)} "
                        f"(limit: at most {MAX_EXPONENT} in size)")
            if not base.free_symbols:
                b = self._value(base, node.left)
                if b == 0 and p < 0:
                    _refuse(f"Division by zero {self.src.at(node)}: "
                            f"{_short(self.src.segment(node), 30)}")
                if b != 0 and p * float(sp.log(abs(b), 10)) > math.log10(MAX_NUMBER):
                    _refuse(f"The number {_short(self.src.segment(node), 24)} "
                            f"{self.src.at(node)} is too large (limit {MAX_NUMBER:g})")
                if base.is_Rational and exp.is_Rational and \
                        _digits(base) * abs(exp.p) > MAX_EXACT_DIGITS:
                    # (1/3**99)**99 is tiny but exact: 9,000 digits, and one more
                    # **99 would be 900,000. Past a few hundred digits, use floats.
                    base = sp.Float(base, 20)
        elif not base.free_symbols and self._value(base, node.left) <= 0:
            _refuse(f"{_short(self.src.segment(node), 30)} {self.src.at(node)}: a base that is "
                    "0 or negative raised to a power with x or y in it is not real-valued "
                    "(or not differentiable)")
        return sp.Pow(base, exp)

    def _value(self, expr: sp.Expr, node: ast.expr) -> sp.Float:
        """The value of a constant subexpression (a SymPy float: it may be too
        small for a Python float), or a refusal saying why not."""
        seg = _short(self.src.segment(node), 30)
        if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
            _refuse(f"{seg} {self.src.at(node)} is undefined (division by zero or log(0))")
        v = sp.N(expr, 20)
        if not v.is_number or v.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
            _refuse(f"{seg} {self.src.at(node)} is undefined")
        re, im = v.as_real_imag()
        if im != 0:
            _refuse(f"{seg} {self.src.at(node)} is not a real number")
        if abs(re) > MAX_NUMBER:
            _refuse(f"{seg} {self.src.at(node)} is too large (limit {MAX_NUMBER:g})")
        return re

    def _checked(self, expr: sp.Expr, node: ast.expr) -> sp.Expr:
        if not expr.free_symbols:
            self._value(expr, node)
        return expr


# ------------------------------------------------------------------ the formula


def _digits(r: sp.Rational) -> int:
    """Decimal digits of the larger of a rational's numerator and denominator."""
    return int(max(abs(r.p).bit_length(), r.q.bit_length()) * 0.30103) + 1


def _numeric(e: sp.Basic) -> sp.Basic:
    """Constant parts as floats (17 digits) for the kernels: the printers would
    write ``sin(10**99)`` with a Python int that NumPy cannot take, and exact
    rationals are no better than floats there. Small rationals (exponents like
    2 or 1/3) and pi, e stay exact."""
    if not e.free_symbols:
        if e.is_Rational and max(abs(e.p), e.q) <= 2**53 or isinstance(e, sp.NumberSymbol):
            return e
        return sp.Float(sp.N(e, 20), 17)
    if not e.args:
        return e
    if isinstance(e, (sp.Add, sp.Mul)):
        # the constant terms of x - 10**99 + k*pi together, evaluated as one
        # number (to 20 correct digits), not one float each and then summed
        const = [a for a in e.args if not a.free_symbols]
        rest = [_numeric(a) for a in e.args if a.free_symbols]
        if const:
            rest.append(_numeric(e.func(*const)))
        return e.func(*rest)
    return e.func(*(_numeric(a) for a in e.args))


def _arg(printer, e, i=0) -> str:
    return "(%s)" % printer._print(e.args[i])


class _Abs(sp.Function):
    """|u| with derivative sign(u) u' (0 at u = 0), even where SymPy cannot tell
    that u is real (SymPy's own Abs then differentiates through re and im, and
    its second derivative is a DiracDelta, which the float printer lacks)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return _Sign(self.args[0])

    def _latex(self, printer, exp=None):
        tex = r"\left|{%s}\right|" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)

    def _pythoncode(self, printer):
        # math.fabs, not abs: abs() would turn a complex intermediate (x**0.5 at
        # x < 0 in Python floats) into a real number; fabs raises, and the float
        # kernels then fall back to NumPy, which says NaN
        return "%s%s" % (printer._module_format("math.fabs"), _arg(printer, self))

    _lambdacode = _pythoncode

    def _numpycode(self, printer):
        return "%s%s" % (printer._module_format("numpy.absolute"), _arg(printer, self))


class _Sign(sp.Function):
    """sign(u): -1, 0 or 1, NaN at NaN; its derivative is 0 (away from u = 0)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{sign}\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)

    def _pythoncode(self, printer):
        u = _arg(printer, self)
        return f"(({u} > 0) - ({u} < 0) + 0.0*{u})"

    _lambdacode = _pythoncode

    def _numpycode(self, printer):
        return "%s%s" % (printer._module_format("numpy.sign"), _arg(printer, self))


class _Step(sp.Function):
    """The step θ(u): 1 for u >= 0, else 0 (NaN at NaN); derivative 0."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _latex(self, printer, exp=None):
        tex = r"\theta\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)

    def _pythoncode(self, printer):
        u = _arg(printer, self)
        return f"(({u} >= 0) + 0.0*{u})"

    _lambdacode = _pythoncode

    def _numpycode(self, printer):
        return "%s(%s, 1.0)" % (printer._module_format("numpy.heaviside"),
                                printer._print(self.args[0]))


class _Max(sp.Function):
    """max(a, b): at a tie, the derivative is a's (θ(a - b) = 1). NaN propagates."""

    nargs = 2
    _np, _tex, _ge = "numpy.maximum", r"\max", ">="

    def fdiff(self, argindex=1):
        a, b = self.args
        step = _Step(a - b) if self._ge == ">=" else _Step(b - a)
        return step if argindex == 1 else 1 - step

    def _latex(self, printer, exp=None):
        tex = r"%s\left(%s, %s\right)" % (self._tex, printer._print(self.args[0]),
                                         printer._print(self.args[1]))
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    def _pythoncode(self, printer):
        a, b = _arg(printer, self, 0), _arg(printer, self, 1)
        strict = self._ge[0]
        return f"({a} if {a} {self._ge} {b} else {b} if {b} {strict} {a} else {a} + {b})"

    _lambdacode = _pythoncode

    def _numpycode(self, printer):
        return "%s(%s, %s)" % (printer._module_format(self._np),
                               printer._print(self.args[0]), printer._print(self.args[1]))


class _Min(_Max):
    """min(a, b): at a tie, the derivative is a's. NaN propagates."""

    _np, _tex, _ge = "numpy.minimum", r"\min", "<="


def _pairwise(cls, args):
    out = args[0]
    for b in args[1:]:
        out = cls(out, b)
    return out


def _computable(expr: sp.Expr) -> sp.Expr:
    """abs/min/max as functions of our own whose derivatives are sign and a step
    (both with derivative 0), printed as plain Python and NumPy: no DiracDelta, no
    re/im, and NaN propagates on both paths.

    One bottom-up pass that builds each node from its converted arguments directly:
    ``Expr.replace`` would first rebuild a ``Max`` around an already converted
    constant ``_Min(E, pi)``, which SymPy's ``Max`` refuses as not comparable
    (``min(max(x, pi), max(x, e))`` is ``Max(x, Min(E, pi))``). Constant parts stay
    SymPy's, which evaluate to numbers."""
    memo: dict = {}

    def convert(e: sp.Basic) -> sp.Basic:
        done = memo.get(e)
        if done is not None:
            return done
        if not e.free_symbols:  # a constant (SymPy leaves Min(E, pi) as is): N() evaluates it
            return e
        args = [convert(a) for a in e.args]
        if isinstance(e, sp.Abs):
            out = _Abs(*args)
        elif isinstance(e, sp.Min):
            out = _pairwise(_Min, args)
        elif isinstance(e, sp.Max):
            out = _pairwise(_Max, args)
        elif args != list(e.args):
            out = e.func(*args)
        else:
            out = e
        memo[e] = out
        return out

    return convert(expr)


def _tree_size(e: sp.Basic, memo: dict) -> int:
    n = memo.get(e)
    if n is None:
        n = 1 + sum(_tree_size(a, memo) for a in e.args)
        memo[e] = n
    return n


def _dsize(e: sp.Basic, v: sp.Symbol, memo: dict, sizes: dict) -> int:
    """An estimate (from above, for the shapes that grow) of the tree size of
    ``diff(e, v)``, without building it: the product rule, the chain rule and the
    power rule on sizes."""
    key = (e, v)
    n = memo.get(key)
    if n is not None:
        return n
    size = lambda a: _tree_size(a, sizes)  # noqa: E731
    d = lambda a: _dsize(a, v, memo, sizes)  # noqa: E731
    if v not in e.free_symbols:
        n = 1
    elif e == v:
        n = 1
    elif isinstance(e, sp.Add):
        n = 1 + sum(d(a) for a in e.args if v in a.free_symbols)
    elif isinstance(e, sp.Mul):
        dep = [a for a in e.args if v in a.free_symbols]
        whole = size(e)
        n = sum(whole - size(a) + d(a) for a in dep) + (len(dep) > 1)
    elif isinstance(e, sp.Pow):
        b, p = e.args
        if v not in p.free_symbols:
            n = 2 * size(b) + 2 * size(p) + 4 + d(b)
        else:
            n = size(e) + 2 * size(b) + size(p) + d(p) + d(b) + 8
    elif len(e.args) == 1:  # f'(u) u': f'(u) is about as big as f(u)
        n = size(e) + 6 + d(e.args[0])
    else:  # atan2, min, max: each argument's term
        n = sum(2 * size(e) + d(a) + 4 for a in e.args if v in a.free_symbols)
    memo[key] = n
    return n


@lru_cache(maxsize=256)
def _parse(text: str, lead: int = 0) -> tuple[sp.Expr, sp.Expr, tuple[str, str]]:
    """(display expression, expression the kernels differentiate, gradient LaTeX)."""
    if not text:
        _refuse(f"Expression is empty: type a function of x and y, e.g. {EXAMPLE}")
    parsed, where = _prepare(text, lead)
    src = _Source(text, lead, parsed, where)
    body = _parse_tree(src)
    _check_tree(body, src)
    try:
        return _formula(_Builder(src).build(body))
    except _Refused:
        raise
    except RecursionError:  # not expected after _check_tree; never let it escape
        _refuse(f"Expression is nested too deeply (more than {MAX_DEPTH} levels)")
    except _SYMPY_ERRORS as exc:  # SymPy's own refusals, in its words
        _refuse(f"Expression could not be handled ({type(exc).__name__}: {exc})")


# What SymPy may raise on an input it cannot handle (never AssertionError: a test
# that forbids a step must see it).
_SYMPY_ERRORS = (ValueError, TypeError, AttributeError, NameError, KeyError, IndexError,
                 NotImplementedError, ArithmeticError, SyntaxError)


def _formula(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr, tuple[str, str]]:
    """Checks on the whole expression, the kernels' version of it, and the
    complexity budget, before anything is differentiated twice."""
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        _refuse("Expression is undefined everywhere (it divides by zero)")
    if expr.has(sp.I):
        _refuse(f"Expression is not real-valued: it simplifies to {_clip(str(expr), 60)}")
    if not expr.free_symbols:
        _refuse(f"Expression does not depend on x or y (it is the constant "
                f"{_clip(str(expr), 40)}): every point would be a minimum and nothing "
                "would move")
    for num in expr.atoms(sp.Number):
        if abs(num) > MAX_COEFFICIENT:
            _refuse(f"Expression overflows: once simplified it holds the number "
                    f"{sp.N(num, 3)} (limit {MAX_COEFFICIENT:g})")
    exact = _computable(expr)
    compute = _numeric(exact)
    sizes: dict = {}
    memo: dict = {}
    grad_est = _dsize(compute, X, memo, sizes) + _dsize(compute, Y, memo, sizes)
    if grad_est > MAX_GRADIENT_SIZE:
        _too_complex()
    gx, gy = sp.diff(compute, X), sp.diff(compute, Y)
    if any(g.has(sp.I, sp.zoo, sp.oo, -sp.oo, sp.nan) for g in (gx, gy)):
        _refuse("The gradient of this expression is not real-valued or is undefined")
    hess_est = sum(_dsize(g, v, memo, sizes) for g, v in ((gx, X), (gx, Y), (gy, Y)))
    if hess_est > MAX_HESSIAN_SIZE:
        _too_complex()
    grad_latex = (sp.latex(sp.diff(exact, X)), sp.latex(sp.diff(exact, Y)))
    return expr, compute, grad_latex


def _too_complex():
    _refuse("Expression is too complex to differentiate quickly: its exact second "
            "derivatives would be too large (try fewer factors or less nesting)")


# ------------------------------------------------------------------ the surface


def _real(v) -> float:
    if v.__class__ is float:
        return v
    if isinstance(v, complex):
        return v.real if v.imag == 0 else math.nan
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _float_kernels(k: Kernels, vec: Kernels) -> Kernels:
    """The math-module kernels, made to agree with the NumPy ones outside the
    domain: where the math module raises (``math.log(-1.0)``, ``1.0 / 0.0``,
    ``math.exp(1000.0)``) or Python makes a complex number (``(-8.0) ** (1/3)``),
    the point is evaluated again with the NumPy kernels on float64 scalars (NaN or
    ±inf, as on the array path). Plain floats come back either way."""
    bad = (ArithmeticError, ValueError, TypeError)

    def slow(fn, x, y):
        with np.errstate(all="ignore"):
            out = fn(np.float64(x), np.float64(y))
        if isinstance(out, tuple):
            return tuple(_real(v) for v in out)
        return _real(out)

    def f(x, y):
        try:
            v = k.f(x, y)
        except bad:
            return slow(vec.f, x, y)
        return v if v.__class__ is float else (
            slow(vec.f, x, y) if isinstance(v, complex) else _real(v))

    def many(fast, vector):
        def call(x, y):
            try:
                out = fast(x, y)
            except bad:
                return slow(vector, x, y)
            if any(isinstance(v, complex) for v in out):
                return slow(vector, x, y)
            return tuple(v if v.__class__ is float else _real(v) for v in out)

        return call

    return Kernels(f=f, grad=many(k.grad, vec.grad), hess=many(k.hess, vec.hess))


def _hint(v: float) -> float:
    v = min(max(v, LR_RANGE[0]), LR_RANGE[1])
    return float(f"{v:.2g}")


@lru_cache(maxsize=128)
def _surface(text: str, bounds, lead: int = 0) -> Surface:
    expr, compute, (lx, ly) = _parse(text, lead)
    try:
        scalar, vector = kernels(compute)
    except _SYMPY_ERRORS as exc:
        raise ExpressionError(f"Expression could not be compiled ({type(exc).__name__}: {exc})") \
            from None
    scalar = _float_kernels(scalar, vector)
    probe = Surface(key="custom", label="", formula="", bounds=bounds, minimizers=(),
                    min_value=None, start=(0.0, 0.0), scalar=scalar, vector=vector)
    (x0, x1), (y0, y1) = bounds
    xs, ys = np.linspace(x0, x1, GRID_N), np.linspace(y0, y1, GRID_N)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # (n, n, 2)
    gx_, gy_ = grid[..., 0], grid[..., 1]
    try:
        with np.errstate(all="ignore"):
            raw = [vector.f(gx_, gy_), *vector.grad(gx_, gy_), *vector.hess(gx_, gy_)]
    except _SYMPY_ERRORS as exc:  # a printer gap must not escape as anything but ValueError
        raise ExpressionError(f"Expression could not be evaluated ({type(exc).__name__}: {exc})") \
            from None
    if any(np.iscomplexobj(v) for v in raw):
        raise ExpressionError("Expression is not real-valued (its derivatives are complex)")
    f, fx, fy, hxx, hxy, hyy = (np.broadcast_to(np.asarray(v, dtype=float), gx_.shape)
                                for v in raw)
    g = np.stack([fx, fy], -1)
    h = np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)
    sizes = derivative_sizes(compute)
    with np.errstate(all="ignore"):
        return _finish(text, expr, (lx, ly), bounds, scalar, vector, probe, grid, f, g, h, sizes)


def _finish(text, expr, grad_latex, bounds, scalar, vector, probe, grid, f, g, h, sizes) -> Surface:
    (x0, x1), (y0, y1) = bounds
    where = probe.domain_text
    finite_f = np.isfinite(f)
    ok = finite_f & np.isfinite(g).all(axis=-1)
    if not finite_f.any():
        raise RegionError(f"f is not finite anywhere on {where} (undefined or overflowing "
                         "there): change the expression or the bounds")
    if not ok.any():
        raise RegionError(f"The gradient of f is not finite anywhere on {where}: change the "
                         "expression or the bounds")

    start = _start(scalar, bounds, grid, g, ok)

    # learning-rate hints from the curvature (or, if there is none, the slope)
    hf = np.isfinite(h).all(axis=(-1, -2)) & ok
    a, b, d = h[..., 0, 0][hf], h[..., 0, 1][hf], h[..., 1, 1][hf]
    lam = np.abs((a + d) / 2) + np.hypot((a - d) / 2, b)
    lam = lam[np.isfinite(lam)]
    big = float(np.percentile(lam, 95)) if lam.size else 0.0
    span = min(x1 - x0, y1 - y0)
    if big > 0 and math.isfinite(big):
        gradient_lr = 0.1 / big
    else:
        gn = np.linalg.norm(g[ok], axis=-1)
        gn = gn[np.isfinite(gn)]
        slope = float(np.percentile(gn, 95)) if gn.size else 0.0
        gradient_lr = 0.01 * span / slope if slope > 0 and math.isfinite(slope) else 0.01
    hints = {"gradient": _hint(gradient_lr), "normalized": _hint(0.01 * span)}

    description = _describe(expr, f, grid, finite_f, grad_latex)
    params = {"expression": text, "xmin": x0, "xmax": x1, "ymin": y0, "ymax": y1}
    return Surface(
        key="custom", label=f"Custom: {text}", formula="f = " + sp.latex(expr),
        bounds=bounds, minimizers=(), min_value=None, start=start, scalar=scalar,
        vector=vector, description=description, log_color=False, params=params,
        lr_hints=hints, expression=text, grad_size=sizes[0], hess_size=sizes[1],
    )


def _start(scalar: Kernels, bounds, grid, g, ok) -> tuple[float, float]:
    (x0, x1), (y0, y1) = bounds
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    # to 12 significant digits: 1.2, not 1.2000000000000002 (the link shows it)
    px, py = (float(f"{v:.12g}") for v in (cx + START_FRACTION[0] * rx, cy + START_FRACTION[1] * ry))
    fv = scalar.f(px, py)
    gx, gy = scalar.grad(px, py)
    if all(math.isfinite(v) for v in (fv, gx, gy)) and (gx, gy) != (0.0, 0.0):
        return float(px), float(py)
    moving = ok & (np.abs(g) > 0).any(axis=-1)
    pool = moving if moving.any() else ok
    pts = grid[pool]
    i = int(np.argmin(np.hypot((pts[:, 0] - px) / rx, (pts[:, 1] - py) / ry)))
    return float(pts[i, 0]), float(pts[i, 1])


def _describe(expr, f, grid, finite_f, grad_latex) -> str:
    vals = np.where(finite_f, f, np.inf)
    i = np.unravel_index(int(np.argmin(vals)), vals.shape)
    xm, ym = grid[i]
    n = vals.shape[0]
    parts = [
        "A function you typed, differentiated exactly by SymPy. Its minimum is not known: "
        f"the lowest value on a {n}×{n} grid over the region is f ≈ {fmt(float(vals[i]))} "
        f"at ({fmt(float(xm))}, {fmt(float(ym))})"
        + (", on the edge, so f may keep falling outside." if 0 in i or n - 1 in i else ".")
    ]
    bad = 1.0 - float(finite_f.mean())
    if bad > 0:
        parts.append(f"f is undefined or infinite on {100 * bad:.0f}% of the grid; a run that "
                     "steps there stops as diverged.")
    if expr.has(sp.Abs, sp.Min, sp.Max):
        parts.append("At a kink of abs the gradient takes sign(0) = 0; where the arguments "
                     "of min or max tie, it follows the first argument.")
    gx, gy = grad_latex
    if len(gx) + len(gy) <= MAX_LATEX:
        grad = rf"$$\nabla f = \left({gx},\ {gy}\right)$$"
    else:
        grad = "(The gradient is too long to show.)"
    return " ".join(parts) + "\n\n" + grad
