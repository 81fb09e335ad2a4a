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
fifth of an interactive step) and never mutates anything. The exception is
:func:`newton`, which couples the coordinates through the Hessian and has its own
signature (see there).

The math in each docstring is the same LaTeX the app renders (``fn.rule``).
"""

from __future__ import annotations

from textwrap import indent
from typing import Callable, NamedTuple

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


def _is_zero(c) -> bool:
    """A scalar hyperparameter equal to 0: a term it multiplies can be skipped. A
    (B,) array (a sweep) never is, so the batch path keeps the term."""
    return isinstance(c, (int, float)) and c == 0


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
    buffer, which torch sets to the first gradient on the first step.

    Convention: torch keeps the learning rate outside the buffer. Sutskever et al.
    (2013) and many texts put it inside (:math:`v_t = \\mu v_{t-1} - \\eta g_t`);
    the two agree for a constant learning rate but differ when it is scheduled.
    torch's Nesterov form evaluates the gradient at the current point and looks
    ahead through the buffer, not at :math:`\\theta + \\mu v`.
    """

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0

    def init(p, lr0):
        return MomentumState(0, p * 0.0)

    def update(p, g, s, lr):
        count, buf = s
        t = count + 1
        if l2:
            g = g + weight_decay * p  # L2 term
        buf = g if t == 1 else momentum * buf + (1.0 - dampening) * g  # velocity
        d = g + momentum * buf if nesterov else buf  # Nesterov looks ahead via buf
        return p - lr * d, (t, buf), lr

    return Rule(init, update)


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

    def init(p, lr0):
        return AdagradState(0, p * 0.0 + initial_accumulator_value)

    def update(p, g, s, lr):
        count, acc = s
        t = count + 1
        if l2:
            g = g + weight_decay * p  # L2 term
        clr = lr / (1 + (t - 1) * lr_decay)  # decayed step size
        acc = acc + g * g  # sum of squared gradients
        lr_eff = clr / (ops.sqrt(acc) + eps)  # per-coordinate rate
        return p - lr_eff * g, (t, acc), lr_eff

    return Rule(init, update)


class RMSpropState(NamedTuple):
    count: int
    v: float
    buf: float


