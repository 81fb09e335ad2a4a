r"""Update rules: pure ``init`` / ``update`` pairs over an explicit state.

Every rule here follows torch.optim's documented algorithm (torch 2.x): the same
defaults, epsilon placement, momentum buffer, bias correction, AMSGrad maximum,
NAdam momentum schedule, RAdam rectification and Rprop step-size rules. Lion
follows Chen et al. (2023), Algorithm 1. Only the learning-rate defaults may be
tuned per surface by the app (the spec holds torch's).

A factory takes an ``ops`` backend (:mod:`optimizers.backend`) and every
hyperparameter by keyword, with no defaults (torch's functional core: the spec in
:mod:`optimizers.specs` is the one place defaults live), and returns
``Rule(init, update)``:

* ``init(p, lr) -> state``: the state for one coordinate value ``p`` (a float, or an
  array holding that coordinate for many runs).
* ``update(p, g, state, lr) -> (p_new, state, lr_eff)``: one step. ``lr`` is passed
  each step so schedules can change it. ``lr_eff`` is the per-coordinate multiplier
  the rule applies to its (momentum-averaged) gradient: ``lr / (sqrt(v_hat) + eps)``
  for Adam, ``lr`` for gradient descent. Where it costs extra work, rules skip it
  (``None``) on a backend with ``ops.lr_eff`` false (the batch runner's).

Rules are elementwise (one coordinate at a time) and use plain arithmetic, so one
copy serves Python floats and NumPy arrays of any shape. ``init`` returns the state
as a named tuple (its fields name the buffers, step count first); ``update`` returns
a plain tuple in the same order (a named tuple costs about 0.3 us to build, a
fifth of an interactive step) and never mutates anything.

Coupled rules (Newton, Adafactor: anything that mixes the coordinates) take both
at once: ``init((x, y), lr)`` and ``update((x, y), (gx, gy), h, state, lr) ->
((x, y), state, (ex, ey))``, where ``h`` is the Hessian ``(hxx, hxy, hyy)`` for a
rule whose spec sets ``hessian`` and None otherwise. Their state fields are numbers
or ``(x, y)`` pairs (recorded per step) or anything else (not recorded).

The math in each docstring is the same LaTeX the app renders (``fn.rule``).

Each rule also declares how one of its steps is explained (``*_LINES``, a tuple of
:class:`~optimizers.lines.Line`): the readout's lines name the rule's own local
variables, and :func:`optimizers.explain` fills them in by running ``update`` for
that step. Rules therefore give their intermediates names (``bc1``, ``rho_t``,
``mu_next``) without changing the order of their floating-point operations, which
follows torch's kernels (``addcmul``/``addcdiv`` evaluate ``value * a * b`` and
``value * a / b`` left to right). Quantities only a reader needs (Adam's
bias-corrected ``m_hat``) are computed under ``if explain`` (``ops.explain``, true
only on the explain backends), so the runners never pay for them.
"""

from __future__ import annotations

import math
from textwrap import indent
from typing import Callable, NamedTuple

from .lines import RAW_GRADIENT, Line, gradient_lines

__all__ = [
    "Rule",
    "gd",
    "sgd_momentum",
    "adagrad",
    "rmsprop",
    "adadelta",
    "adam",
    "nadam",
    "radam",
    "adamax",
    "rprop",
    "lion",
    "newton",
]


def _is_scalar(c) -> bool:
    """One value for every run (a float), not a (B,) array of a sweep."""
    return isinstance(c, (int, float))


def _is_zero(c) -> bool:
    """A scalar hyperparameter equal to 0: a term it multiplies can be skipped. A
    (B,) array (a sweep) never is, so the batch path keeps the term."""
    return _is_scalar(c) and c == 0


def _lerp_form(weight):
    """How torch's ``lerp(a, b, w)`` evaluates for this weight: ``a + w (b - a)`` when
    ``|w| < 0.5`` (True), ``b - (b - a)(1 - w)`` otherwise (False), one per run for
    a swept weight (an array of bools). The two agree up to rounding; torch picks by
    the weight, so the rules do too."""
    small = abs(weight) < 0.5
    return bool(small) if _is_scalar(weight) else small


class Rule(NamedTuple):
    init: Callable
    update: Callable


def _documented(latex: str):
    """Attach the rule's LaTeX to a factory: ``fn.rule`` and a ``.. math::`` block."""

    def deco(fn):
        fn.rule = latex.strip()
        fn.__doc__ = (fn.__doc__ or "").rstrip() + "\n\n    .. math::\n\n" + indent(
            fn.rule, "        "
        )
        return fn

    return deco


# ---------------------------------------------------------------- SGD family


class CountState(NamedTuple):
    count: int


class MomentumState(NamedTuple):
    count: int
    buf: float


def _theta(formula: str, numbers: str, when: str | None = None) -> Line:
    r"""The last line of every explanation: :math:`\theta_t`, the new position."""
    return Line(lhs=r"\theta_t", formula=formula, numbers=numbers, value="p@out", when=when)


@_documented(r"""
\begin{aligned}
g_t &\leftarrow \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}\\
\theta_t &= \theta_{t-1} - \eta\, g_t
\end{aligned}
""")
def gd(ops, *, lr, weight_decay):
    """Gradient descent: ``torch.optim.SGD`` with ``momentum=0``.

    Symbols: :math:`\\eta` learning rate, :math:`\\lambda` weight decay (L2, added to
    the gradient as torch does).
    """

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0

    def init(p, lr0):
        return CountState(0)

    def update(p, g, s, lr):
        if l2:
            g = g + weight_decay * p  # L2 term added to the gradient
        return p - lr * g, (s[0] + 1,), lr

    return Rule(init, update)


GD_LINES = (
    *gradient_lines(),
    _theta(r"\theta_{t-1} - \eta\, g_t", r"{p@in} - {lr}\,{g}"),
)


@_documented(r"""
\begin{aligned}
g_t &\leftarrow \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}\\
b_t &= \mu\, b_{t-1} + (1-\tau)\, g_t \quad (b_1 = g_1)\\
\theta_t &= \theta_{t-1} - \eta\, b_t
\quad\text{or, Nesterov:}\quad \theta_{t-1} - \eta\,(g_t + \mu\, b_t)
\end{aligned}
""")
def sgd_momentum(ops, *, lr, momentum, dampening, weight_decay, nesterov):
    """SGD with momentum (heavy ball or Nesterov), as ``torch.optim.SGD``.

    Symbols: :math:`\\mu` momentum, :math:`\\tau` dampening, :math:`b` the momentum
    buffer, which torch sets to the first gradient on the first step. With
    :math:`\\mu = 0` there is no buffer (torch skips it, and its dampening): the
    step is plain gradient descent.

    Convention: torch keeps the learning rate outside the buffer. Sutskever et al.
    (2013) and many texts put it inside (:math:`v_t = \\mu v_{t-1} - \\eta g_t`);
    the two agree for a constant learning rate but differ when it is scheduled.
    torch's Nesterov form evaluates the gradient at the current point and looks
    ahead through the buffer, not at :math:`\\theta + \\mu v`.
    """

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0
    has_buf = not _is_zero(momentum)  # torch keeps no buffer (and no dampening) without momentum
    # the share of each new gradient the buffer takes; in a sweep, runs with momentum 0
    # take all of it, so their buffer is the gradient, as torch's plain step
    keep = 1.0 - dampening if _is_scalar(momentum) else ops.where(momentum == 0, 1.0, 1.0 - dampening)

    def init(p, lr0):
        return MomentumState(0, p * 0.0) if has_buf else CountState(0)

    def update(p, g, s, lr):
        t = s[0] + 1
        if l2:
            g = g + weight_decay * p  # L2 term
        if not has_buf:
            return p - lr * g, (t,), lr
        buf = s[1]
        first = t == 1
        buf = g if first else momentum * buf + keep * g  # velocity
        d = g + momentum * buf if nesterov else buf  # Nesterov looks ahead via buf
        return p - lr * d, (t, buf), lr

    return Rule(init, update)


MOMENTUM_LINES = (
    *gradient_lines(),
    Line(lhs="b_t", formula=r"g_t \quad (t = 1)", numbers="{g}", value="buf", when="first"),
    Line(lhs="b_t", formula=r"\mu\, b_{t-1} + (1-\tau)\, g_t",
         numbers=r"{momentum}\,{buf@prev} + {keep}\,{g}", value="buf", when="!first"),
    Line(lhs="d_t", formula=r"g_t + \mu\, b_t", numbers=r"{g} + {momentum}\,{buf}", value="d",
         when="nesterov"),
    _theta(r"\theta_{t-1} - \eta\, d_t", r"{p@in} - {lr}\,{d}", when="nesterov"),
    _theta(r"\theta_{t-1} - \eta\, b_t", r"{p@in} - {lr}\,{buf}", when=("has_buf", "!nesterov")),
    _theta(r"\theta_{t-1} - \eta\, g_t", r"{p@in} - {lr}\,{g}", when="!has_buf"),
)


# --------------------------------------------------- per-coordinate rescaling


class AdagradState(NamedTuple):
    count: int
    sum: float


@_documented(r"""
\begin{aligned}
\tilde\eta_t &= \eta \,/\, (1 + (t-1)\,\delta)\\
s_t &= s_{t-1} + g_t^2\\
\theta_t &= \theta_{t-1} - \tilde\eta_t\, g_t \,/\, (\sqrt{s_t} + \epsilon)
\end{aligned}
""")
def adagrad(ops, *, lr, lr_decay, weight_decay, initial_accumulator_value, eps):
    """Adagrad, as ``torch.optim.Adagrad``.

    Symbols: :math:`\\delta` lr decay, :math:`s` the running sum of squared
    gradients (starting at ``initial_accumulator_value``).

    Convention: epsilon is added outside the square root (torch, Keras); some
    texts write :math:`\\sqrt{s_t + \\epsilon}`.
    """

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0
    explain = ops.explain

    def init(p, lr0):
        return AdagradState(0, p * 0.0 + initial_accumulator_value)

    def update(p, g, s, lr):
        count, acc = s
        t = count + 1
        if l2:
            g = g + weight_decay * p  # L2 term
        clr = lr / (1 + (t - 1) * lr_decay)  # decayed step size
        acc = acc + g * g  # sum of squared gradients
        std = ops.sqrt(acc) + eps
        if explain:
            g2 = g * g
        return p - clr * g / std, (t, acc), (clr / std if ops.lr_eff else None)

    return Rule(init, update)


ADAGRAD_LINES = (
    *gradient_lines(),
    Line(lhs=r"\tilde\eta_t", formula=r"\eta \,/\, (1 + (t-1)\,\delta)",
         numbers=r"{lr} \,/\, (1 + {count}\cdot {lr_decay})", value="clr"),
    Line(lhs="s_t", formula=r"s_{t-1} + g_t^2", numbers=r"{sum@prev} + {g2}", value="acc"),
    Line(lhs=r"\eta_{\text{eff}}", formula=r"\tilde\eta_t \,/\, (\sqrt{s_t} + \epsilon)",
         numbers=r"{clr} \,/\, (\sqrt{{acc}} + {eps})", value="lr_eff@out"),
    _theta(r"\theta_{t-1} - \eta_{\text{eff}} \odot g_t", r"{p@in} - {lr_eff@out} \odot {g}"),
)


