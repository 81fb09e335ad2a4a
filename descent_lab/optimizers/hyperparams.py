"""Declarative numeric parameters: the one place defaults and ranges live.

A :class:`HyperParam` describes one knob (an optimizer's learning rate, a surface's
condition number): its default, the range the app accepts, whether a slider over it
is linear or logarithmic, and a one-line help text. The UI builds every control from
these records, and :meth:`HyperParam.validate` re-checks every value that arrives
from outside, with torch.optim's wording ("Invalid learning rate: 5.0").
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Literal

__all__ = ["HyperParam", "MAX_ITEMS"]

MAX_ITEMS = 16
"""Most entries of a ``kind="steps"`` parameter."""


@dataclass(frozen=True, kw_only=True)
class HyperParam:
    """One scalar parameter with its default, accepted range and help text.

    ``error`` is the message template used when a value is refused; it follows
    torch.optim's wording, e.g. ``"Invalid beta parameter at index 0: {}"``.
    ``high_open`` makes the upper bound exclusive (betas live in ``[0, 1)``).
    ``kind="bool"`` is an on/off option (RMSprop's ``centered``).
    ``kind="int"`` is a count (a schedule's period in steps): a whole number,
    returned as an ``int``; ``2.0`` is accepted as 2, ``2.5`` is refused.
    ``kind="steps"`` is a list of such counts (MultiStepLR's milestones), each in
    ``[low, high]``, at most :data:`MAX_ITEMS` of them, returned sorted as a tuple.
    ``kind="text"`` is a string (the typed surface's formula): ``high`` is the
    longest text accepted, and what the text may say is checked by its owner
    (``surfaces.from_expression``), not here.
    ``advanced`` marks knobs the UI may tuck away (weight decay, dampening).
    """

    name: str
    label: str
    default: float | int | bool | str | tuple
    low: float = 0.0
    high: float = 1.0
    scale: Literal["linear", "log"] = "linear"
    help: str = ""
    error: str = ""
    high_open: bool = False
    kind: Literal["float", "int", "bool", "text", "steps"] = "float"
    advanced: bool = False

    def __post_init__(self) -> None:
        if self.kind in ("float", "int", "steps"):
            if not self.low <= self.high:
                raise ValueError(f"{self.name}: low must not exceed high")
            if self.scale == "log" and self.low <= 0:
                raise ValueError(f"{self.name}: a log-scale range must be positive")
        if self.kind != "bool":
            self.validate(self.default)

    @property
    def message(self) -> str:
        return self.error or f"Invalid {self.name} value: {{}}"

    def validate(self, value: object) -> float | bool | str:
        """Return ``value`` as a float (or bool, or str), or raise ``ValueError``.

        Refused: other types (strings, None, and bools for numeric knobs), NaN,
        infinities and anything outside ``[low, high]`` (``[low, high)`` when
        ``high_open``); for text, anything but a string of at most ``high``
        characters.
        """
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise ValueError(self.message.format(repr(value)) + " (expected true or false)")
        if self.kind == "text":
            if isinstance(value, str) and len(value) <= self.high:
                return value
            shown = repr(value) if not isinstance(value, str) else f"{len(value)} characters"
            raise ValueError(self.message.format(shown)
                             + f" (expected text of at most {self.high:g} characters)")
        if self.kind == "steps":
            return self._validate_steps(value)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(self.message.format(repr(value)) + " (expected a number)")
        x = float(value)
        upper_ok = x < self.high if self.high_open else x <= self.high
        if not (math.isfinite(x) and self.low <= x and upper_ok):
            close = ")" if self.high_open else "]"
            raise ValueError(
                self.message.format(value if self.kind == "int" else x)
                + f" (allowed range [{self.low:g}, {self.high:g}{close})"
            )
        if self.kind == "int":
            if not x.is_integer():
                raise ValueError(self.message.format(value) + " (expected a whole number)")
            return int(x)
        return x

    def _validate_steps(self, value: object) -> tuple[int, ...]:
        items = list(value) if isinstance(value, (list, tuple)) else None
        if items is None or not 1 <= len(items) <= MAX_ITEMS:
            raise ValueError(self.message.format(repr(value))
                             + f" (expected a list of 1 to {MAX_ITEMS} step counts)")
        one = HyperParam(name=self.name, label=self.label, default=int(self.low), low=self.low,
                         high=self.high, error=self.error, kind="int")
        return tuple(sorted(one.validate(v) for v in items))