class CenteredRMSpropState(NamedTuple):
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
    squared gradients, :math:`\\mu` momentum (with :math:`\\mu = 0` the step is
    :math:`\\eta\\,g_t/(\\sqrt{v_t}+\\epsilon)`).

    Convention: torch adds epsilon outside the square root and applies no bias
    correction. TensorFlow/Keras' RMSprop puts epsilon inside
    (:math:`\\sqrt{v_t + \\epsilon}`) and defaults to :math:`\\rho = 0.9`; Hinton's
    lecture notes use no epsilon at all.
    """

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0

    def init(p, lr0):
        z = p * 0.0
        # like torch, keep only the buffers this configuration uses
        return CenteredRMSpropState(0, z, z, z) if centered else RMSpropState(0, z, z)

    def update(p, g, s, lr):
        if l2:
            g = g + weight_decay * p  # L2 term
        if centered:
            count, v, g_avg, buf = s
        else:
            count, v, buf = s
        v = alpha * v + (1.0 - alpha) * g * g  # mean of squares
        if centered:
            g_avg = g_avg + (1.0 - alpha) * (g - g_avg)  # mean of gradients
            avg = ops.sqrt(v - g_avg * g_avg) + eps  # std estimate
            buf = momentum * buf + g / avg  # with momentum 0 this is g / avg
            return p - lr * buf, (count + 1, v, g_avg, buf), (lr / avg if ops.lr_eff else None)
        avg = ops.sqrt(v) + eps
        buf = momentum * buf + g / avg
        return p - lr * buf, (count + 1, v, buf), (lr / avg if ops.lr_eff else None)

    return Rule(init, update)


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

    def init(p, lr0):
        z = p * 0.0
        return AdadeltaState(0, z, z)

    def update(p, g, s, lr):
        if l2:
            g = g + weight_decay * p  # L2 term
        count, v, u = s
        v = rho * v + (1.0 - rho) * g * g  # mean of squared gradients
        scale = ops.sqrt(u + eps) / ops.sqrt(v + eps)  # unit-correcting ratio
        delta = scale * g
        u = rho * u + (1.0 - rho) * delta * delta  # mean of squared updates
        return p - lr * delta, (count + 1, v, u), (lr * scale if ops.lr_eff else None)

    return Rule(init, update)


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

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0

    def init(p, lr0):
        z = p * 0.0
        return AMSGradState(0, z, z, z) if amsgrad else AdamState(0, z, z)

    def update(p, g, s, lr):
        count, m, v = s[:3]  # AMSGrad's v_max is s[3]
        t = count + 1
        if decoupled:
            p = p * (1.0 - lr * weight_decay)  # AdamW: decay the weights directly
        elif l2:
            g = g + weight_decay * p  # Adam: L2 term in the gradient
        m = m + (1.0 - beta1) * (g - m)  # first moment (torch's lerp)
        v = beta2 * v + (1.0 - beta2) * g * g  # second moment
        bc1 = 1.0 - beta1**t  # bias corrections
        bc2_sqrt = ops.sqrt(1.0 - beta2**t)
        if amsgrad:
            v_max = ops.maximum(s[3], v)  # AMSGrad keeps the max of v
            denom = ops.sqrt(v_max) / bc2_sqrt + eps  # sqrt(v_hat) + eps
            return p - (lr / bc1) * m / denom, (t, m, v, v_max), (lr / denom if ops.lr_eff else None)
        denom = ops.sqrt(v) / bc2_sqrt + eps
        return p - (lr / bc1) * m / denom, (t, m, v), (lr / denom if ops.lr_eff else None)

    return Rule(init, update)


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
def nadam(ops, *, lr, beta1, beta2, eps, weight_decay, momentum_decay):
    """NAdam, as ``torch.optim.NAdam`` (Dozat, 2016).

    Symbols: :math:`\\psi` momentum decay, :math:`\\mu_t` the momentum schedule and
    :math:`\\Pi_t` its running product (state ``mu_product``).

    Convention: torch uses Dozat's warming momentum schedule
    :math:`\\mu_t = \\beta_1(1 - 0.5\\cdot 0.96^{t\\psi})`; Keras' Nadam and many
    write-ups use a constant :math:`\\beta_1` with a plain bias correction.
    """

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0

    def init(p, lr0):
        z = p * 0.0
        return NAdamState(0, z, z, z + 1.0)

    def update(p, g, s, lr):
        count, m, v, mu_product = s
        t = count + 1
        if l2:
            g = g + weight_decay * p  # L2 term
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))  # momentum schedule
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product = mu_product * mu
        m = m + (1.0 - beta1) * (g - m)  # first moment
        v = beta2 * v + (1.0 - beta2) * g * g  # second moment
        denom = ops.sqrt(v / (1.0 - beta2**t)) + eps
        p = p + (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom  # gradient part
        p = p + (-lr * mu_next / (1.0 - mu_product * mu_next)) * m / denom  # momentum part
        return p, (t, m, v, mu_product), (lr / denom if ops.lr_eff else None)

    return Rule(init, update)


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
def radam(ops, *, lr, beta1, beta2, eps, weight_decay):
    """RAdam, as ``torch.optim.RAdam`` (Liu et al., 2020).

    Symbols: :math:`\\rho_t` the length of the approximated simple moving average,
    :math:`r_t` the variance rectification term. While :math:`\\rho_t \\le 5`
    (the first steps: until step 6 with :math:`\\beta_2 = 0.999`) the update is
    SGD with bias-corrected momentum.

    Convention: torch switches at :math:`\\rho_t > 5` and adds epsilon to
    :math:`\\sqrt{v_t}` before bias correction; the paper's reference code switches
    at :math:`\\rho_t > 4` in some versions.
    """

    l2 = not _is_zero(weight_decay)  # skip the L2 term when it is 0

    def init(p, lr0):
        z = p * 0.0
        return RAdamState(0, z, z)

    def update(p, g, s, lr):
        count, m, v = s
        t = count + 1
        if l2:
            g = g + weight_decay * p  # L2 term
        m = m + (1.0 - beta1) * (g - m)  # first moment
        v = beta2 * v + (1.0 - beta2) * g * g  # second moment
        bc1 = 1.0 - beta1**t
        bc2 = 1.0 - beta2**t
        rho_inf = 2.0 / (1.0 - beta2) - 1.0  # max length of the SMA
        rho_t = rho_inf - 2.0 * t * beta2**t / bc2
        # rho_t > 5 implies rho_inf > 5: clamping both keeps the unused branch finite
        rho_s, rho_i = ops.maximum(rho_t, 5.0), ops.maximum(rho_inf, 5.0)
        rect = ops.sqrt((rho_s - 4) * (rho_s - 2) * rho_i / ((rho_i - 4) * (rho_i - 2) * rho_s))
        adaptive = ops.sqrt(bc2) / (ops.sqrt(v) + eps)
        lr_eff = ops.where(rho_t > 5.0, lr * adaptive * rect, lr + 0.0 * v)  # rectified or plain
        return p - (m / bc1) * lr_eff, (t, m, v), lr_eff

    return Rule(init, update)


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

    def init(p, lr0):
        z = p * 0.0
        return AdamaxState(0, z, z)

    def update(p, g, s, lr):
        count, m, u = s
        t = count + 1
        if l2:
            g = g + weight_decay * p  # L2 term
        m = m + (1.0 - beta1) * (g - m)  # first moment
        u = ops.maximum(beta2 * u, ops.abs(g) + eps)  # infinity norm
        clr = lr / (1.0 - beta1**t)  # bias-corrected step size
        return p - clr * m / u, (t, m, u), (lr / u if ops.lr_eff else None)

    return Rule(init, update)


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


class LionState(NamedTuple):
    count: int
    m: float


@_documented(r"""
\begin{aligned}
c_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t\\
\theta_t &= \theta_{t-1} - \eta\,\bigl(\operatorname{sign}(c_t) + \lambda\,\theta_{t-1}\bigr)\\
m_t &= \beta_2 m_{t-1} + (1-\beta_2)\, g_t
\end{aligned}
""")
def lion(ops, *, lr, beta1, beta2, weight_decay):
    """Lion, as in Chen et al. (2023), "Symbolic Discovery of Optimization
    Algorithms", Algorithm 1 (torch.optim has no Lion).

    Symbols: :math:`c` the interpolated update direction, :math:`m` the momentum
    tracked with the slower :math:`\\beta_2`, :math:`\\lambda` decoupled weight decay.

    Convention: every coordinate moves by exactly :math:`\\eta` (plus decay), so
    Lion's learning rate is typically 3-10x smaller than AdamW's.
    """

    def init(p, lr0):
        return LionState(0, p * 0.0)

    def update(p, g, s, lr):
        count, m = s
        c = beta1 * m + (1.0 - beta1) * g  # interpolated direction
        direction = ops.sign(c)
        m = beta2 * m + (1.0 - beta2) * g  # momentum with the slow beta
        p_new = p - lr * (direction + weight_decay * p)
        lr_eff = ops.div0(lr * ops.abs(direction), ops.abs(g)) if ops.lr_eff else None
        return p_new, (count + 1, m), lr_eff

    return Rule(init, update)


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

    This rule couples the coordinates, so its signature differs from the
    elementwise rules: ``update(p, g, h, state, lr)`` with ``p = (x, y)``,
    ``g = (gx, gy)`` and ``h = (hxx, hxy, hyy)``, returning ``((x, y), state,
    (ex, ey))``, where ``e = -step / g`` per coordinate. Newton's direction is
    a descent direction only where the damped Hessian is positive definite: on a
    saddle it heads for the saddle point, which the app shows on purpose.
    """

    def init(p, lr0):
        return CountState(0)

    def update(p, g, h, s, lr):
        (x, y), (gx, gy), (hxx, hxy, hyy) = p, g, h
        a, b, c = hxx + damping, hxy, hyy + damping  # damped Hessian [[a, b], [b, c]]
        det = a * c - b * b
        dx = -lr * (c * gx - b * gy) / det  # -lr * H^{-1} g, solved in closed form
        dy = -lr * (a * gy - b * gx) / det
        lr_eff = (ops.div0(-dx, gx), ops.div0(-dy, gy)) if ops.lr_eff else None
        return (x + dx, y + dy), CountState(s.count + 1), lr_eff

    return Rule(init, update)