class RMSpropState(NamedTuple):
    count: int
    v: float


class MomentumRMSpropState(NamedTuple):
    count: int
    v: float
    buf: float


class CenteredRMSpropState(NamedTuple):
    count: int
    v: float
    g_avg: float


class CenteredMomentumRMSpropState(NamedTuple):
    count: int
    v: float
    g_avg: float
    buf: float


@_documented(r"""
\begin{aligned}
v_t &= \alpha\, v_{t-1} + (1-\alpha)\, g_t^2\\
\tilde v_t &= v_t - \bar g_t^{\,2},\ \ \bar g_t = \alpha\,\bar g_{t-1} + (1-\alpha)\,g_t
\quad\text{(centered only; else } \tilde v_t = v_t)\\
b_t &= \mu\, b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon)\\
\theta_t &= \theta_{t-1} - \eta\, b_t
\end{aligned}
""")
def rmsprop(ops, *, lr, alpha, eps, weight_decay, momentum, centered):
    """RMSprop, as ``torch.optim.RMSprop`` (with its ``centered`` and ``momentum``).

    Symbols: :math:`\\alpha` smoothing constant, :math:`v` the running mean of
    squared gradients, :math:`\\mu` momentum (with :math:`\\mu = 0` there is no
    buffer, as in torch, and the step is :math:`\\eta\\,g_t/(\\sqrt{v_t}+\\epsilon)`).

    Convention: torch adds epsilon outside the square root and applies no bias
    correction. TensorFlow/Keras' RMSprop puts epsilon inside
    (:math:`\\sqrt{v_t + \\epsilon}`) and defaults to :math:`\\rho = 0.9`; Hinton's
    lecture notes use no epsilon at all.
    """

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0
    has_buf = not _is_zero(momentum)  # like torch, no momentum buffer without momentum
    keep = 1.0 - alpha
    lerp_small, lerp_rest = _lerp_form(keep), 1.0 - keep
    explain = ops.explain
    State = ((CenteredMomentumRMSpropState if has_buf else CenteredRMSpropState) if centered
             else (MomentumRMSpropState if has_buf else RMSpropState))

    def init(p, lr0):
        z = p * 0.0
        return State(0, *[z] * (len(State._fields) - 1))  # only the buffers this configuration uses

    def update(p, g, s, lr):
        if l2:
            g = g + weight_decay * p  # L2 term
        v = alpha * s[1] + keep * g * g  # mean of squares
        if centered:
            if lerp_small is True:  # mean of gradients: torch's lerp
                g_avg = s[2] + keep * (g - s[2])
            elif lerp_small is False:
                g_avg = g - (g - s[2]) * lerp_rest
            else:
                g_avg = ops.where(lerp_small, s[2] + keep * (g - s[2]), g - (g - s[2]) * lerp_rest)
            v_tilde = v - g_avg * g_avg  # variance estimate
            avg = ops.sqrt(v_tilde) + eps
        else:
            avg = ops.sqrt(v) + eps
        if explain:
            g2 = g * g
        lr_eff = lr / avg if ops.lr_eff else None
        if has_buf:
            buf = momentum * s[-1] + g / avg
            state = (s[0] + 1, v, g_avg, buf) if centered else (s[0] + 1, v, buf)
            return p - lr * buf, state, lr_eff
        state = (s[0] + 1, v, g_avg) if centered else (s[0] + 1, v)
        return p - lr * g / avg, state, lr_eff

    return Rule(init, update)


RMSPROP_LINES = (
    *gradient_lines(),
    Line(lhs="v_t", formula=r"\alpha\, v_{t-1} + (1-\alpha)\, g_t^2",
         numbers=r"{alpha}\,{v@prev} + {keep}\,{g2}", value="v"),
    Line(lhs=r"\bar g_t", formula=r"\alpha\,\bar g_{t-1} + (1-\alpha)\, g_t",
         numbers=r"{alpha}\,{g_avg@prev} + {keep}\,{g}", value="g_avg", when="centered"),
    Line(lhs=r"\tilde v_t", formula=r"v_t - \bar g_t^{\,2}", numbers=r"{v} - {g_avg} \odot {g_avg}",
         value="v_tilde", when="centered"),
    Line(lhs="d_t", formula=r"\sqrt{\tilde v_t} + \epsilon", numbers=r"\sqrt{{v_tilde}} + {eps}",
         value="avg", when="centered"),
    Line(lhs="d_t", formula=r"\sqrt{v_t} + \epsilon", numbers=r"\sqrt{{v}} + {eps}", value="avg",
         when="!centered"),
    Line(lhs="b_t", formula=r"\mu\, b_{t-1} + g_t / d_t",
         numbers=r"{momentum}\,{buf@prev} + {g} \oslash {avg}", value="buf", when="has_buf"),
    _theta(r"\theta_{t-1} - \eta\, b_t", r"{p@in} - {lr}\,{buf}", when="has_buf"),
    _theta(r"\theta_{t-1} - \eta\, g_t / d_t", r"{p@in} - {lr}\,{g} \oslash {avg}",
           when="!has_buf"),
)


class AdadeltaState(NamedTuple):
    count: int
    v: float
    u: float


@_documented(r"""
\begin{aligned}
v_t &= \rho\, v_{t-1} + (1-\rho)\, g_t^2\\
\Delta_t &= \sqrt{u_{t-1} + \epsilon}\,/\,\sqrt{v_t + \epsilon}\; g_t\\
u_t &= \rho\, u_{t-1} + (1-\rho)\, \Delta_t^2\\
\theta_t &= \theta_{t-1} - \eta\, \Delta_t
\end{aligned}
""")
def adadelta(ops, *, lr, rho, eps, weight_decay):
    """Adadelta, as ``torch.optim.Adadelta`` (Zeiler, 2012).

    Symbols: :math:`\\rho` decay, :math:`v` mean of squared gradients, :math:`u`
    mean of squared updates.

    Convention: here epsilon sits inside both square roots, as in the paper and in
    torch. torch also keeps a learning rate (default 1.0) that the paper lacks.
    """

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0
    keep = 1.0 - rho
    explain = ops.explain

    def init(p, lr0):
        z = p * 0.0
        return AdadeltaState(0, z, z)

    def update(p, g, s, lr):
        if l2:
            g = g + weight_decay * p  # L2 term
        count, v, u = s
        v = rho * v + keep * g * g  # mean of squared gradients
        scale = ops.sqrt(u + eps) / ops.sqrt(v + eps)  # unit-correcting ratio
        delta = scale * g
        u = rho * u + keep * delta * delta  # mean of squared updates
        if explain:
            g2, delta2 = g * g, delta * delta
        return p - lr * delta, (count + 1, v, u), (lr * scale if ops.lr_eff else None)

    return Rule(init, update)


ADADELTA_LINES = (
    *gradient_lines(),
    Line(lhs="v_t", formula=r"\rho\, v_{t-1} + (1-\rho)\, g_t^2",
         numbers=r"{rho}\,{v@prev} + {keep}\,{g2}", value="v"),
    Line(lhs=r"\Delta_t", formula=r"\sqrt{u_{t-1} + \epsilon}\,/\,\sqrt{v_t + \epsilon}\; g_t",
         numbers=r"\sqrt{{u@prev} + {eps}} \oslash \sqrt{{v} + {eps}} \odot {g}", value="delta"),
    Line(lhs="u_t", formula=r"\rho\, u_{t-1} + (1-\rho)\, \Delta_t^2",
         numbers=r"{rho}\,{u@prev} + {keep}\,{delta2}", value="u"),
    _theta(r"\theta_{t-1} - \eta\, \Delta_t", r"{p@in} - {lr}\,{delta}"),
)


# -------------------------------------------------------------- Adam family


class AdamState(NamedTuple):
    count: int
    m: float
    v: float


class AMSGradState(NamedTuple):
    count: int
    m: float
    v: float
    v_max: float


ADAM_MATH = r"""
\begin{aligned}
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t\\
v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2
\qquad (\text{AMSGrad: } v_t \leftarrow \max(v_{t-1}^{\max}, v_t))\\
\hat m_t &= m_t / (1-\beta_1^t), \qquad \hat v_t = v_t / (1-\beta_2^t)\\
\theta_t &= \theta_{t-1} - \eta\, \hat m_t \,/\, (\sqrt{\hat v_t} + \epsilon)
\quad (\text{AdamW: first } \theta \leftarrow \theta\,(1 - \eta\lambda))
\end{aligned}
"""


@_documented(ADAM_MATH)
def adam(ops, *, lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled):
    """Adam, AdamW and AMSGrad, as ``torch.optim.Adam`` / ``torch.optim.AdamW``.

    Symbols: :math:`m, v` first and second moment estimates, :math:`\\hat m, \\hat v`
    their bias-corrected values, :math:`\\lambda` weight decay: added to the
    gradient for Adam, applied to the weights directly (``decoupled``) for AdamW.
    ``amsgrad`` keeps the running maximum of :math:`v` (not of :math:`\\hat v`), as
    torch does.

    Convention: epsilon is added to :math:`\\sqrt{\\hat v_t}`, as in the paper and
    torch. TensorFlow/Keras add "epsilon hat" to :math:`\\sqrt{v_t}` before bias
    correction (:math:`\\hat\\epsilon = \\epsilon\\sqrt{1-\\beta_2^t}`), which differs
    in the first steps and wherever :math:`v` is tiny.

    ``lr_eff`` is :math:`\\eta / (\\sqrt{\\hat v_t} + \\epsilon)`, the multiplier of
    :math:`\\hat m_t`.
    """

    nonzero = not _is_zero(weight_decay)  # torch skips weight decay when it is 0
    decays = decoupled and nonzero  # AdamW: shrink the weights
    l2 = not decoupled and nonzero  # Adam: L2 term in the gradient
    one_m_b1, one_m_b2 = 1.0 - beta1, 1.0 - beta2
    lerp_small, lerp_rest = _lerp_form(one_m_b1), 1.0 - one_m_b1
    explain = ops.explain

    def init(p, lr0):
        z = p * 0.0
        return AMSGradState(0, z, z, z) if amsgrad else AdamState(0, z, z)

    def update(p, g, s, lr):
        count, m, v = s[0], s[1], s[2]  # AMSGrad's v_max is s[3]
        t = count + 1
        if decays:
            decay = 1.0 - lr * weight_decay
            p = p * decay  # AdamW: decay the weights directly
        if l2:
            g = g + weight_decay * p  # Adam: L2 term in the gradient
        if lerp_small is True:  # first moment: torch's lerp
            m = m + one_m_b1 * (g - m)
        elif lerp_small is False:
            m = g - (g - m) * lerp_rest
        else:
            m = ops.where(lerp_small, m + one_m_b1 * (g - m), g - (g - m) * lerp_rest)
        v = beta2 * v + one_m_b2 * g * g  # second moment
        bc1 = 1.0 - beta1**t  # bias corrections
        bc2 = 1.0 - beta2**t
        step_size = lr / bc1
        bc2_sqrt = ops.sqrt(bc2)
        if amsgrad:
            v_max = ops.maximum(s[3], v)  # AMSGrad keeps the max of v
            denom = ops.sqrt(v_max) / bc2_sqrt + eps  # sqrt(v_hat) + eps
            state = (t, m, v, v_max)
        else:
            denom = ops.sqrt(v) / bc2_sqrt + eps
            state = (t, m, v)
        if explain:
            g2, m_hat, v_hat = g * g, m / bc1, (v_max if amsgrad else v) / bc2
        return p - step_size * m / denom, state, (lr / denom if ops.lr_eff else None)

    return Rule(init, update)


