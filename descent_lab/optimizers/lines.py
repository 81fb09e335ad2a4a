r"""How a rule's explanation is declared: one :class:`Line` per line of the readout.

A line is ``lhs = formula = numbers (= value)``: the LaTeX of the left side, the
symbolic right side, the right side with the step's numbers in it, and the name of
the value it evaluates to. The numbers are not computed here: ``numbers`` is a
template whose placeholders name values the rule itself produced, and
:func:`optimizers.explain` fills them in by running the rule's own ``update`` for the
explained step. So the arithmetic of a rule is written once, in the rule.

Placeholders
------------
``{name}`` (not directly after a letter or a backslash, so ``\operatorname{sign}``
and ``\{`` stay LaTeX) names one value:

* ``{name}``: a local variable of ``update`` when it returns (this includes the
  factory's hyperparameters and constants the rule uses), else a hyperparameter;
* ``{name@in}``: an argument of ``update`` as it was called (``p@in`` is
  :math:`\theta_{t-1}`, ``g@in`` the gradient the optimizer was given);
* ``{name@prev}``: the state buffer ``name`` before the step (``m@prev`` is
  :math:`m_{t-1}`);
* ``{name@out}``: what ``update`` returned: ``p@out`` the new position
  :math:`\theta_t`, ``lr_eff@out`` the effective learning rate, or a state buffer
  after the step.

A value is a number (the same for both coordinates: a hyperparameter, a bias
correction) or a per-coordinate pair ``(x, y)``.

``when`` chooses between alternative lines by what the rule computed: ``"name"``
keeps the line when that value is true, ``"!name"`` when it is false (RAdam's two
branches, AMSGrad's maximum, L2 or decoupled weight decay, Nesterov or heavy ball);
a tuple of these keeps it when all hold. A condition on a value the rule did not
compute for this step (a branch it did not take) drops the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Line", "PLACEHOLDER", "placeholders", "gradient_lines"]

PLACEHOLDER = re.compile(r"(?<![A-Za-z\\])\{([A-Za-z_]\w*(?:@(?:in|prev|out))?)\}")
"""A ``{name}`` placeholder in a ``numbers`` template (group 1 is the name)."""


def placeholders(template: str) -> tuple[str, ...]:
    """The placeholder names of ``template``, in order, without repeats."""
    return tuple(dict.fromkeys(PLACEHOLDER.findall(template)))


@dataclass(frozen=True, kw_only=True)
class Line:
    """One declared line of a rule's explanation (see the module docstring).

    ``value`` names what the line evaluates to (same syntax as a placeholder, without
    braces), or is None for a line that only shows its inputs (Newton's Hessian).
    """

    lhs: str
    formula: str
    numbers: str
    value: str | None
    when: str | tuple[str, ...] | None = None

    @property
    def conditions(self) -> tuple[str, ...]:
        """``when`` as a tuple (empty: always shown)."""
        if self.when is None:
            return ()
        return (self.when,) if isinstance(self.when, str) else tuple(self.when)

    @property
    def names(self) -> tuple[str, ...]:
        """Every value this line reads: its placeholders, its value, its conditions."""
        extra = [n for n in (self.value, *(c.lstrip("!") for c in self.conditions)) if n]
        return tuple(dict.fromkeys(placeholders(self.numbers) + tuple(extra)))


def gradient_lines(flag: str = "l2") -> tuple[Line, Line]:
    r"""The gradient line of a rule with torch's L2 weight decay: :math:`g_t` is the
    gradient as given, or with :math:`\lambda\,\theta_{t-1}` added when the rule's
    ``flag`` is true. The rule keeps the gradient it uses in its local ``g``."""
    return (
        Line(lhs="g_t", formula=r"\nabla f(\theta_{t-1})", numbers="{g@in}", value="g",
             when="!" + flag),
        Line(lhs="g_t", formula=r"\nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}",
             numbers=r"{g@in} + {weight_decay}\,{p@in}", value="g", when=flag),
    )


RAW_GRADIENT = Line(lhs="g_t", formula=r"\nabla f(\theta_{t-1})", numbers="{g@in}",
                    value="g@in")
"""The gradient line of a rule that never changes the gradient it is given."""
