r"""Each update explained by the rule itself: :func:`explain`.

``explain(traj, k)`` re-runs the optimizer's own ``update`` for update ``k`` of a
trajectory (from the recorded position, gradient, learning rate and state) and
records the rule's variables: their values at the call (``@in``), the state before
(``@prev``), and the locals and return values when it returns (bare names, ``@out``).
The spec's declared lines (:class:`~optimizers.lines.Line`) then pick what to show.
No formula is written twice: the numbers are the ones the rule computed.

How the variables are recorded
------------------------------
With ``sys.setprofile`` for that one call (the profile hook sees the rule's frame at
``call`` and at ``return``, and its ``f_locals`` include the factory's constants the
rule reads). The alternative, a tracing ops backend with overloaded numbers, would
make every rule avoid Python control flow on values (``if l2``, ``t == 1``) and would
not name anything: names are exactly what the readout needs. The hook is installed
only while one ``update`` call runs, in the calling thread, and the previous hook is
restored, so the runners never see it.

Elementwise rules run once on the array backend with both coordinates as a ``(2,)``
array, so a per-coordinate value comes back as a pair and a value the coordinates
share (``t``, a bias correction, ``rho_t``) as one number. Coupled rules (Newton,
Adafactor) take the pair ``(x, y)`` themselves and name their pairs; Newton's
Hessian is the one the run recorded (``Trajectory.hess``).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .backend import ARRAY_EXPLAIN, FLOAT_EXPLAIN
from .lines import PLACEHOLDER, Line
from .runner import replay
from .specs import get

__all__ = ["ExplainedLine", "Explanation", "explain", "explain_values", "finite", "generic_lines"]

Value = float | tuple[float, float]


@dataclass(frozen=True, kw_only=True)
class ExplainedLine:
    r"""One line of an explanation: ``lhs = formula = numbers (= value)``.

    ``numbers`` keeps its ``{name}`` placeholders; ``values`` maps each to a number
    or an ``(x, y)`` pair, for the page to format and put in (:meth:`substitute`).
    ``value`` is what the line evaluates to (None for a line that only shows its
    inputs).
    """

    lhs: str
    formula: str
    numbers: str
    values: dict[str, Value]
    value: Value | None

    def substitute(self, fmt: Callable[[Value], str]) -> str:
        """``numbers`` with each placeholder replaced by ``fmt(value)`` (the page's
        formatting of a number or a pair)."""
        return PLACEHOLDER.sub(lambda m: fmt(self.values[m.group(1)]), self.numbers)


@dataclass(frozen=True, kw_only=True)
class Explanation:
    """Update ``k`` of a run (torch's step ``t = k + 1``), line by line; the last line
    is the new position (:attr:`step`, whose value is ``traj.xy[k + 1]``)."""

    key: str
    k: int
    t: int
    lines: tuple[ExplainedLine, ...]

    @property
    def step(self) -> ExplainedLine:
        return self.lines[-1]


def generic_lines(fields: tuple[str, ...]) -> tuple[Line, ...]:
    """The explanation of a rule that declares none: the gradient, each state buffer
    after the step, and the new position."""
    return (
        Line(lhs="g_t", formula=r"\nabla f(\theta_{t-1})", numbers="{g@in}", value="g@in"),
        *(Line(lhs=rf"\text{{{name}}}_t", formula="", numbers=f"{{{name}@out}}", value=f"{name}@out")
          for name in fields),
        Line(lhs=r"\theta_t", formula="", numbers="{p@out}", value="p@out"),
    )


# ------------------------------------------------------------------ capture


def _capture(update: Callable, *args) -> tuple[dict, dict, object]:
    """Call ``update(*args)``; return its locals at the call and at the return, and
    its return value."""
    code = update.__code__
    seen: dict = {}

    def hook(frame, event, arg):
        if frame.f_code is code:
            if event == "call":
                seen["in"] = dict(frame.f_locals)
            elif event == "return":
                seen["out"] = dict(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        with np.errstate(all="ignore"):
            result = update(*args)
    finally:
        sys.setprofile(previous)
    return seen["in"], seen["out"], result


def _plain(value):
    """A number, an ``(x, y)`` pair or a bool, as plain Python values; None if the
    value is neither (a tuple of three, an array of another shape)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            return None
        try:
            return (float(value[0]), float(value[1]))
        except (TypeError, ValueError):
            return None
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if arr.ndim == 0:
        return float(arr)
    if arr.shape == (2,):
        return (float(arr[0]), float(arr[1]))
    return None


def _state_before(rule, traj, k: int, coupled: bool):
    """The state tuple ``update`` was called with at update ``k``, rebuilt from the
    trajectory (the state after update ``k - 1``, or ``init`` at the start): the
    recorded buffers, in the types ``init`` gives them (a number the coordinates
    share, a per-coordinate value, or for a coupled rule an ``(x, y)`` pair)."""
    lr0 = float(traj.lr[0])
    p0 = tuple(map(float, traj.xy[0])) if coupled else np.array(traj.xy[0], dtype=float)
    start = rule.init(p0, lr0)
    if k == 0:
        return start
    if coupled and any(name not in traj.state for name in start._fields[1:]):
        return type(start)(*replay(traj, k))  # a history the run does not record (L-BFGS)
    values = [k]
    for name, init_value in zip(start._fields[1:], start[1:]):
        after = traj.state[name][k - 1]
        if coupled:
            pair = isinstance(init_value, tuple)
            values.append((float(after[0]), float(after[1])) if pair else float(after[0]))
        else:  # a buffer the coordinates share (NAdam's mu_product) starts as one number
            values.append(float(after[0]) if np.ndim(init_value) == 0 else np.array(after, dtype=float))
    return type(start)(*values)


def explain_values(traj, k: int) -> dict | None:
    """Every value a line may name for update ``k`` (``name``, ``name@in``,
    ``name@prev``, ``name@out``), as numbers, pairs or bools; None past the last
    update. The namespace :func:`explain` fills its lines from."""
    if not 0 <= k < traj.steps:
        return None
    spec = get(traj.key)
    coupled = spec.coupled
    rule = spec.make(FLOAT_EXPLAIN if coupled else ARRAY_EXPLAIN, **traj.hparams)
    s = _state_before(rule, traj, k, coupled)
    lr = float(traj.lr[k])
    if coupled:
        p = tuple(map(float, traj.xy[k]))
        g = tuple(map(float, traj.grad_used[k]))
        h = None
        if spec.hessian:  # the Hessian the run recorded for this step
            h = traj.hess[k]
            h = (float(h[0, 0]), float(h[0, 1]), float(h[1, 1]))
        elif spec.evaluates:  # a rule that evaluates the surface itself
            h = traj.surface.scalar
        args = (p, g, h, s, lr)
    else:
        args = (np.array(traj.xy[k], dtype=float), np.array(traj.grad_used[k], dtype=float), s, lr)
    at_call, at_return, (p_new, state_new, lr_eff) = _capture(rule.update, *args)

    names: dict = {}
    for name, value in traj.hparams.items():
        names[name] = value
    for name, value in at_return.items():
        names[name] = value
    for name, value in at_call.items():
        names[f"{name}@in"] = value
    fields = type(s)._fields
    for name, value in zip(fields, s):
        names[f"{name}@prev"] = value
    for name, value in zip(fields, state_new):
        names[f"{name}@out"] = value
    names["p@out"] = p_new
    names["lr_eff@out"] = lr_eff
    out = {}
    for name, value in names.items():
        plain = _plain(value)
        if plain is not None:
            out[name] = plain
    return out


# ------------------------------------------------------------------ lines


def _chosen(line: Line, values: dict) -> bool:
    """Whether every condition of ``line`` holds; a condition on a value the rule did
    not compute this step (a branch it did not take) does not."""
    for condition in line.conditions:
        name = condition.lstrip("!")
        if name not in values:
            return False
        flag = values[name]
        if isinstance(flag, tuple):
            raise ValueError(f"line {line.lhs!r}: its condition {name!r} differs between coordinates")
        if bool(flag) == condition.startswith("!"):
            return False
    return True


def _lookup(line: Line, name: str, values: dict):
    try:
        return values[name]
    except KeyError:
        raise KeyError(f"line {line.lhs!r} names {name!r}, which the rule does not have "
                       f"for this step") from None


def _number(value) -> Value:
    return (float(value[0]), float(value[1])) if isinstance(value, tuple) else float(value)


def explain(traj, k: int) -> Explanation | None:
    """Update ``k`` of ``traj`` (applied at ``xy[k]``) explained line by line by its
    rule, or None past the last update.

    Lines are the spec's (``OptimizerSpec.lines``), those whose ``when`` holds for
    this step; a spec that declares none gets :func:`generic_lines`. ``KeyError``
    for a chosen line that names a value its rule does not have (a declaration
    error, which the tests look for over the whole registry).
    """
    values = explain_values(traj, k)
    if values is None:
        return None
    spec = get(traj.key)
    declared = spec.lines or generic_lines(tuple(n for n in traj.state))
    out = []
    for line in declared:
        if not _chosen(line, values):
            continue
        used = {name: _number(_lookup(line, name, values)) for name in
                dict.fromkeys(PLACEHOLDER.findall(line.numbers))}
        value = None if line.value is None else _number(_lookup(line, line.value, values))
        out.append(ExplainedLine(lhs=line.lhs, formula=line.formula, numbers=line.numbers,
                                 values=used, value=value))
    return Explanation(key=traj.key, k=k, t=k + 1, lines=tuple(out))


def finite(explanation: Explanation) -> bool:
    """Whether every number of an explanation is finite (JSON-safe)."""
    for line in explanation.lines:
        for v in [*line.values.values(), line.value]:
            if v is None:
                continue
            if not all(math.isfinite(x) for x in (v if isinstance(v, tuple) else (v,))):
                return False
    return True