DECAYED = Line(lhs=r"\theta_{t-1}'", formula=r"\theta_{t-1}\,(1 - \eta\lambda)",
               numbers=r"{p@in}\,{decay}", value="p", when="decays")
"""Decoupled weight decay, applied to the weights first (the rule keeps ``decay``
and the decayed ``p``)."""

ADAM_LINES = (
    DECAYED,
    *gradient_lines(),
    Line(lhs="m_t", formula=r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t",
         numbers=r"{beta1}\,{m@prev} + {one_m_b1}\,{g}", value="m"),
    Line(lhs="v_t", formula=r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t^2",
         numbers=r"{beta2}\,{v@prev} + {one_m_b2}\,{g2}", value="v"),
    Line(lhs=r"v_t^{\max}", formula=r"\max(v_{t-1}^{\max},\ v_t)",
         numbers=r"\max\bigl({v_max@prev},\ {v}\bigr)", value="v_max", when="amsgrad"),
    Line(lhs=r"\hat m_t", formula=r"m_t / (1-\beta_1^t)", numbers=r"{m} / {bc1}", value="m_hat"),
    Line(lhs=r"\hat v_t", formula=r"v_t^{\max} / (1-\beta_2^t)", numbers=r"{v_max} / {bc2}",
         value="v_hat", when="amsgrad"),
    Line(lhs=r"\hat v_t", formula=r"v_t / (1-\beta_2^t)", numbers=r"{v} / {bc2}", value="v_hat",
         when="!amsgrad"),
    Line(lhs=r"\eta_{\text{eff}}", formula=r"\eta / (\sqrt{\hat v_t} + \epsilon)",
         numbers=r"{lr} / (\sqrt{{v_hat}} + {eps})", value="lr_eff@out"),
    _theta(r"\theta_{t-1}' - \eta_{\text{eff}} \odot \hat m_t",
           r"{p} - {lr_eff@out} \odot {m_hat}", when="decays"),
    _theta(r"\theta_{t-1} - \eta_{\text{eff}} \odot \hat m_t",
           r"{p@in} - {lr_eff@out} \odot {m_hat}", when="!decays"),
)


class NAdamState(NamedTuple):
    count: int
    m: float
    v: float
    mu_product: float


@_documented(r"""
\begin{aligned}
\mu_t &= \beta_1\,\bigl(1 - \tfrac12\, 0.96^{\,t\psi}\bigr),\qquad \Pi_t = \textstyle\prod_{i\le t}\mu_i\\
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\
\theta_t &= \theta_{t-1} - \eta\,\frac{(1-\mu_t)\,g_t/(1-\Pi_t) + \mu_{t+1}\, m_t/(1-\Pi_t\mu_{t+1})}
{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}
\end{aligned}
""")
def nadam(ops, *, lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay):
    """NAdam, as ``torch.optim.NAdam`` (Dozat, 2016).

    Symbols: :math:`\\psi` momentum decay, :math:`\\mu_t` the momentum schedule and
    :math:`\\Pi_t` its running product (state ``mu_product``, one number as in
    torch).

    Convention: torch uses Dozat's warming momentum schedule
    :math:`\\mu_t = \\beta_1(1 - 0.5\\cdot 0.96^{t\\psi})`; Keras' Nadam and many
    write-ups use a constant :math:`\\beta_1` with a plain bias correction.
    ``decoupled_weight_decay`` shrinks the weights as AdamW does (NAdamW) instead of
    adding the L2 term to the gradient.
    """

    nonzero = not _is_zero(weight_decay)  # torch skips weight decay when it is 0
    decays = decoupled_weight_decay and nonzero
    l2 = not decoupled_weight_decay and nonzero
    one_m_b1, one_m_b2 = 1.0 - beta1, 1.0 - beta2
    lerp_small, lerp_rest = _lerp_form(one_m_b1), 1.0 - one_m_b1
    explain = ops.explain

    def init(p, lr0):
        z = p * 0.0
        return NAdamState(0, z, z, 1.0)

    def update(p, g, s, lr):
        count, m, v, mu_product = s
        t = count + 1
        if decays:
            decay = 1.0 - lr * weight_decay
            p = p * decay  # decoupled: decay the weights directly
        if l2:
            g = g + weight_decay * p  # L2 term
        t_psi, t1_psi = t * momentum_decay, (t + 1) * momentum_decay
        mu = beta1 * (1.0 - 0.5 * 0.96**t_psi)  # momentum schedule
        mu_next = beta1 * (1.0 - 0.5 * 0.96**t1_psi)
        mu_product = mu_product * mu
        if lerp_small is True:  # first moment: torch's lerp
            m = m + one_m_b1 * (g - m)
        elif lerp_small is False:
            m = g - (g - m) * lerp_rest
        else:
            m = ops.where(lerp_small, m + one_m_b1 * (g - m), g - (g - m) * lerp_rest)
        v = beta2 * v + one_m_b2 * g * g  # second moment
        bc2 = 1.0 - beta2**t
        denom = ops.sqrt(v / bc2) + eps
        c_g = -lr * (1.0 - mu) / (1.0 - mu_product)
        c_m = -lr * mu_next / (1.0 - mu_product * mu_next)
        step_g = c_g * g / denom  # gradient part
        step_m = c_m * m / denom  # momentum part
        if explain:
            g2 = g * g
        return p + step_g + step_m, (t, m, v, mu_product), (lr / denom if ops.lr_eff else None)

    return Rule(init, update)


NADAM_LINES = (
    DECAYED,
    *gradient_lines(),
    Line(lhs=r"\mu_t", formula=r"\beta_1\bigl(1 - \tfrac12\, 0.96^{\,t\psi}\bigr)",
         numbers=r"{beta1}\,\bigl(1 - \tfrac12\cdot 0.96^{{t_psi}}\bigr)", value="mu"),
    Line(lhs=r"\mu_{t+1}", formula=r"\beta_1\bigl(1 - \tfrac12\, 0.96^{\,(t+1)\psi}\bigr)",
         numbers=r"{beta1}\,\bigl(1 - \tfrac12\cdot 0.96^{{t1_psi}}\bigr)", value="mu_next"),
    Line(lhs=r"\Pi_t", formula=r"\Pi_{t-1}\, \mu_t", numbers=r"{mu_product@prev}\cdot {mu}",
         value="mu_product"),
    Line(lhs="m_t", formula=r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t",
         numbers=r"{beta1}\,{m@prev} + {one_m_b1}\,{g}", value="m"),
    Line(lhs="v_t", formula=r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t^2",
         numbers=r"{beta2}\,{v@prev} + {one_m_b2}\,{g2}", value="v"),
    Line(lhs="d_t", formula=r"\sqrt{v_t/(1-\beta_2^t)} + \epsilon",
         numbers=r"\sqrt{{v} / {bc2}} + {eps}", value="denom"),
    Line(lhs=r"\Delta^{g}_t", formula=r"-\eta\,\frac{1-\mu_t}{1-\Pi_t}\; g_t / d_t",
         numbers=r"{c_g}\; {g} \oslash {denom}", value="step_g"),
    Line(lhs=r"\Delta^{m}_t", formula=r"-\eta\,\frac{\mu_{t+1}}{1-\Pi_t\,\mu_{t+1}}\; m_t / d_t",
         numbers=r"{c_m}\; {m} \oslash {denom}", value="step_m"),
    _theta(r"\theta_{t-1}' + \Delta^{g}_t + \Delta^{m}_t", r"{p} + {step_g} + {step_m}",
           when="decays"),
    _theta(r"\theta_{t-1} + \Delta^{g}_t + \Delta^{m}_t", r"{p@in} + {step_g} + {step_m}",
           when="!decays"),
)


class RAdamState(NamedTuple):
    count: int
    m: float
    v: float


@_documented(r"""
\begin{aligned}
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\
\rho_\infty &= \tfrac{2}{1-\beta_2} - 1,\qquad
\rho_t = \rho_\infty - 2t\,\beta_2^t/(1-\beta_2^t)\\
\theta_t &= \theta_{t-1} - \eta\,\hat m_t\cdot
\begin{cases} r_t\,\sqrt{1-\beta_2^t}\,/\,(\sqrt{v_t}+\epsilon) & \rho_t > 5\\ 1 & \text{otherwise}\end{cases}\\
r_t &= \sqrt{\tfrac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}
\end{aligned}
""")
def radam(ops, *, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay):
    """RAdam, as ``torch.optim.RAdam`` (Liu et al., 2020).

    Symbols: :math:`\\rho_t` the length of the approximated simple moving average,
    :math:`r_t` the variance rectification term. While :math:`\\rho_t \\le 5`
    (the first steps: until step 6 with :math:`\\beta_2 = 0.999`) the update is
    SGD with bias-corrected momentum.

    Convention: torch switches at :math:`\\rho_t > 5` and adds epsilon to
    :math:`\\sqrt{v_t}` before bias correction; the paper's reference code switches
    at :math:`\\rho_t > 4` in some versions. ``decoupled_weight_decay`` shrinks the
    weights as AdamW does instead of adding the L2 term to the gradient.
    """

    nonzero = not _is_zero(weight_decay)  # torch skips weight decay when it is 0
    decays = decoupled_weight_decay and nonzero
    l2 = not decoupled_weight_decay and nonzero
    one_m_b1, one_m_b2 = 1.0 - beta1, 1.0 - beta2
    lerp_small, lerp_rest = _lerp_form(one_m_b1), 1.0 - one_m_b1
    rho_inf = 2.0 / (1.0 - beta2) - 1.0  # max length of the SMA
    rho_i = ops.maximum(rho_inf, 5.0)  # (clamped: see rect below)
    explain = ops.explain

    def init(p, lr0):
        z = p * 0.0
        return RAdamState(0, z, z)

    def update(p, g, s, lr):
        count, m, v = s
        t = count + 1
        if decays:
            decay = 1.0 - lr * weight_decay
            p = p * decay  # decoupled: decay the weights directly
        if l2:
            g = g + weight_decay * p  # L2 term
        if lerp_small is True:  # first moment: torch's lerp
            m = m + one_m_b1 * (g - m)
        elif lerp_small is False:
            m = g - (g - m) * lerp_rest
        else:
            m = ops.where(lerp_small, m + one_m_b1 * (g - m), g - (g - m) * lerp_rest)
        v = beta2 * v + one_m_b2 * g * g  # second moment
        bc1 = 1.0 - beta1**t
        beta2_t = beta2**t
        bc2 = 1.0 - beta2_t
        m_hat = m / bc1
        rho_t = rho_inf - 2.0 * t * beta2_t / bc2
        rectified = rho_t > 5.0
        # rho_t > 5 implies rho_inf > 5: clamping both keeps the unused branch finite
        rho_s = ops.maximum(rho_t, 5.0)
        rect = ((rho_s - 4) * (rho_s - 2) * rho_i / ((rho_i - 4) * (rho_i - 2) * rho_s)) ** 0.5
        bc2_sqrt = bc2**0.5
        adaptive = bc2_sqrt / (ops.sqrt(v) + eps)
        plain = m_hat * lr  # torch's order: m_hat * lr * adaptive * rect
        step = ops.where(rectified, plain * adaptive * rect, plain)  # rectified or plain
        lr_eff = ops.where(rectified, lr * adaptive * rect, lr + 0.0 * v) if ops.lr_eff else None
        if explain:
            g2 = g * g
        return p - step, (t, m, v), lr_eff

    return Rule(init, update)


RADAM_LINES = (
    DECAYED,
    *gradient_lines(),
    Line(lhs="m_t", formula=r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t",
         numbers=r"{beta1}\,{m@prev} + {one_m_b1}\,{g}", value="m"),
    Line(lhs="v_t", formula=r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t^2",
         numbers=r"{beta2}\,{v@prev} + {one_m_b2}\,{g2}", value="v"),
    Line(lhs=r"\hat m_t", formula=r"m_t / (1-\beta_1^t)", numbers=r"{m} / {bc1}", value="m_hat"),
    Line(lhs=r"\rho_\infty", formula=r"\tfrac{2}{1-\beta_2} - 1", numbers=r"2 / {one_m_b2} - 1",
         value="rho_inf"),
    Line(lhs=r"\rho_t", formula=r"\rho_\infty - 2t\,\beta_2^t/(1-\beta_2^t)",
         numbers=r"{rho_inf} - 2\cdot {t}\cdot {beta2_t} / {bc2}", value="rho_t"),
    Line(lhs=r"r_t \ \ (\rho_t > 5\text{: rectified})",
         formula=r"\sqrt{\tfrac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}",
         numbers=r"\sqrt{\tfrac{({rho_t} - 4)({rho_t} - 2)\cdot {rho_inf}}"
                 r"{({rho_inf} - 4)({rho_inf} - 2)\cdot {rho_t}}}",
         value="rect", when="rectified"),
    Line(lhs=r"\eta_{\text{eff}}", formula=r"\eta\, r_t\sqrt{1-\beta_2^t}\,/\,(\sqrt{v_t} + \epsilon)",
         numbers=r"{lr}\cdot {rect}\cdot {bc2_sqrt} / (\sqrt{{v}} + {eps})", value="lr_eff@out",
         when="rectified"),
    Line(lhs=r"\eta_{\text{eff}} \ \ (\rho_t \le 5\text{: plain momentum})", formula=r"\eta",
         numbers="{lr}", value="lr_eff@out", when="!rectified"),
    _theta(r"\theta_{t-1}' - \eta_{\text{eff}} \odot \hat m_t", r"{p} - {lr_eff@out} \odot {m_hat}",
           when="decays"),
    _theta(r"\theta_{t-1} - \eta_{\text{eff}} \odot \hat m_t", r"{p@in} - {lr_eff@out} \odot {m_hat}",
           when="!decays"),
)


class AdamaxState(NamedTuple):
    count: int
    m: float
    u: float


@_documented(r"""
\begin{aligned}
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t\\
u_t &= \max(\beta_2\, u_{t-1},\ |g_t| + \epsilon)\\
\theta_t &= \theta_{t-1} - \eta\, m_t \,/\, \bigl((1-\beta_1^t)\, u_t\bigr)
\end{aligned}
""")
def adamax(ops, *, lr, beta1, beta2, eps, weight_decay):
    """Adamax, as ``torch.optim.Adamax`` (the infinity-norm Adam of Kingma & Ba).

    Symbols: :math:`u` the exponentially weighted infinity norm.

    Convention: torch adds epsilon to :math:`|g_t|` inside the maximum; the paper
    has no epsilon and Keras adds it to :math:`u_t` in the denominator.
    """

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0
    one_m_b1 = 1.0 - beta1
    lerp_small, lerp_rest = _lerp_form(one_m_b1), 1.0 - one_m_b1

    def init(p, lr0):
        z = p * 0.0
        return AdamaxState(0, z, z)

    def update(p, g, s, lr):
        count, m, u = s
        t = count + 1
        if l2:
            g = g + weight_decay * p  # L2 term
        if lerp_small is True:  # first moment: torch's lerp
            m = m + one_m_b1 * (g - m)
        elif lerp_small is False:
            m = g - (g - m) * lerp_rest
        else:
            m = ops.where(lerp_small, m + one_m_b1 * (g - m), g - (g - m) * lerp_rest)
        abs_g = ops.abs(g)
        u = ops.maximum(beta2 * u, abs_g + eps)  # infinity norm
        bc1 = 1.0 - beta1**t
        clr = lr / bc1  # bias-corrected step size
        return p - clr * m / u, (t, m, u), (lr / u if ops.lr_eff else None)

    return Rule(init, update)


ADAMAX_LINES = (
    *gradient_lines(),
    Line(lhs="m_t", formula=r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t",
         numbers=r"{beta1}\,{m@prev} + {one_m_b1}\,{g}", value="m"),
    Line(lhs="u_t", formula=r"\max\bigl(\beta_2\, u_{t-1},\ |g_t| + \epsilon\bigr)",
         numbers=r"\max\bigl({beta2}\,{u@prev},\ {abs_g} + {eps}\bigr)", value="u"),
    Line(lhs=r"\tilde\eta_t", formula=r"\eta / (1-\beta_1^t)", numbers=r"{lr} / {bc1}",
         value="clr"),
    _theta(r"\theta_{t-1} - \tilde\eta_t\, m_t \oslash u_t", r"{p@in} - {clr}\,{m} \oslash {u}"),
)


# ------------------------------------------------------------ averaging


class ASGDState(NamedTuple):
    count: int
    eta: float
    mu: float
    ax: float


@_documented(r"""
\begin{aligned}
g_t &\leftarrow \nabla f(\theta_{t-1}) + \lambda_2\,\theta_{t-1}\\
\theta_t &= \theta_{t-1}\,(1 - \lambda\,\eta_t) - \eta_t\, g_t\\
\bar\theta_t &= \bar\theta_{t-1} + \mu_t\,(\theta_t - \bar\theta_{t-1})
\quad(\bar\theta_t = \theta_t \text{ while } \mu_t = 1)\\
\eta_{t+1} &= \eta / (1 + \lambda\,\eta\, t)^{\alpha},\qquad \mu_{t+1} = 1 / \max(1,\ t - t_0)
\end{aligned}
""")
def asgd(ops, *, lr, lambd, alpha, t0, weight_decay):
    """Averaged SGD, as ``torch.optim.ASGD`` (Polyak & Juditsky, 1992).

    Symbols: :math:`\\eta_t` the decaying step size (``eta``, starting at the
    learning rate), :math:`\\lambda` (``lambd``) its decay and the weights' shrink,
    :math:`\\alpha` the decay power, :math:`\\bar\\theta` the averaged iterate
    (``ax``), which torch keeps but never uses for the step: it is what a user
    evaluates at the end. :math:`\\mu_t` starts averaging after step :math:`t_0`.

    Convention: torch's default :math:`t_0 = 10^6` means the average is a copy of
    :math:`\\theta` for a million steps, longer than any run here; lower it to see
    the averaging. :math:`\\eta_{t+1}` uses the learning rate of step :math:`t`,
    so a schedule changes it one step late, as in torch.
    """

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0

    def init(p, lr0):
        return ASGDState(0, lr0, 1.0, p * 0.0)

    def update(p, g, s, lr):
        count, eta, mu, ax = s
        t = count + 1
        if l2:
            g = g + weight_decay * p  # L2 term
        decay = 1.0 - lambd * eta
        p = p * decay - eta * g  # shrink, then step (torch: mul_, then add_)
        averaging = mu != 1
        ax = ops.where(averaging, ax + (p - ax) * mu, p)  # the average (a copy while mu = 1)
        eta_next = lr / ((1 + lambd * lr * t) ** alpha)
        mu_next = 1 / ops.maximum(1, t - t0)
        return p, (t, eta_next, mu_next, ax), eta

    return Rule(init, update)


ASGD_LINES = (
    *gradient_lines(),
    Line(lhs=r"\bar\theta_t", formula=r"\bar\theta_{t-1} + \mu_t\,(\theta_t - \bar\theta_{t-1})",
         numbers=r"{ax@prev} + {mu}\,({p@out} - {ax@prev})", value="ax", when="averaging"),
    Line(lhs=r"\bar\theta_t", formula=r"\theta_t \quad (\mu_t = 1\text{: not averaging yet})",
         numbers=r"{p@out}", value="ax", when="!averaging"),
    Line(lhs=r"\eta_{t+1}", formula=r"\eta / (1 + \lambda\,\eta\, t)^{\alpha}",
         numbers=r"{lr} / (1 + {lambd}\cdot {lr}\cdot {t})^{{alpha}}", value="eta_next"),
    Line(lhs=r"\mu_{t+1}", formula=r"1 / \max(1,\ t - t_0)", numbers=r"1 / \max(1,\ {t} - {t0})",
         value="mu_next"),
    _theta(r"\theta_{t-1}\,(1 - \lambda\,\eta_t) - \eta_t\, g_t",
           r"{p@in}\,{decay} - {eta}\,{g}"),
)


# ----------------------------------------------------------- sign-based rules


class RpropState(NamedTuple):
    count: int
    prev: float
    step_size: float


@_documented(r"""
\begin{aligned}
\eta_t &= \operatorname{clip}\bigl(\eta_{t-1}\cdot
\begin{cases}\eta^+ & g_t g_{t-1} > 0\\ \eta^- & g_t g_{t-1} < 0\\ 1 & \text{otherwise}\end{cases},
\ \Gamma_{\min}, \Gamma_{\max}\bigr)\\
g_t &\leftarrow 0 \ \text{ where } g_t g_{t-1} < 0\\
\theta_t &= \theta_{t-1} - \eta_t\, \operatorname{sign}(g_t)
\end{aligned}
""")
def rprop(ops, *, lr, etaminus, etaplus, step_size_min, step_size_max):
    """Rprop, as ``torch.optim.Rprop`` (Riedmiller & Braun, 1993; the iRprop- variant).

    Symbols: per-coordinate step sizes :math:`\\eta_t` starting at the learning
    rate, grown by :math:`\\eta^+` while the gradient keeps its sign and shrunk by
    :math:`\\eta^-` when it flips, clipped to :math:`[\\Gamma_{\\min}, \\Gamma_{\\max}]`.

    Convention: after a sign flip torch stores a zero gradient (so that coordinate
    does not move and its step size is not shrunk twice): iRprop-. The original
    Rprop backtracks the previous step instead. The learning rate only sets the
    initial step sizes, so a learning-rate schedule does not affect Rprop, as in
    torch.
    """

    def init(p, lr0):
        z = p * 0.0
        return RpropState(0, z, z + lr0)

    def update(p, g, s, lr):
        count, prev, step_size = s
        flip = ops.sign(g * prev)  # +1 same sign, -1 flipped, 0 either is zero
        factor = ops.where(flip > 0, etaplus, ops.where(flip < 0, etaminus, 1.0))
        step_size = ops.minimum(ops.maximum(step_size * factor, step_size_min), step_size_max)
        g = ops.where(flip < 0, 0.0 * g, g)  # iRprop-: no move after a flip
        direction = ops.sign(g)
        lr_eff = ops.div0(step_size * ops.abs(direction), ops.abs(g)) if ops.lr_eff else None
        return p - direction * step_size, (count + 1, g, step_size), lr_eff

    return Rule(init, update)


RPROP_LINES = (
    RAW_GRADIENT,
    Line(lhs=r"\operatorname{sign}(g_t\, g_{t-1})", formula="",
         numbers=r"\operatorname{sign}\bigl({g@in} \odot {prev@prev}\bigr)", value="flip"),
    Line(lhs=r"\phi_t", formula=r"\eta^+,\ \eta^-,\ 1 \text{ where that sign is } {+},\ {-},\ 0",
         numbers="{factor}", value="factor"),
    Line(lhs=r"\eta_t", formula=r"\operatorname{clip}\bigl(\eta_{t-1}\,\phi_t,\ \Gamma_{\min},\ \Gamma_{\max}\bigr)",
         numbers=r"\operatorname{clip}\bigl({step_size@prev} \odot {factor},\ {step_size_min},\ "
                 r"{step_size_max}\bigr)",
         value="step_size"),
    Line(lhs=r"g_t'", formula=r"g_t \text{ with } 0 \text{ where } g_t\, g_{t-1} < 0", numbers="{g}",
         value="g"),
    _theta(r"\theta_{t-1} - \operatorname{sign}(g_t') \odot \eta_t",
           r"{p@in} - {direction} \odot {step_size}"),
)


class LionState(NamedTuple):
    count: int
    m: float


@_documented(r"""
\begin{aligned}
c_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t\\
\theta_t &= \theta_{t-1}\,(1 - \eta\lambda) - \eta\,\operatorname{sign}(c_t)\\
m_t &= \beta_2 m_{t-1} + (1-\beta_2)\, g_t
\end{aligned}
""")
def lion(ops, *, lr, beta1, beta2, weight_decay):
    """Lion, as in Chen et al. (2023), "Symbolic Discovery of Optimization
    Algorithms", Algorithm 1, in the order of its authors' reference code
    ``lion-pytorch`` (the decay first, then the sign step; torch.optim has no Lion).

    Symbols: :math:`c` the interpolated update direction, :math:`m` the momentum
    tracked with the slower :math:`\\beta_2`, :math:`\\lambda` decoupled weight decay.

    Convention: every coordinate moves by exactly :math:`\\eta` (plus decay), so
    Lion's learning rate is typically 3-10x smaller than AdamW's.
    """

    decays = not _is_zero(weight_decay)
    one_m_b1, one_m_b2 = 1.0 - beta1, 1.0 - beta2

    def init(p, lr0):
        return LionState(0, p * 0.0)

    def update(p, g, s, lr):
        count, m = s
        if decays:  # lion-pytorch: p.mul_(1 - lr * wd) first
            decay = 1.0 - lr * weight_decay
            p = p * decay
        c = m * beta1 + one_m_b1 * g  # interpolated direction
        direction = ops.sign(c)
        m = m * beta2 + one_m_b2 * g  # momentum with the slow beta
        lr_eff = ops.div0(lr * ops.abs(direction), ops.abs(g)) if ops.lr_eff else None
        return p - lr * direction, (count + 1, m), lr_eff

    return Rule(init, update)


LION_LINES = (
    DECAYED,
    RAW_GRADIENT,
    Line(lhs="c_t", formula=r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t",
         numbers=r"{beta1}\,{m@prev} + {one_m_b1}\,{g}", value="c"),
    Line(lhs="m_t", formula=r"\beta_2 m_{t-1} + (1-\beta_2)\, g_t",
         numbers=r"{beta2}\,{m@prev} + {one_m_b2}\,{g}", value="m"),
    _theta(r"\theta_{t-1}' - \eta\, \operatorname{sign}(c_t)", r"{p} - {lr}\,{direction}",
           when="decays"),
    _theta(r"\theta_{t-1} - \eta\, \operatorname{sign}(c_t)", r"{p@in} - {lr}\,{direction}",
           when="!decays"),
)


@_documented(r"""
\begin{aligned}
m_t &= \beta\, m_{t-1} + (1-\beta)\, g_t\\
\theta_t &= \theta_{t-1}\,(1 - \eta\lambda) - \eta\,\operatorname{sign}(m_t)
\end{aligned}
""")
def signum(ops, *, lr, momentum, weight_decay):
    """Signum (Bernstein et al., 2018): the sign of the momentum
    :math:`m_t = \\beta m_{t-1} + (1-\\beta) g_t`. Exactly Lion with
    :math:`\\beta_1 = \\beta_2 = \\beta` (its :math:`c_t` is then :math:`m_t`), so it is
    that rule."""
    return lion(ops, lr=lr, beta1=momentum, beta2=momentum, weight_decay=weight_decay)


@_documented(r"""
\begin{aligned}
\theta_t &= \theta_{t-1}\,(1 - \eta\lambda) - \eta\,\operatorname{sign}(g_t)
\end{aligned}
""")
def signsgd(ops, *, lr, weight_decay):
    """signSGD (Bernstein et al., 2018): the sign of the gradient. Exactly Lion with
    :math:`\\beta_1 = \\beta_2 = 0`, so it is that rule."""
    return lion(ops, lr=lr, beta1=0.0, beta2=0.0, weight_decay=weight_decay)



# ------------------------------------------------------------ relative steps


class AdafactorState(NamedTuple):
    count: int
    v: tuple


@_documented(r"""
\begin{aligned}
\rho_t &= \min(\eta,\ 1/\sqrt t),\qquad \alpha_t = \max(\epsilon_2,\ \mathrm{RMS}(\theta_{t-1}))\,\rho_t\\
\theta_{t-1}' &= \theta_{t-1}\,(1 - \eta\lambda)\\
\hat v_t &= \hat v_{t-1} + t^{\tau}\,(g_t^2 - \hat v_{t-1})\qquad(\hat\beta_{2,t} = 1 - t^{\tau})\\
u_t &= g_t / \max(\sqrt{\hat v_t},\ \epsilon_1),\qquad
\hat u_t = u_t / \max(1,\ \mathrm{RMS}(u_t)/d)\\
\theta_t &= \theta_{t-1}' - \alpha_t\, \hat u_t
\end{aligned}
""")
def adafactor(ops, *, lr, beta2_decay, eps1, eps2, d, weight_decay):
    """Adafactor, as ``torch.optim.Adafactor`` (Shazeer & Stern, 2018) on a vector.

    On a 2-vector torch keeps an unfactored second moment :math:`\\hat v` (the
    row/column factoring applies to matrices). The step is relative to the size of
    the weights: :math:`\\alpha_t = \\max(\\epsilon_2, \\mathrm{RMS}(\\theta))\\,\\rho_t`,
    and the update is clipped to RMS :math:`d`. Both RMS couple the coordinates,
    so this rule takes both at once.

    Convention: torch uses the learning rate only as the cap of the relative step
    :math:`\\rho_t = \\min(\\eta, 1/\\sqrt t)` (the paper uses 0.01) and for the
    decoupled weight decay; :math:`\\epsilon_1` (torch's default None is the machine
    epsilon) sits outside the root. ``beta2_decay`` :math:`\\tau` gives
    :math:`1 - \\hat\\beta_{2,t} = t^{\\tau}`, so the first step uses
    :math:`g_1^2` alone.
    """

    decays = not _is_zero(weight_decay)
    root_n = 2**0.5  # sqrt(numel) of the 2-vector: RMS = norm / root_n
    eps1_sq = eps1 * eps1  # torch squares eps1 before the root
    explain = ops.explain

    def init(p, lr0):
        x, y = p
        return AdafactorState(0, (x * 0.0, y * 0.0))

    def update(p, g, h, s, lr):
        (x, y), (gx, gy) = p, g
        count, (vx, vy) = s
        t = count + 1
        w = t**beta2_decay  # 1 - beta2_t
        rho = ops.minimum(lr, 1 / (t**0.5))  # relative step size
        rms = ops.sqrt(x * x + y * y) / root_n  # RMS of the weights (before decay)
        alpha = ops.maximum(eps2, rms) * rho
        if decays:
            decay = 1 - lr * weight_decay
            x, y = x * decay, y * decay
        g2x, g2y = gx * gx, gy * gy
        small = ops.abs(w) < 0.5  # torch's lerp picks its formula by the weight
        vx = ops.where(small, vx + w * (g2x - vx), g2x - (g2x - vx) * (1 - w))
        vy = ops.where(small, vy + w * (g2y - vy), g2y - (g2y - vy) * (1 - w))
        rx = 1 / ops.sqrt(ops.maximum(vx, eps1_sq))  # torch's rsqrt of the clamped estimate
        ry = 1 / ops.sqrt(ops.maximum(vy, eps1_sq))
        ux, uy = rx * gx, ry * gy
        rms_u = ops.sqrt(ux * ux + uy * uy) / (root_n * d)
        clip = ops.maximum(1.0, rms_u)  # update clipping
        c = -alpha / clip
        lr_eff = (-c * rx, -c * ry) if ops.lr_eff else None
        if explain:
            v, u, g2, theta_decayed = (vx, vy), (ux, uy), (g2x, g2y), (x, y)
        return (x + c * ux, y + c * uy), (t, (vx, vy)), lr_eff

    return Rule(init, update)


ADAFACTOR_LINES = (
    RAW_GRADIENT,
    Line(lhs=r"\rho_t", formula=r"\min(\eta,\ 1/\sqrt t)", numbers=r"\min({lr},\ 1/\sqrt{{t}})",
         value="rho"),
    Line(lhs=r"\alpha_t", formula=r"\max(\epsilon_2,\ \mathrm{RMS}(\theta_{t-1}))\,\rho_t",
         numbers=r"\max({eps2},\ {rms})\cdot {rho}", value="alpha"),
    Line(lhs=r"\theta_{t-1}'", formula=r"\theta_{t-1}\,(1 - \eta\lambda)",
         numbers=r"{p@in}\,{decay}", value="theta_decayed", when="decays"),
    Line(lhs=r"\hat v_t", formula=r"\hat v_{t-1} + t^{\tau}\,(g_t^2 - \hat v_{t-1})",
         numbers=r"{v@prev} + {w}\,({g2} - {v@prev})", value="v"),
    Line(lhs="u_t", formula=r"g_t / \max(\sqrt{\hat v_t},\ \epsilon_1)",
         numbers=r"{g@in} \oslash \max(\sqrt{{v}},\ {eps1})", value="u"),
    Line(lhs=r"\max(1,\ \mathrm{RMS}(u_t)/d)", formula="", numbers=r"\max(1,\ {rms_u})",
         value="clip"),
    _theta(r"\theta_{t-1}' - \alpha_t\, u_t / \max(1,\ \mathrm{RMS}(u_t)/d)",
           r"{theta_decayed} - {alpha}\,{u} / {clip}", when="decays"),
    _theta(r"\theta_{t-1} - \alpha_t\, u_t / \max(1,\ \mathrm{RMS}(u_t)/d)",
           r"{p@in} - {alpha}\,{u} / {clip}", when="!decays"),
)


# ------------------------------------------------------------ schedule-free


class ScheduleFreeState(NamedTuple):
    count: int
    z: float
    v: float
    lr_max: float
    weight_sum: float
    x: float


def _schedule_free_weights(ops, k, lr, lr_max, weight_sum, warmup_steps, r, weight_lr_power):
    """The reference's per-step scalars: the warmed-up rate, the running maximum rate,
    the sum of averaging weights and this step's averaging weight ``ckp1`` (0 while
    the sum is 0, as the reference's ZeroDivisionError branch)."""
    sched = (k + 1) / warmup_steps if k < warmup_steps else 1.0
    lr = lr * sched
    lr_max = ops.maximum(lr, lr_max)
    weight = ((k + 1) ** r) * (lr_max**weight_lr_power)
    weight_sum = weight_sum + weight
    ckp1 = ops.div0(weight, weight_sum)
    ckp1 = ops.where(weight_sum != 0, ckp1, 0.0 * weight)
    return lr, lr_max, weight_sum, ckp1


@_documented(r"""
\begin{aligned}
v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,\qquad
\hat g_t = g_t / (\sqrt{v_t/(1-\beta_2^t)} + \epsilon) + \lambda\, y_{t-1}\\
c_t &= w_t / \textstyle\sum_{i\le t} w_i,\qquad w_t = t^{r}\,\eta_{\max,t}^{\,p}\\
y_t &= (1 - c_t)\, y_{t-1} + c_t\, z_{t-1} + \eta\,(\beta_1 (1 - c_t) - 1)\, \hat g_t\\
z_t &= z_{t-1} - \eta\, \hat g_t,\qquad x_t = (y_t - (1-\beta_1)\, z_t)/\beta_1
\end{aligned}
""")
def schedule_free_adamw(ops, *, lr, beta1, beta2, eps, weight_decay, warmup_steps, r,
                        weight_lr_power):
    """Schedule-Free AdamW, as the ``schedulefree`` package's ``AdamWScheduleFree``
    (Defazio et al., 2024).

    Three sequences: :math:`y` where the gradient is taken (the parameters while
    training: the path drawn), :math:`z` the plain Adam-normalised descent, and
    :math:`x` their running average, which is where the model is evaluated
    (``optimizer.eval()``). :math:`y` interpolates between them with :math:`\\beta_1`.
    No learning-rate schedule is needed; ``warmup_steps`` ramps the rate linearly.

    Convention: the reference's primal-averaging form (it stores :math:`y`);
    weight decay is evaluated at :math:`y` and added to the normalised gradient.
    """

    decays = not _is_zero(weight_decay)
    one_m_b2 = 1.0 - beta2
    x_weight = 1 - 1 / beta1  # the reference's switch to evaluation mode: y.lerp_(z, 1 - 1/beta1)
    x_small = _lerp_form(x_weight)
    explain = ops.explain

    def init(p, lr0):
        return ScheduleFreeState(0, p * 1.0, p * 0.0, -1.0, 0.0, p * 1.0)

    def update(p, g, s, lr):
        k, z, v, lr_max, weight_sum, _ = s
        step_lr, lr_max, weight_sum, ckp1 = _schedule_free_weights(
            ops, k, lr, lr_max, weight_sum, warmup_steps, r, weight_lr_power)
        bc2 = 1 - beta2 ** (k + 1)
        v = v * beta2 + one_m_b2 * g * g
        denom = ops.sqrt(v / bc2) + eps
        g_hat = g / denom
        if decays:
            g_hat = g_hat + weight_decay * p
        small = abs(ckp1) < 0.5  # y.lerp_(z, ckp1), in torch's two forms
        y = ops.where(small, p + ckp1 * (z - p), z - (z - p) * (1 - ckp1))
        y = y + step_lr * (beta1 * (1 - ckp1) - 1) * g_hat
        z = z - step_lr * g_hat
        x = ops.where(x_small, y + x_weight * (z - y), z - (z - y) * (1 - x_weight))
        lr_eff = step_lr / denom if ops.lr_eff else None
        if explain:
            g2, y_mix = g * g, ops.where(small, p + ckp1 * (z - p), z)
        return y, (k + 1, z, v, lr_max, weight_sum, x), lr_eff

    return Rule(init, update)


SCHEDULE_FREE_ADAMW_LINES = (
    RAW_GRADIENT,
    Line(lhs="v_t", formula=r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t^2",
         numbers=r"{beta2}\,{v@prev} + {one_m_b2}\,{g2}", value="v"),
    Line(lhs=r"\hat g_t", formula=r"g_t / (\sqrt{v_t/(1-\beta_2^t)} + \epsilon) + \lambda\, y_{t-1}",
         numbers=r"{g@in} \oslash \bigl(\sqrt{{v} / {bc2}} + {eps}\bigr) + {weight_decay}\,{p@in}",
         value="g_hat", when="decays"),
    Line(lhs=r"\hat g_t", formula=r"g_t / (\sqrt{v_t/(1-\beta_2^t)} + \epsilon)",
         numbers=r"{g@in} \oslash \bigl(\sqrt{{v} / {bc2}} + {eps}\bigr)", value="g_hat",
         when="!decays"),
    Line(lhs=r"\eta_{\max}", formula=r"\max(\eta_{\max},\ \eta_t)", numbers="{lr_max}",
         value="lr_max"),
    Line(lhs=r"\textstyle\sum_{i\le t} w_i", formula=r"\textstyle\sum_{i<t} w_i + t^{r}\,\eta_{\max}^{\,p}",
         numbers="{weight_sum}", value="weight_sum"),
    Line(lhs="c_t", formula=r"w_t / \textstyle\sum_{i\le t} w_i", numbers="{ckp1}", value="ckp1"),
    Line(lhs="z_t", formula=r"z_{t-1} - \eta\, \hat g_t", numbers=r"{z@prev} - {step_lr}\,{g_hat}",
         value="z"),
    Line(lhs="x_t", formula=r"y_t + (1 - 1/\beta_1)(z_t - y_t)\ \ (\text{where it is evaluated})",
         numbers=r"{y} + {x_weight}\,({z} - {y})", value="x"),
    _theta(r"y_t = (1 - c_t)\, y_{t-1} + c_t\, z_{t-1} + \eta\,(\beta_1 (1 - c_t) - 1)\, \hat g_t",
           r"(1 - {ckp1})\,{p@in} + {ckp1}\,{z@prev} + {step_lr}\,({beta1}\,(1 - {ckp1}) - 1)\,{g_hat}"),
)


class ScheduleFreeSGDState(NamedTuple):
    count: int
    z: float
    lr_max: float
    weight_sum: float
    x: float


@_documented(r"""
\begin{aligned}
c_t &= w_t / \textstyle\sum_{i\le t} w_i,\qquad g_t \leftarrow g_t + \lambda\, y_{t-1}\\
y_t &= (1 - c_t)\, y_{t-1} + c_t\, z_{t-1} + \eta\,(\beta (1 - c_t) - 1)\, g_t\\
z_t &= z_{t-1} - \eta\, g_t,\qquad x_t = (y_t - (1-\beta)\, z_t)/\beta
\end{aligned}
""")
def schedule_free_sgd(ops, *, lr, momentum, weight_decay, warmup_steps, r, weight_lr_power):
    """Schedule-Free SGD, as the ``schedulefree`` package's ``SGDScheduleFree``
    (Defazio et al., 2024): plain gradient steps on :math:`z`, their running
    average :math:`x` (where the model is evaluated), and :math:`y` between them
    (where the gradient is taken, the path drawn)."""

    decays = not _is_zero(weight_decay)
    x_weight = 1 - 1 / momentum
    x_small = _lerp_form(x_weight)

    def init(p, lr0):
        return ScheduleFreeSGDState(0, p * 1.0, -1.0, 0.0, p * 1.0)

    def update(p, g, s, lr):
        k, z, lr_max, weight_sum, _ = s
        step_lr, lr_max, weight_sum, ckp1 = _schedule_free_weights(
            ops, k, lr, lr_max, weight_sum, warmup_steps, r, weight_lr_power)
        if decays:
            g = g + weight_decay * p
        small = abs(ckp1) < 0.5
        y = ops.where(small, p + ckp1 * (z - p), z - (z - p) * (1 - ckp1))
        y = y + step_lr * (momentum * (1 - ckp1) - 1) * g
        z = z - step_lr * g
        x = ops.where(x_small, y + x_weight * (z - y), z - (z - y) * (1 - x_weight))
        return y, (k + 1, z, lr_max, weight_sum, x), step_lr

    return Rule(init, update)


SCHEDULE_FREE_SGD_LINES = (
    *gradient_lines("decays"),
    Line(lhs=r"\eta_{\max}", formula=r"\max(\eta_{\max},\ \eta_t)", numbers="{lr_max}",
         value="lr_max"),
    Line(lhs=r"\textstyle\sum_{i\le t} w_i", formula=r"\textstyle\sum_{i<t} w_i + t^{r}\,\eta_{\max}^{\,p}",
         numbers="{weight_sum}", value="weight_sum"),
    Line(lhs="c_t", formula=r"w_t / \textstyle\sum_{i\le t} w_i", numbers="{ckp1}", value="ckp1"),
    Line(lhs="z_t", formula=r"z_{t-1} - \eta\, g_t", numbers=r"{z@prev} - {step_lr}\,{g}", value="z"),
    Line(lhs="x_t", formula=r"y_t + (1 - 1/\beta)(z_t - y_t)\ \ (\text{where it is evaluated})",
         numbers=r"{y} + {x_weight}\,({z} - {y})", value="x"),
    _theta(r"y_t = (1 - c_t)\, y_{t-1} + c_t\, z_{t-1} + \eta\,(\beta (1 - c_t) - 1)\, g_t",
           r"(1 - {ckp1})\,{p@in} + {ckp1}\,{z@prev} + {step_lr}\,({momentum}\,(1 - {ckp1}) - 1)\,{g}"),
)


# ------------------------------------------------------------ learning-rate free


class ProdigyState(NamedTuple):
    count: int
    d: float
    d_max: float
    d_numerator: float
    s: tuple
    p0: tuple
    m: tuple
    v: tuple


@_documented(r"""
\begin{aligned}
\eta_d &= d_{t-1}\,\eta,\qquad m_t = \beta_1 m_{t-1} + d_{t-1}(1-\beta_1)\, g_t,\qquad
v_t = \beta_2 v_{t-1} + d_{t-1}^2 (1-\beta_2)\, g_t^2\\
r_t &= \sqrt{\beta_2}\, r_{t-1} + \tfrac{d_{t-1}}{d_0}\,\eta_d\, \langle g_t,\ \theta_0 - \theta_{t-1}\rangle,\qquad
s_t = \sqrt{\beta_2}\, s_{t-1} + \tfrac{d_{t-1}}{d_0}\,\eta_d\, g_t\\
\hat d_t &= r_t / \lVert s_t\rVert_1,\qquad d_t = \max(d_{t-1},\ \hat d_t)\\
\theta_t &= \theta_{t-1} - \eta_d\, m_t / (\sqrt{v_t} + d_t\,\epsilon)
\end{aligned}
""")
def prodigy(ops, *, lr, beta1, beta2, eps, weight_decay, decouple, use_bias_correction,
            safeguard_warmup, d0, d_coef, growth_rate):
    """Prodigy, as the ``prodigyopt`` package (Mishchenko & Defazio, 2024): Adam whose
    step size :math:`d_t` estimates the distance :math:`\\lVert\\theta_0 -
    \\theta_*\\rVert` from the gradients seen so far, so ``lr`` stays 1.

    :math:`d_t` never decreases; it is recorded per step (state ``d``) so the page
    can draw it against the true distance from the start to the minimizer, which
    only a 2-D lab knows. It couples the coordinates (an inner product and an
    L1 norm over all of them).

    Convention: the reference's defaults (``beta3`` is :math:`\\sqrt{\\beta_2}`;
    ``growth_rate`` is infinite there: here at most :math:`10^{10}`, the same unless
    :math:`d` grows ten billion-fold in one step).
    """

    beta3 = math.sqrt(beta2)
    l2 = not decouple and not _is_zero(weight_decay)
    decays = decouple and not _is_zero(weight_decay)
    explain = ops.explain

    def init(p, lr0):
        x, y = p
        p0 = (x * 1.0, y * 1.0) if (x != 0 or y != 0) else (0.0, 0.0)
        return ProdigyState(0, d0, d0, 0.0, (x * 0.0, y * 0.0), p0, (x * 0.0, y * 0.0),
                            (x * 0.0, y * 0.0))

    def update(p, g, h, s, lr):
        (x, y), (gx, gy) = p, g
        k, d, d_max, d_numerator, (sx, sy), (p0x, p0y), (mx, my), (vx, vy) = s
        bias_correction = ((1 - beta2 ** (k + 1)) ** 0.5) / (1 - beta1 ** (k + 1)) \
            if use_bias_correction else 1
        dlr = d * lr * bias_correction
        kept = d_numerator  # the reference keeps its stored value when it returns early
        d_numerator = d_numerator * beta3
        if l2:
            gx, gy = gx + weight_decay * x, gy + weight_decay * y
        delta_numerator = 0.0 + (d / d0) * dlr * ((gx * (p0x - x)) + (gy * (p0y - y)))
        if beta1 > 0:
            mx, my = mx * beta1 + (d * (1 - beta1)) * gx, my * beta1 + (d * (1 - beta1)) * gy
        c2 = d * d * (1 - beta2)
        vx, vy = vx * beta2 + c2 * gx * gx, vy * beta2 + c2 * gy * gy
        cs = (d / d0) * d if safeguard_warmup else (d / d0) * dlr
        sx, sy = sx * beta3 + cs * gx, sy * beta3 + cs * gy
        d_denom = 0.0 + abs(sx) + abs(sy)
        if d_denom == 0:  # no gradient yet: the reference returns before the step
            return p, (k, d, d_max, kept, (sx, sy), (p0x, p0y), (mx, my), (vx, vy)), (0.0, 0.0)
        d_numerator = d_numerator + delta_numerator
        d_hat = d_coef * d_numerator / d_denom
        if d == d0:
            d = max(d, d_hat)
        d_max = max(d_max, d_hat)
        d = min(d_max, d * growth_rate)
        dx, dy = ops.sqrt(vx) + d * eps, ops.sqrt(vy) + d * eps
        if decays:
            x, y = x + (-weight_decay * dlr) * x, y + (-weight_decay * dlr) * y
        if beta1 > 0:
            x, y = x + -dlr * mx / dx, y + -dlr * my / dy
        else:
            x, y = x + -dlr * d * gx / dx, y + -dlr * d * gy / dy
        lr_eff = (dlr / dx, dlr / dy) if ops.lr_eff else None
        if explain:
            m, v, s_vec, g_used = (mx, my), (vx, vy), (sx, sy), (gx, gy)
        return (x, y), (k + 1, d, d_max, d_numerator, (sx, sy), (p0x, p0y), (mx, my),
                        (vx, vy)), lr_eff

    return Rule(init, update)


PRODIGY_LINES = (
    Line(lhs="g_t", formula=r"\nabla f(\theta_{t-1})", numbers="{g@in}", value="g_used", when="!l2"),
    Line(lhs="g_t", formula=r"\nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}",
         numbers=r"{g@in} + {weight_decay}\,{p@in}", value="g_used", when="l2"),
    Line(lhs=r"\theta_0", formula=r"\text{the start, kept}", numbers="{p0@out}", value="p0@out"),
    Line(lhs=r"\eta_d", formula=r"d_{t-1}\,\eta", numbers=r"{d@prev}\cdot {lr}", value="dlr"),
    Line(lhs="m_t", formula=r"\beta_1 m_{t-1} + d_{t-1}(1-\beta_1)\, g_t", numbers="{m}", value="m"),
    Line(lhs="v_t", formula=r"\beta_2 v_{t-1} + d_{t-1}^2(1-\beta_2)\, g_t^2", numbers="{v}",
         value="v"),
    Line(lhs="s_t", formula=r"\sqrt{\beta_2}\, s_{t-1} + \tfrac{d_{t-1}}{d_0}\,\eta_d\, g_t",
         numbers="{s_vec}", value="s_vec"),
    Line(lhs="r_t", formula=r"\sqrt{\beta_2}\, r_{t-1} + \tfrac{d_{t-1}}{d_0}\,\eta_d\, "
         r"\langle g_t,\ \theta_0 - \theta_{t-1}\rangle", numbers="{d_numerator}",
         value="d_numerator"),
    Line(lhs=r"\hat d_t", formula=r"r_t / \lVert s_t\rVert_1", numbers=r"{d_numerator} / {d_denom}",
         value="d_hat"),
    Line(lhs=r"d^{\max}_t", formula=r"\max(d^{\max}_{t-1},\ \hat d_t)", numbers="{d_max}",
         value="d_max"),
    Line(lhs="d_t", formula=r"\max(d_{t-1},\ \hat d_t)\ \ (\text{the distance estimate})",
         numbers="{d}", value="d"),
    _theta(r"\theta_{t-1}\,(1 - \lambda\,\eta_d) - \eta_d\, m_t / (\sqrt{v_t} + d_t\,\epsilon)",
           "{p@out}", when="decays"),
    _theta(r"\theta_{t-1} - \eta_d\, m_t / (\sqrt{v_t} + d_t\,\epsilon)", "{p@out}", when="!decays"),
)


# ------------------------------------------------------------ orthogonalized momentum


class MuonState(NamedTuple):
    count: int
    buf: tuple


NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
"""torch's (and Keller Jordan's) quintic Newton-Schulz coefficients ``(a, b, c)``."""


@_documented(r"""
\begin{aligned}
B_t &= \mu\, B_{t-1} + (1-\mu)\, g_t,\qquad \tilde B_t = g_t + \mu\,(B_t - g_t)\ \text{(Nesterov) or } B_t\\
O_t &= \mathrm{NS}_k(\tilde B_t):\quad X \leftarrow \tilde B_t/\lVert\tilde B_t\rVert,\
X \leftarrow a X + (b\, XX^\top + c\,(XX^\top)^2) X \ \ (k \text{ times, in bfloat16})\\
\theta_t &= \theta_{t-1}\,(1 - \eta\lambda) - \eta'\, O_t,\qquad \eta' = \eta\sqrt{\max(1, A/B)}\ (= \eta \text{ for } 1\times 2)
\end{aligned}
""")
def muon(ops, *, lr, weight_decay, momentum, nesterov, ns_steps, eps, match_rms_adamw):
    """Muon, as ``torch.optim.Muon`` (Jordan et al., 2024), on the 2-vector seen as a
    1x2 matrix: torch refuses 1-D parameters, so a user would reshape it so.

    What it becomes there: :math:`XX^\\top` is the number :math:`\\lVert X\\rVert^2`,
    so every Newton-Schulz iteration multiplies :math:`X` by the same number and the
    orthogonalized update is the normalized momentum :math:`\\tilde B/\\lVert\\tilde
    B\\rVert` times about 0.69 (five iterations from :math:`\\lVert X\\rVert = 1`; it
    would be 1 for an exact orthogonalization): normalized momentum descent with a
    fixed step of about :math:`0.69\\,\\eta`, whatever the gradient's size.

    Convention: torch computes the Newton-Schulz iteration in bfloat16 (8
    significant bits), so the step's direction is rounded to about 3 digits; this
    rule rounds as torch does (``ops.f32``, ``ops.bf16``), operation by operation.
    Weight decay is decoupled (:math:`\\theta(1 - \\eta\\lambda)`), torch's default
    :math:`\\lambda = 0.1`. ``match_rms_adamw`` is torch's
    ``adjust_lr_fn="match_rms_adamw"``: :math:`\\eta' = 0.2\\,\\eta\\sqrt{\\max(A, B)}`.
    """

    a, b, c = (ops.f32(v) for v in NS_COEFFICIENTS)  # torch's gemm takes them as float32
    small, rest = _lerp_form(1 - momentum), 1 - (1 - momentum)
    nest_small, nest_rest = _lerp_form(momentum), 1 - momentum
    ratio = 0.2 * math.sqrt(2) if match_rms_adamw else math.sqrt(max(1, 1 / 2))  # A, B = 1, 2
    f32, bf16 = ops.f32, ops.bf16
    eps16 = bf16(eps)
    explain = ops.explain

    def init(p, lr0):
        x, y = p
        return MuonState(0, (x * 0.0, y * 0.0))

    def update(p, g, h, s, lr):
        (x, y), (gx, gy) = p, g
        count, (bx, by) = s
        w = 1 - momentum  # buf.lerp_(grad, 1 - momentum), in torch's two forms
        bx = ops.where(small, bx + w * (gx - bx), gx - (gx - bx) * rest)
        by = ops.where(small, by + w * (gy - by), gy - (gy - by) * rest)
        if nesterov:  # grad.lerp(buf, momentum)
            ux = ops.where(nest_small, gx + momentum * (bx - gx), bx - (bx - gx) * nest_rest)
            uy = ops.where(nest_small, gy + momentum * (by - gy), by - (by - gy) * nest_rest)
        else:
            ux, uy = bx, by
        # Newton-Schulz on the 1x2 matrix [ux, uy] in bfloat16, as torch computes it:
        # each operation in float32 (a product of two bfloat16 numbers is exact there,
        # so it needs no rounding), each result stored as bfloat16. Computing a float32
        # operation in double and rounding once gives the float32 result exactly.
        ox, oy = bf16(ux), bf16(uy)
        norm = ops.maximum(bf16(ops.sqrt(f32(ox * ox + oy * oy))), eps16)
        ox, oy = bf16(ox / norm), bf16(oy / norm)
        for _ in range(ns_steps):
            gram = bf16(ox * ox + oy * oy)  # X X^T, a 1x1 matrix
            poly = bf16(f32(c * (gram * gram)) + f32(b * gram))  # b A + c A A
            ox, oy = bf16(f32(a * ox) + poly * ox), bf16(f32(a * oy) + poly * oy)  # a X + B X
        step = lr * ratio
        decay = 1 - lr * weight_decay
        x, y = x * decay, y * decay
        lr_eff = (ops.div0(step * ox, gx), ops.div0(step * oy, gy)) if ops.lr_eff else None
        if explain:
            buf, u, o, theta_decayed = (bx, by), (ux, uy), (ox, oy), (x, y)
            shrink = ops.sqrt(ox * ox + oy * oy)  # |O|: the fixed share of a unit step
        return (x + -step * ox, y + -step * oy), (count + 1, (bx, by)), lr_eff

    return Rule(init, update)


MUON_LINES = (
    RAW_GRADIENT,
    Line(lhs="B_t", formula=r"\mu\, B_{t-1} + (1-\mu)\, g_t", numbers=r"{momentum}\,{buf@prev} + (1 - {momentum})\,{g@in}",
         value="buf"),
    Line(lhs=r"\tilde B_t", formula=r"g_t + \mu\,(B_t - g_t)", numbers=r"{g@in} + {momentum}\,({buf} - {g@in})",
         value="u", when="nesterov"),
    Line(lhs=r"\tilde B_t", formula=r"B_t", numbers=r"{buf}", value="u", when="!nesterov"),
    Line(lhs="O_t", formula=r"\mathrm{NS}_k(\tilde B_t) \approx 0.69\, \tilde B_t / \lVert \tilde B_t\rVert"
         r"\ \ (\text{bfloat16})", numbers=r"{o}", value="o"),
    Line(lhs=r"\lVert O_t\rVert", formula=r"\text{the step's length over } \eta'", numbers=r"{shrink}",
         value="shrink"),
    _theta(r"\theta_{t-1}\,(1 - \eta\lambda) - \eta'\, O_t", r"{p@in}\,{decay} - {step}\,{o}"),
)


# ------------------------------------------------------------ quasi-Newton


class LBFGSState(NamedTuple):
    count: int
    func_evals: int
    n_iter: int
    inner: tuple
    memory: tuple  # (d, t, history, H_diag, prev_flat_grad, prev_loss), as torch's state


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """torch's ``_cubic_interpolate``: the minimiser of the cubic through two points
    with their slopes, clamped to ``bounds`` (the bisection when it has none)."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """torch's ``_strong_wolfe`` line search along ``d`` from ``x`` on 2-vectors; returns
    ``(f, g, t, evaluations)``."""
    d_norm = max(abs(d[0]), abs(d[1]))
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


@_documented(r"""
\begin{aligned}
d_j &= -H_j\, g_j \quad(\text{two-loop recursion over the last } m \text{ pairs }
s_i = \theta_{i+1} - \theta_i,\ y_i = g_{i+1} - g_i;\ H_0 = \tfrac{s^\top y}{y^\top y} I)\\
\theta_{j+1} &= \theta_j + \tau_j\, d_j \quad(\tau_j = \eta\text{, or a strong-Wolfe line search})\\
&\text{up to } K \text{ inner iterations (and } E \text{ evaluations of } f, \nabla f \text{) per step}
\end{aligned}
""")
def lbfgs(ops, *, lr, max_iter, max_eval, tolerance_grad, tolerance_change, history_size,
          strong_wolfe):
    """L-BFGS, as ``torch.optim.LBFGS`` (Liu & Nocedal, 1989), with or without the
    strong-Wolfe line search (``line_search_fn="strong_wolfe"``).

    One step of this rule is one ``optimizer.step(closure)`` of torch's: up to
    ``max_iter`` inner iterations and ``max_eval`` evaluations of the function and
    its gradient (``max_eval = 0`` means torch's default ``max_iter * 5 // 4``).
    The inner iterates are returned in the state (``inner``) and the runner records
    them per step, with the evaluation count (``func_evals``, cumulative, as torch
    keeps it).

    Symbols: :math:`s_i, y_i` the last ``history_size`` steps and gradient changes,
    :math:`H_j` the implied inverse-Hessian estimate. The first inner iteration
    ever takes :math:`\\tau = \\min(1, 1/\\lVert g\\rVert_1)\\,\\eta`, as torch does.

    This rule couples the coordinates and evaluates the surface itself: ``h`` is
    the surface's scalar kernels (``h.f``, ``h.grad``). It runs on Python floats
    only (its line search branches per run).
    """

    budget = max_eval if max_eval else max_iter * 5 // 4

    def init(p, lr0):
        return LBFGSState(0, 0, 0, (), ((0.0, 0.0), lr0, (), 1.0, (0.0, 0.0), 0.0))

    def update(p, g, h, s, lr):
        count, func_evals, total_iter, _, memory = s
        d, t, history, H_diag, prev_flat_grad, prev_loss = memory
        x = p
        loss = h.f(x[0], x[1])  # the closure at the step's start (its gradient is g)
        flat_grad = g
        current_evals = 1
        func_evals += 1
        inner = []
        evaluations = 1
        n_iter = 0
        opt_cond = False
        if max(abs(flat_grad[0]), abs(flat_grad[1])) <= tolerance_grad:
            return p, (count + 1, func_evals, total_iter, (), memory), (0.0, 0.0)
        while n_iter < max_iter:
            n_iter += 1
            total_iter += 1
            if total_iter == 1:
                d = (-flat_grad[0], -flat_grad[1])
                history = ()
                H_diag = 1
            else:
                y = (flat_grad[0] - prev_flat_grad[0], flat_grad[1] - prev_flat_grad[1])
                sv = (d[0] * t, d[1] * t)
                ys = _dot(y, sv)
                if ys > 1e-10:
                    history = (history + ((y, sv, 1.0 / ys),))[-history_size:]
                    H_diag = ys / _dot(y, y)
                q = (-flat_grad[0], -flat_grad[1])
                al = [0.0] * len(history)
                for i in range(len(history) - 1, -1, -1):
                    yi, si, ro = history[i]
                    al[i] = _dot(si, q) * ro
                    q = (q[0] + -al[i] * yi[0], q[1] + -al[i] * yi[1])
                r = (q[0] * H_diag, q[1] * H_diag)
                for i, (yi, si, ro) in enumerate(history):
                    be_i = _dot(yi, r) * ro
                    c = al[i] - be_i
                    r = (r[0] + c * si[0], r[1] + c * si[1])
                d = r
            prev_flat_grad = flat_grad
            prev_loss = loss
            if total_iter == 1:
                t = min(1.0, 1.0 / (abs(flat_grad[0]) + abs(flat_grad[1]))) * lr
            else:
                t = lr
            gtd = _dot(flat_grad, d)
            if gtd > -tolerance_change:
                break
            ls_func_evals = 0
            if strong_wolfe:
                def obj_func(xx, tt, dd):
                    px, py = xx[0] + tt * dd[0], xx[1] + tt * dd[1]
                    return h.f(px, py), tuple(h.grad(px, py))

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x, t, d, loss, flat_grad, gtd, max_ls=budget - current_evals)
                x = (x[0] + t * d[0], x[1] + t * d[1])
                opt_cond = max(abs(flat_grad[0]), abs(flat_grad[1])) <= tolerance_grad
            else:
                x = (x[0] + t * d[0], x[1] + t * d[1])
                if n_iter != max_iter:
                    loss = h.f(x[0], x[1])
                    flat_grad = tuple(h.grad(x[0], x[1]))
                    opt_cond = max(abs(flat_grad[0]), abs(flat_grad[1])) <= tolerance_grad
                    ls_func_evals = 1
            inner.append(x)
            current_evals += ls_func_evals
            func_evals += ls_func_evals
            evaluations += ls_func_evals
            if n_iter == max_iter or current_evals >= budget or opt_cond:
                break
            if max(abs(d[0] * t), abs(d[1] * t)) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break
        moved = (x[0] - p[0], x[1] - p[1])
        lr_eff = (ops.div0(-moved[0], g[0]), ops.div0(-moved[1], g[1])) if ops.lr_eff else None
        memory = (d, t, history, H_diag, prev_flat_grad, prev_loss)
        return x, (count + 1, func_evals, total_iter, tuple(inner), memory), lr_eff

    return Rule(init, update)


LBFGS_LINES = (
    RAW_GRADIENT,
    Line(lhs=r"\text{inner iterations}", formula=r"\text{this step}",
         numbers="{n_iter}", value="n_iter"),
    Line(lhs=r"\text{evaluations of } f, \nabla f", formula=r"\text{this step}",
         numbers="{evaluations}", value="evaluations"),
    Line(lhs=r"\text{evaluations so far}", formula="", numbers="{func_evals@out}",
         value="func_evals@out"),
    Line(lhs=r"\text{inner iterations so far}", formula="", numbers="{n_iter@out}",
         value="n_iter@out"),
    Line(lhs="d", formula=r"-H\, g \ \ (\text{the last inner iteration's direction})", numbers="{d}",
         value="d"),
    Line(lhs=r"\tau", formula=r"\text{its step length}", numbers="{t}", value="t"),
    _theta(r"\text{the last inner iterate}", "{p@out}"),
)


# ------------------------------------------------------------ second order


@_documented(r"""
\begin{aligned}
\theta_t &= \theta_{t-1} - \eta\,\bigl(\nabla^2 f(\theta_{t-1}) + \lambda I\bigr)^{-1} \nabla f(\theta_{t-1})
\end{aligned}
""")
def newton(ops, *, lr, damping):
    """Damped Newton's method with the exact Hessian (not in torch.optim).

    Symbols: :math:`\\eta` step length (1 is the pure Newton step), :math:`\\lambda`
    Levenberg damping added to the Hessian's diagonal.

    This rule couples the coordinates, so it has the coupled signature (see the
    module docstring), with ``h = (hxx, hxy, hyy)``; ``e = -step / g`` per
    coordinate. Newton's direction is
    a descent direction only where the damped Hessian is positive definite: on a
    saddle it heads for the saddle point, which the app shows on purpose.
    """

    explain = ops.explain

    def init(p, lr0):
        return CountState(0)

    def update(p, g, h, s, lr):
        (x, y), (gx, gy), (hxx, hxy, hyy) = p, g, h
        a, b, c = hxx + damping, hxy, hyy + damping  # damped Hessian [[a, b], [b, c]]
        det = a * c - b * b
        dx = (c * gx - b * gy) / det  # d = (H + damping I)^{-1} g, solved in closed form
        dy = (a * gy - b * gx) / det
        lr_eff = (ops.div0(lr * dx, gx), ops.div0(lr * dy, gy)) if ops.lr_eff else None
        if explain:
            d = (dx, dy)
        return (x - lr * dx, y - lr * dy), (s[0] + 1,), lr_eff

    return Rule(init, update)


NEWTON_LINES = (
    RAW_GRADIENT,
    Line(lhs=r"H_t + \lambda I", formula=r"\nabla^2 f(\theta_{t-1}) + \lambda I",
         numbers=r"\begin{pmatrix}{hxx} & {hxy}\\ {hxy} & {hyy}\end{pmatrix} + {damping}\, I",
         value=None),
    Line(lhs=r"\det(H_t + \lambda I)", formula=r"(h_{xx} + \lambda)(h_{yy} + \lambda) - h_{xy}^2",
         numbers=r"{a}\cdot {c} - {b}^2", value="det"),
    Line(lhs="d_t", formula=r"(H_t + \lambda I)^{-1}\, g_t",
         numbers=r"\tfrac{1}{{det}}\begin{pmatrix}{c} & -{b}\\ -{b} & {a}\end{pmatrix} {g@in}",
         value="d"),
    _theta(r"\theta_{t-1} - \eta\, d_t", r"{p@in} - {lr}\,{d}"),
)
