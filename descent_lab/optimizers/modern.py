r"""Update rules of recent optimizers, each as its reference code runs it.

ADOPT (its authors' ``torch-adopt``), Adan (its authors' ``adan.py``), D-Adaptation in
its Adam and SGD forms (the ``dadaptation`` package), Sophia (its authors' ``SophiaG``
with the surface's exact Hessian diagonal as the curvature estimate), full-matrix
AdaGrad (``pytorch-optimizer``'s ``Shampoo`` on a vector) and SOAP (its authors'
``soap.py`` with ``precondition_1d=True``). The conventions are those of
:mod:`optimizers.rules`: a factory takes ``ops`` and every hyperparameter by keyword
and returns ``Rule(init, update)``; elementwise rules see one coordinate, coupled
rules both; the order of floating-point operations is the reference's (``a.mul_(b)
.add_(c, alpha=k)`` is ``a * b + k * c``; ``addcdiv``/``addcmul`` are ``value * a / b``
and ``value * a * b`` from the left); quantities only a reader needs are computed
under ``if explain``.

Branches that depend on a run's numbers (a step the reference skips, D-Adaptation's
estimate when it has seen no gradient) are a plain ``if`` for one run on floats and
``ops.where`` per run in a batch (:func:`_pick`), so each rule serves both
backends.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .lines import RAW_GRADIENT, Line, gradient_lines
from .rules import Rule, _documented, _is_zero, _lerp_form, _theta

__all__ = ["adopt", "adan", "dadapt_adam", "dadapt_sgd", "sophia", "shampoo", "soap",
           "ADOPT_LINES", "ADAN_LINES", "DADAPT_ADAM_LINES", "DADAPT_SGD_LINES", "SOPHIA_LINES",
           "SHAMPOO_LINES", "SOAP_LINES", "eigenbasis", "qr_float32", "dot2_float32", "inverse_root"]


def _pick(ops, cond, a, b):
    """``a`` where ``cond``, else ``b``: a plain choice for one run (``cond`` a bool),
    ``ops.where`` per run in a batch."""
    if cond is True:
        return a
    if cond is False:
        return b
    return ops.where(cond, a, b)


def _lerp(ops, a, b, w, small):
    """torch's ``a.lerp(b, w)``: ``a + w (b - a)`` when ``|w| < 0.5``, else
    ``b - (b - a)(1 - w)``; ``small`` is :func:`rules._lerp_form` of ``w``."""
    if small is True:
        return a + w * (b - a)
    if small is False:
        return b - (b - a) * (1 - w)
    return ops.where(small, a + w * (b - a), b - (b - a) * (1 - w))


# ------------------------------------------------------------------ ADOPT


class ADOPTState(NamedTuple):
    count: int
    m: float
    v: float


@_documented(r"""
\begin{aligned}
v_1 &= g_1^2 \qquad(\text{the first step only measures: } \theta_1 = \theta_0)\\
\tilde g_t &= \operatorname{clip}\bigl(g_t / \max(\sqrt{v_{t-1}},\ \epsilon),\ \pm (t-1)^{1/4}\bigr)\\
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, \tilde g_t,\qquad \theta_t = \theta_{t-1} - \eta\, m_t\\
v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2
\end{aligned}
""")
def adopt(ops, *, lr, beta1, beta2, eps, weight_decay, decouple, clip):
    """ADOPT (Taniguchi et al., 2024, "ADOPT: Modified Adam Can Converge with Any β2
    with the Optimal Rate"), as its authors' package ``torch-adopt`` (``adopt.ADOPT``).

    Symbols: :math:`v` the running mean of squared gradients, :math:`\\tilde g` the
    gradient normalised by the *previous* :math:`v` (so the current gradient never
    scales itself) and clipped to :math:`\\pm(t-1)^{1/4}` (the authors'
    ``clip_lambda``; ``clip`` off is their ``clip_lambda=None``), :math:`m` the
    momentum of the normalised gradients. The first step only sets :math:`v_1 =
    g_1^2` and does not move.

    Convention: the momentum is taken after the normalisation (Adam normalises the
    momentum), there is no bias correction, and epsilon is a floor of
    :math:`\\sqrt v` (``max``), not added to it. Weight decay is L2 (added to the
    gradient) or, with ``decouple``, :math:`\\theta \\leftarrow \\theta - \\eta\\lambda
    \\theta` from the second step on, as the authors' code does.
    """

    nonzero = not _is_zero(weight_decay)
    decays = decouple and nonzero  # decoupled: theta - lr wd theta
    l2 = not decouple and nonzero  # L2 term in the gradient
    one_m_b1, one_m_b2 = 1.0 - beta1, 1.0 - beta2
    small = _lerp_form(one_m_b1)
    explain = ops.explain

    def init(p, lr0):
        z = p * 0.0
        return ADOPTState(0, z, z)

    def update(p, g, s, lr):
        count, m, v = s
        t = count + 1
        if l2:
            g = g + weight_decay * p  # grad.add(param, alpha=weight_decay)
        first = t == 1
        if explain:
            g2 = g * g
        if first:  # exp_avg_sq.addcmul_(grad, grad); no step
            v = v + g * g
            return p, (t, m, v), (0.0 * g if ops.lr_eff else None)
        if decays:
            shrink = -lr * weight_decay
            p = p + shrink * p  # param.add_(param, alpha=-lr * weight_decay)
        denom = ops.maximum(ops.sqrt(v), eps)  # torch.clamp(sqrt(v), eps)
        normed = g / denom
        if clip:
            limit = count**0.25  # clip_lambda(step), step = updates so far
            normed = ops.minimum(ops.maximum(normed, -limit), limit)
        m = _lerp(ops, m, normed, one_m_b1, small)  # exp_avg.lerp_(normed, 1 - beta1)
        p = p + -lr * m
        v = v * beta2 + one_m_b2 * g * g
        return p, (t, m, v), (lr / denom if ops.lr_eff else None)

    return Rule(init, update)


ADOPT_LINES = (
    *gradient_lines(),
    Line(lhs="v_1", formula=r"g_1^2 \quad (t = 1\text{: no step})", numbers="{g2}", value="v",
         when="first"),
    Line(lhs="m_1", formula="0", numbers="{m@out}", value="m@out", when="first"),
    Line(lhs=r"\theta_{t-1}'", formula=r"\theta_{t-1} - \eta\lambda\,\theta_{t-1}",
         numbers=r"{p@in} + {shrink}\,{p@in}", value="p", when=("decays", "!first")),
    Line(lhs=r"\tilde g_t", formula=r"\operatorname{clip}\bigl(g_t / \max(\sqrt{v_{t-1}},\ \epsilon),"
         r"\ \pm (t-1)^{1/4}\bigr)",
         numbers=r"\operatorname{clip}\bigl({g} \oslash \max(\sqrt{{v@prev}},\ {eps}),\ \pm {limit}\bigr)",
         value="normed", when=("clip", "!first")),
    Line(lhs=r"\tilde g_t", formula=r"g_t / \max(\sqrt{v_{t-1}},\ \epsilon)",
         numbers=r"{g} \oslash \max(\sqrt{{v@prev}},\ {eps})", value="normed", when=("!clip", "!first")),
    Line(lhs="m_t", formula=r"\beta_1 m_{t-1} + (1-\beta_1)\, \tilde g_t",
         numbers=r"{beta1}\,{m@prev} + {one_m_b1}\,{normed}", value="m", when="!first"),
    Line(lhs="v_t", formula=r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t^2",
         numbers=r"{beta2}\,{v@prev} + {one_m_b2}\,{g2}", value="v", when="!first"),
    _theta(r"\theta_{t-1} \quad (\text{the first step only measures})", "{p@in}", when="first"),
    _theta(r"\theta_{t-1}' - \eta\, m_t", r"{p} - {lr}\,{m}", when=("decays", "!first")),
    _theta(r"\theta_{t-1} - \eta\, m_t", r"{p@in} - {lr}\,{m}", when=("!decays", "!first")),
)


# ------------------------------------------------------------------ Adan


class AdanState(NamedTuple):
    count: int
    m: float
    v: float
    n: float
    prev: float


@_documented(r"""
\begin{aligned}
\Delta_t &= g_t - g_{t-1}\quad(\Delta_1 = 0),\qquad u_t = g_t + \beta_2\,\Delta_t\\
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\,\Delta_t,\qquad
n_t = \beta_3 n_{t-1} + (1-\beta_3)\, u_t^2\\
d_t &= \sqrt{n_t/(1-\beta_3^t)} + \epsilon\\
\theta_t &= \Bigl(\theta_{t-1} - \eta\,\frac{m_t}{(1-\beta_1^t)\, d_t}
- \eta\beta_2\,\frac{v_t}{(1-\beta_2^t)\, d_t}\Bigr) \Big/ (1 + \eta\lambda)
\end{aligned}
""")
def adan(ops, *, lr, beta1, beta2, beta3, eps, weight_decay, no_prox):
    """Adan (Xie et al., 2022, "Adan: Adaptive Nesterov Momentum Algorithm for Faster
    Optimizing Deep Models"), as its authors' ``adan.py`` (``Adan``, sail-sg).

    Symbols: :math:`\\Delta_t` the change of the gradient, :math:`m, v` the running
    means of the gradient and of its change, :math:`n` the running mean of the
    squared look-ahead gradient :math:`u_t = g_t + \\beta_2\\Delta_t` (the Nesterov
    estimate of the next gradient), each bias-corrected.

    Convention: the authors' code takes :math:`\\beta` close to 1 (0.98, 0.92, 0.99:
    the weight of the past); the paper writes :math:`1-\\beta` (0.02, 0.08, 0.01).
    Weight decay is proximal: the step is divided by :math:`1 + \\eta\\lambda`;
    ``no_prox`` multiplies by :math:`1 - \\eta\\lambda` first instead (AdamW's form).
    The authors' ``max_grad_norm`` (clipping of the gradient's global norm, off by
    default) is left out: the lab clips no gradient.
    """

    decays = not _is_zero(weight_decay)
    one_m_b1, one_m_b2, one_m_b3 = 1.0 - beta1, 1.0 - beta2, 1.0 - beta3
    explain = ops.explain

    def init(p, lr0):
        z = p * 0.0
        return AdanState(0, z, z, z, z)

    def update(p, g, s, lr):
        count, m, v, n, prev = s
        t = count + 1
        first = t == 1
        if first:  # the previous gradient starts as this one: no change yet
            prev = g
        diff = g - prev  # neg_pre_grad + grad
        m = m * beta1 + one_m_b1 * g
        v = v * beta2 + one_m_b2 * diff
        u = diff * beta2 + g  # the look-ahead gradient
        n = n * beta3 + one_m_b3 * u * u
        bc1, bc2, bc3 = 1.0 - beta1**t, 1.0 - beta2**t, 1.0 - beta3**t
        denom = ops.sqrt(n) / ops.sqrt(bc3) + eps
        step_size, step_size_diff = lr / bc1, lr * beta2 / bc2
        if decays and no_prox:
            decay = 1 - lr * weight_decay
            p = p * decay
        p_in = p
        p = p + -step_size * m / denom
        p = p + -step_size_diff * v / denom
        if decays and not no_prox:
            prox = 1 + lr * weight_decay
            p = p / prox
        if explain:
            u2 = u * u
        return p, (t, m, v, n, g), (lr / denom if ops.lr_eff else None)

    return Rule(init, update)


ADAN_LINES = (
    RAW_GRADIENT,
    Line(lhs=r"\Delta_t", formula=r"g_t - g_{t-1} \quad (0 \text{ at } t = 1)",
         numbers=r"{g@in} - {prev}", value="diff"),
    Line(lhs="m_t", formula=r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t",
         numbers=r"{beta1}\,{m@prev} + {one_m_b1}\,{g@in}", value="m"),
    Line(lhs="v_t", formula=r"\beta_2 v_{t-1} + (1-\beta_2)\, \Delta_t",
         numbers=r"{beta2}\,{v@prev} + {one_m_b2}\,{diff}", value="v"),
    Line(lhs="u_t", formula=r"g_t + \beta_2\, \Delta_t", numbers=r"{g@in} + {beta2}\,{diff}", value="u"),
    Line(lhs="n_t", formula=r"\beta_3 n_{t-1} + (1-\beta_3)\, u_t^2",
         numbers=r"{beta3}\,{n@prev} + {one_m_b3}\,{u2}", value="n"),
    Line(lhs="d_t", formula=r"\sqrt{n_t/(1-\beta_3^t)} + \epsilon",
         numbers=r"\sqrt{{n} / {bc3}} + {eps}", value="denom"),
    Line(lhs=r"\theta_{t-1}'", formula=r"\theta_{t-1}\,(1 - \eta\lambda)", numbers=r"{p@in}\,{decay}",
         value="p_in", when=("decays", "no_prox")),
    _theta(r"\Bigl(\theta_{t-1} - \tfrac{\eta}{1-\beta_1^t}\, m_t / d_t - \tfrac{\eta\beta_2}{1-\beta_2^t}\, "
           r"v_t / d_t\Bigr) / (1 + \eta\lambda)",
           r"\bigl({p@in} - {step_size}\,{m} \oslash {denom} - {step_size_diff}\,{v} \oslash {denom}\bigr) / {prox}",
           when=("decays", "!no_prox")),
    _theta(r"\theta_{t-1}' - \tfrac{\eta}{1-\beta_1^t}\, m_t / d_t - \tfrac{\eta\beta_2}{1-\beta_2^t}\, v_t / d_t",
           r"{p_in} - {step_size}\,{m} \oslash {denom} - {step_size_diff}\,{v} \oslash {denom}",
           when=("decays", "no_prox")),
    _theta(r"\theta_{t-1} - \tfrac{\eta}{1-\beta_1^t}\, m_t / d_t - \tfrac{\eta\beta_2}{1-\beta_2^t}\, v_t / d_t",
           r"{p@in} - {step_size}\,{m} \oslash {denom} - {step_size_diff}\,{v} \oslash {denom}",
           when="!decays"),
)


# ------------------------------------------------------------ D-Adaptation


class DAdaptAdamState(NamedTuple):
    count: int
    d: float
    numerator: float
    s: tuple
    m: tuple
    v: tuple


@_documented(r"""
\begin{aligned}
\eta_d &= d_{t-1}\,\eta,\qquad
r_t = \sqrt{\beta_2}\, r_{t-1} + (1-\sqrt{\beta_2})\,\eta_d\,\bigl\langle g_t,\ s_{t-1} / (\sqrt{v_{t-1}} + \epsilon)\bigr\rangle\\
m_t &= \beta_1 m_{t-1} + \eta_d (1-\beta_1)\, g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,\qquad
s_t = \sqrt{\beta_2}\, s_{t-1} + \eta_d (1-\sqrt{\beta_2})\, g_t\\
d_t &= \max\bigl(d_{t-1},\ \hat d_t\bigr),\qquad \hat d_t = \frac{r_t}{(1-\sqrt{\beta_2})\,\lVert s_t\rVert_1}\\
\theta_t &= \theta_{t-1} - m_t / (\sqrt{v_t} + \epsilon)
\end{aligned}
""")
def dadapt_adam(ops, *, lr, beta1, beta2, eps, weight_decay, decouple, use_bias_correction, d0,
                growth_rate):
    """D-Adaptation in its Adam form, as the ``dadaptation`` package's ``DAdaptAdam``
    (Defazio & Mishchenko, 2023, "Learning-Rate-Free Learning by D-Adaptation").

    :math:`d_t` estimates the distance from the start to the solution from the
    gradients seen so far (:math:`r_t` and :math:`s_t`); the step size is
    :math:`d_t\\,\\eta` and ``lr`` stays 1. :math:`d_t` never decreases; it is
    recorded per step (state ``d``) so the page can draw it against the true
    distance, which only a 2-D lab knows. Unlike the SGD form's, it is not a lower
    bound on the Euclidean distance: its sums are weighted by Adam's per-coordinate
    scaling (on the bowl it ends near twice the distance). The momentum :math:`m` carries the step
    size inside it, so the step is :math:`m_t / (\\sqrt{v_t} + \\epsilon)`.

    Convention: the reference's defaults (no bias correction; ``decouple`` applies
    the decay as AdamW, :math:`\\theta \\leftarrow \\theta - \\lambda\\eta_d\\theta`;
    ``growth_rate`` infinite there, here at most :math:`10^{10}`). A step whose
    scheduled rate is 0, or before any gradient, changes nothing, as in the
    reference.
    """

    sqrt_beta2 = beta2**0.5
    one_m_sb2 = 1 - sqrt_beta2
    l2 = not decouple and not _is_zero(weight_decay)
    decays = decouple and not _is_zero(weight_decay)
    explain = ops.explain

    def init(p, lr0):
        x, y = p
        z = (x * 0.0, y * 0.0)
        return DAdaptAdamState(0, d0, 0.0, z, z, z)

    def update(p, g, h, s, lr):
        (x, y), (gx, gy) = p, g
        k, d, numerator, (sx, sy), (mx, my), (vx, vy) = s
        bias_correction = ((1 - beta2 ** (k + 1)) ** 0.5) / (1 - beta1 ** (k + 1)) \
            if use_bias_correction else 1
        dlr = d * lr * bias_correction
        if l2:
            gx, gy = gx + weight_decay * x, gy + weight_decay * y  # grad.add_(p, alpha=decay)
        dx, dy = ops.sqrt(vx) + eps, ops.sqrt(vy) + eps
        numerator_acum = 0.0 + dlr * (gx * (sx / dx) + gy * (sy / dy))
        mx, my = mx * beta1 + (dlr * (1 - beta1)) * gx, my * beta1 + (dlr * (1 - beta1)) * gy
        vx, vy = vx * beta2 + (1 - beta2) * gx * gx, vy * beta2 + (1 - beta2) * gy * gy
        c_s = dlr * one_m_sb2
        sx, sy = sx * sqrt_beta2 + c_s * gx, sy * sqrt_beta2 + c_s * gy
        sk_l1 = 0.0 + (ops.abs(sx) + ops.abs(sy))
        numerator_new = sqrt_beta2 * numerator + one_m_sb2 * numerator_acum
        stop = (sk_l1 == 0) | (lr == 0)  # nothing seen yet, or a rate of 0: the reference returns
        if stop is True:
            return p, s, (0.0, 0.0)
        d_hat = numerator_new / (one_m_sb2 * sk_l1)
        d_new = ops.maximum(d, ops.minimum(d_hat, d * growth_rate))
        dx, dy = ops.sqrt(vx) + eps, ops.sqrt(vy) + eps
        if decays:
            shrink = -weight_decay * dlr
            x, y = x + shrink * x, y + shrink * y  # p.add_(p, alpha=-decay * dlr)
        x, y = x + -mx / dx, y + -my / dy  # p.addcdiv_(exp_avg, denom, value=-1)
        p_new = (_pick(ops, stop, p[0], x), _pick(ops, stop, p[1], y))
        old = s
        state = (_pick(ops, stop, k, k + 1), _pick(ops, stop, d, d_new),
                 _pick(ops, stop, numerator, numerator_new),
                 (_pick(ops, stop, old[3][0], sx), _pick(ops, stop, old[3][1], sy)),
                 (_pick(ops, stop, old[4][0], mx), _pick(ops, stop, old[4][1], my)),
                 (_pick(ops, stop, old[5][0], vx), _pick(ops, stop, old[5][1], vy)))
        lr_eff = (dlr / dx, dlr / dy) if ops.lr_eff else None
        if explain:
            g_used, s_vec, m, v, denom = (gx, gy), (sx, sy), (mx, my), (vx, vy), (dx, dy)
            theta_decayed = (p[0] + shrink * p[0], p[1] + shrink * p[1]) if decays else p
        return p_new, state, lr_eff

    return Rule(init, update)


def _dadapt_gradient_lines() -> tuple[Line, Line]:
    return (
        Line(lhs="g_t", formula=r"\nabla f(\theta_{t-1})", numbers="{g@in}", value="g_used", when="!l2"),
        Line(lhs="g_t", formula=r"\nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}",
             numbers=r"{g@in} + {weight_decay}\,{p@in}", value="g_used", when="l2"),
    )


DADAPT_ADAM_LINES = (
    *_dadapt_gradient_lines(),
    Line(lhs=r"\eta_d", formula=r"d_{t-1}\,\eta\ (\times \text{bias correction})",
         numbers=r"{d@prev}\cdot {lr}\cdot {bias_correction}", value="dlr"),
    Line(lhs="r_t", formula=r"\sqrt{\beta_2}\, r_{t-1} + (1-\sqrt{\beta_2})\,\eta_d\,"
         r"\bigl\langle g_t,\ s_{t-1} / (\sqrt{v_{t-1}} + \epsilon)\bigr\rangle",
         numbers=r"{sqrt_beta2}\cdot {numerator@prev} + {one_m_sb2}\cdot {numerator_acum}",
         value="numerator@out"),
    Line(lhs="m_t", formula=r"\beta_1 m_{t-1} + \eta_d (1-\beta_1)\, g_t", numbers="{m}", value="m@out"),
    Line(lhs="v_t", formula=r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t^2", numbers="{v}", value="v@out"),
    Line(lhs="s_t", formula=r"\sqrt{\beta_2}\, s_{t-1} + \eta_d (1-\sqrt{\beta_2})\, g_t",
         numbers="{s_vec}", value="s@out"),
    Line(lhs=r"\hat d_t", formula=r"r_t / \bigl((1-\sqrt{\beta_2})\,\lVert s_t\rVert_1\bigr)",
         numbers=r"{numerator_new} / ({one_m_sb2}\cdot {sk_l1})", value="d_hat"),
    Line(lhs="d_t", formula=r"\max(d_{t-1},\ \min(\hat d_t,\ d_{t-1}\cdot\text{growth}))\ \ "
         r"(\text{the distance estimate})", numbers="{d_new}", value="d@out"),
    Line(lhs=r"\theta_{t-1}'", formula=r"\theta_{t-1} - \lambda\,\eta_d\,\theta_{t-1}",
         numbers=r"{p@in} + {shrink}\,{p@in}", value="theta_decayed", when="decays"),
    _theta(r"\theta_{t-1}' - m_t / (\sqrt{v_t} + \epsilon)", r"{theta_decayed} - {m} \oslash {denom}",
           when="decays"),
    _theta(r"\theta_{t-1} - m_t / (\sqrt{v_t} + \epsilon)", r"{p@in} - {m} \oslash {denom}", when="!decays"),
)


class DAdaptSGDState(NamedTuple):
    count: int
    d: float
    numerator: float
    g0_norm: float
    s: tuple
    x0: tuple
    z: tuple


@_documented(r"""
\begin{aligned}
\eta_d &= d_{t-1}\,\eta / \lVert g_1\rVert,\qquad
r_t = r_{t-1} + \eta_d\,\langle g_t,\ s_{t-1}\rangle,\qquad s_t = s_{t-1} + \eta_d\, g_t\\
d_t &= \max\bigl(d_{t-1},\ \hat d_t\bigr),\qquad \hat d_t = 2 r_t / \lVert s_t\rVert_2\\
z_t &= \theta_0 - s_t,\qquad \theta_t = \mu\,\theta_{t-1} + (1-\mu)\, z_t
\end{aligned}
""")
def dadapt_sgd(ops, *, lr, momentum, weight_decay, d0, growth_rate):
    """D-Adaptation in its SGD form, as the ``dadaptation`` package's ``DAdaptSGD``
    (Defazio & Mishchenko, 2023): dual averaging, :math:`z_t = \\theta_0 - s_t` with
    :math:`s_t` the sum of the steps' gradients, each scaled by the step size
    :math:`\\eta_d = d\\,\\eta/\\lVert g_1\\rVert`, and :math:`\\theta` a running average
    of :math:`z` (momentum :math:`\\mu`).

    :math:`d_t` is a lower bound on the distance :math:`\\lVert\\theta_0 -
    \\theta_*\\rVert` from the start to the solution, from the gradients seen so far;
    it never decreases and is recorded per step (state ``d``), so the page can draw
    it against the true distance, which only a 2-D lab knows.

    Convention: the reference's (the first gradient's norm, without the L2 term,
    scales every step; weight decay is L2). Where the reference divides by zero
    (a first gradient of 0) or stops with an error (a scheduled rate of 0), the step
    changes nothing but the first-gradient norm, as its own "no gradient yet" return
    does.
    """

    keep = 1 - (1 - momentum)  # p.mul_(1 - ck), ck = 1 - momentum
    ck = 1 - momentum
    l2 = not _is_zero(weight_decay)
    explain = ops.explain

    def init(p, lr0):
        x, y = p
        return DAdaptSGDState(0, d0, 0.0, 0.0, (x * 0.0, y * 0.0), (x * 1.0, y * 1.0), (x * 1.0, y * 1.0))

    def update(p, g, h, s, lr):
        (x, y), (gx, gy) = p, g
        k, d, numerator, g0_norm, (sx, sy), x0, z = s
        first = k == 0
        g0 = ops.sqrt(gx * gx + gy * gy)  # the first gradient's norm, before the L2 term
        g0_norm = _pick(ops, first, g0, g0_norm)  # kept from the first step
        flat = g0_norm == 0
        dlr = _pick(ops, flat, 0.0, d * lr / _pick(ops, flat, 1.0, g0_norm))
        if l2:
            gx, gy = gx + weight_decay * x, gy + weight_decay * y
        numerator_new = numerator + dlr * (gx * sx + gy * sy)
        sx, sy = sx + dlr * gx, sy + dlr * gy  # s.add_(grad, alpha=dlr)
        sk_sq = sx * sx + sy * sy
        stop = (sk_sq == 0) | (lr == 0)
        if stop is True:
            return p, (k, d, numerator, g0_norm, s[4], x0, z), (0.0, 0.0)
        d_hat = 2 * numerator_new / ops.sqrt(_pick(ops, stop, 1.0, sk_sq))
        d_new = ops.maximum(d, ops.minimum(d_hat, d * growth_rate))
        zx, zy = x0[0] - sx, x0[1] - sy  # z = x0 - s
        xn, yn = x * keep + ck * zx, y * keep + ck * zy
        state = (_pick(ops, stop, k, k + 1), _pick(ops, stop, d, d_new),
                 _pick(ops, stop, numerator, numerator_new), g0_norm,
                 (_pick(ops, stop, s[4][0], sx), _pick(ops, stop, s[4][1], sy)), x0,
                 (_pick(ops, stop, z[0], zx), _pick(ops, stop, z[1], zy)))
        p_new = (_pick(ops, stop, x, xn), _pick(ops, stop, y, yn))
        lr_eff = (ck * dlr, ck * dlr) if ops.lr_eff else None
        if explain:
            g_used, s_vec, z_new = (gx, gy), (sx, sy), (zx, zy)
        return p_new, state, lr_eff

    return Rule(init, update)


DADAPT_SGD_LINES = (
    *_dadapt_gradient_lines(),
    Line(lhs=r"\lVert g_1\rVert", formula=r"\text{the first gradient's norm, kept}",
         numbers="{g0_norm@out}", value="g0_norm@out"),
    Line(lhs=r"\eta_d", formula=r"d_{t-1}\,\eta / \lVert g_1\rVert",
         numbers=r"{d@prev}\cdot {lr} / {g0_norm@out}", value="dlr"),
    Line(lhs="r_t", formula=r"r_{t-1} + \eta_d\,\langle g_t,\ s_{t-1}\rangle",
         numbers=r"{numerator@prev} + {dlr}\,\langle {g_used},\ {s@prev}\rangle", value="numerator@out"),
    Line(lhs="s_t", formula=r"s_{t-1} + \eta_d\, g_t", numbers=r"{s@prev} + {dlr}\,{g_used}",
         value="s@out"),
    Line(lhs=r"\hat d_t", formula=r"2 r_t / \lVert s_t\rVert_2", numbers=r"2\cdot {numerator_new} / \sqrt{{sk_sq}}",
         value="d_hat"),
    Line(lhs="d_t", formula=r"\max(d_{t-1},\ \min(\hat d_t,\ d_{t-1}\cdot\text{growth}))\ \ "
         r"(\text{the distance estimate})", numbers="{d_new}", value="d@out"),
    Line(lhs=r"\theta_0", formula=r"\text{the start, kept}", numbers="{x0@out}", value="x0@out"),
    Line(lhs="z_t", formula=r"\theta_0 - s_t", numbers=r"{x0@out} - {s_vec}", value="z@out"),
    _theta(r"\mu\,\theta_{t-1} + (1-\mu)\, z_t", r"{keep}\,{p@in} + {ck}\,{z_new}"),
)


# ------------------------------------------------------------------ Sophia


class SophiaState(NamedTuple):
    count: int
    m: tuple
    h: tuple


@_documented(r"""
\begin{aligned}
h_t &= \beta_2 h_{t-1} + (1-\beta_2)\,\max\bigl(\operatorname{diag}\nabla^2 f(\theta_{t-1}),\ 0\bigr)
\quad\text{every } k \text{ steps (else } h_t = h_{t-1},\ h_0 = 0)\\
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t\\
\theta_t &= \theta_{t-1}\,(1 - \eta\lambda) - \eta\,\operatorname{sign}(m_t)\,
\min\bigl(|m_t| / (\rho\, h_t + 10^{-15}),\ 1\bigr)
\end{aligned}
""")
def sophia(ops, *, lr, beta1, beta2, rho, weight_decay, update_period):
    """Sophia (Liu et al., 2024, "Sophia: A Scalable Stochastic Second-order Optimizer
    for Language Model Pre-training") in the structure of its authors' ``SophiaG``
    (``sophia.py``), with the surface's exact Hessian diagonal as its curvature
    estimate.

    Symbols: :math:`h` a running average of the curvature of each coordinate,
    refreshed every :math:`k` steps (``update_period``; the authors' training script
    refreshes after every tenth step, at the new point) and starting at 0, with no
    bias correction; :math:`\\rho` the clipping threshold. Where :math:`|m| <
    \\rho h` the step is Newton's along that coordinate, :math:`\\eta m/(\\rho h)`;
    elsewhere it is clipped to :math:`\\eta\\,\\mathrm{sign}(m)`.

    How the estimator differs: the paper estimates :math:`\\operatorname{diag}H` from
    a minibatch, with Hutchinson's :math:`u \\odot (Hu)` (unbiased, may be negative)
    or the Gauss-Newton-Bartlett :math:`B\\, \\hat g \\odot \\hat g` (the squared
    gradient of a loss on labels sampled from the model: never negative); ``SophiaG``
    uses the latter, scaled by the batch size ``bs``. Here the estimate is the exact
    diagonal, floored at 0 where the curvature is negative (``SophiaG``'s
    :math:`\\rho h + 10^{-15}` assumes :math:`h \\ge 0`; at 0 the ratio clips to 1
    and the step is :math:`\\eta\\,\\mathrm{sign}(m)`, as the paper's
    :math:`\\max(\\rho h, \\epsilon)` gives), with ``bs = 1`` (the exact Hessian needs
    no batch rescaling). The estimate is an exact number, with no noise: what
    remains of Sophia is its clipping, its running average and its sparse refresh.
    """

    one_m_b1, one_m_b2 = 1.0 - beta1, 1.0 - beta2
    rho_bs = rho * 1  # rho * bs, bs = 1 for the exact Hessian
    decays = not _is_zero(weight_decay)
    explain = ops.explain

    def init(p, lr0):
        x, y = p
        return SophiaState(0, (x * 0.0, y * 0.0), (x * 0.0, y * 0.0))

    def update(p, g, hess, s, lr):
        (x, y), (gx, gy), (hxx, hxy, hyy) = p, g, hess
        count, (mx, my), (hx, hy) = s
        refresh = (count > 0) & (count % update_period == 0)  # after every k-th step, at the new point
        hx = _pick(ops, refresh, hx * beta2 + one_m_b2 * ops.maximum(hxx, 0.0), hx)
        hy = _pick(ops, refresh, hy * beta2 + one_m_b2 * ops.maximum(hyy, 0.0), hy)
        if decays:
            decay = 1 - lr * weight_decay
            x, y = x * decay, y * decay  # param.mul_(1 - lr * weight_decay)
        mx, my = mx * beta1 + one_m_b1 * gx, my * beta1 + one_m_b1 * gy
        rx = ops.minimum(ops.abs(mx) / (rho_bs * hx + 1e-15), 1.0)  # clamp(None, 1)
        ry = ops.minimum(ops.abs(my) / (rho_bs * hy + 1e-15), 1.0)
        sx, sy = ops.sign(mx), ops.sign(my)
        xn, yn = x + -lr * sx * rx, y + -lr * sy * ry  # addcmul_(sign, ratio, value=-lr)
        lr_eff = (ops.div0(lr * rx, ops.abs(mx)), ops.div0(lr * ry, ops.abs(my))) if ops.lr_eff else None
        if explain:
            h, m, ratio, direction = (hx, hy), (mx, my), (rx, ry), (sx, sy)
            h_diag, theta_decayed = (hxx, hyy), (x, y)
        return (xn, yn), (count + 1, (mx, my), (hx, hy)), lr_eff

    return Rule(init, update)


SOPHIA_LINES = (
    RAW_GRADIENT,
    Line(lhs=r"\operatorname{diag}\nabla^2 f(\theta_{t-1})", formula=r"\text{the exact curvature}",
         numbers="{h_diag}", value="h_diag"),
    Line(lhs="h_t", formula=r"\beta_2 h_{t-1} + (1-\beta_2)\,\max(\operatorname{diag}\nabla^2 f,\ 0)"
         r"\ \ (\text{refreshed})",
         numbers=r"{beta2}\,{h@prev} + {one_m_b2}\,\max({h_diag},\ 0)", value="h", when="refresh"),
    Line(lhs="h_t", formula=r"h_{t-1}\ \ (\text{refreshed every } k \text{ steps})", numbers="{h@prev}",
         value="h", when="!refresh"),
    Line(lhs=r"\theta_{t-1}'", formula=r"\theta_{t-1}\,(1 - \eta\lambda)", numbers=r"{p@in}\,{decay}",
         value="theta_decayed", when="decays"),
    Line(lhs="m_t", formula=r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t",
         numbers=r"{beta1}\,{m@prev} + {one_m_b1}\,{g@in}", value="m"),
    Line(lhs=r"c_t", formula=r"\min\bigl(|m_t| / (\rho\, h_t + 10^{-15}),\ 1\bigr)\ \ "
         r"(1\text{: clipped to a sign step})",
         numbers=r"\min\bigl(|{m}| \oslash ({rho}\,{h} + 10^{-15}),\ 1\bigr)", value="ratio"),
    _theta(r"\theta_{t-1}' - \eta\,\operatorname{sign}(m_t)\, c_t",
           r"{theta_decayed} - {lr}\,{direction} \odot {ratio}", when="decays"),
    _theta(r"\theta_{t-1} - \eta\,\operatorname{sign}(m_t)\, c_t",
           r"{p@in} - {lr}\,{direction} \odot {ratio}", when="!decays"),
)


# ------------------------------------------------------- full-matrix AdaGrad


class ShampooState(NamedTuple):
    count: int
    G: tuple
    G_xy: float
    P: tuple
    P_xy: float


class ShampooMomentumState(NamedTuple):
    count: int
    G: tuple
    G_xy: float
    P: tuple
    P_xy: float
    buf: tuple


def inverse_root(ops, a, b, c):
    r"""The inverse square root of the symmetric positive definite 2x2 matrix
    :math:`\begin{pmatrix} a & b\\ b & c\end{pmatrix}`, as ``(xx, xy, yy)``:
    :math:`\bigl((\operatorname{tr} + \sqrt{\det})\, I - G\bigr) / \bigl(\sqrt{\det}\,
    \sqrt{\operatorname{tr} + 2\sqrt{\det}}\bigr)` (Cayley-Hamilton; it agrees with an
    SVD to rounding wherever :math:`G` is not nearly singular)."""
    root_det = ops.sqrt(a * c - b * b)
    scale = root_det * ops.sqrt(a + c + 2 * root_det)
    return (c + root_det) / scale, -b / scale, (a + root_det) / scale


@_documented(r"""
\begin{aligned}
G_t &= G_{t-1} + g_t\, g_t^\top \qquad (G_0 = \epsilon I,\ \text{a } 2\times 2 \text{ matrix})\\
P_t &= G_t^{-1/2} \quad\text{every } k \text{ steps (else } P_t = P_{t-1},\ P_0 = 0)\\
\theta_t &= \theta_{t-1} - \eta\, P_t\, g_t
\end{aligned}
""")
def shampoo(ops, *, lr, momentum, weight_decay, weight_decouple, fixed_decay,
            preconditioning_compute_steps, matrix_eps):
    """Full-matrix AdaGrad: ``pytorch-optimizer``'s ``Shampoo`` on a vector (Gupta,
    Koren & Singer, 2018; Duchi, Hazan & Singer, 2011).

    On a 1-D parameter Shampoo keeps one preconditioner, the :math:`2\\times 2` sum
    :math:`G` of the gradients' outer products (started at
    :math:`\\epsilon I`, ``matrix_eps``), and steps along :math:`G^{-1/2} g`: the
    full-matrix AdaGrad of Duchi et al. The preconditioner mixes the coordinates, so
    it can undo a rotation of the valley that AdaGrad's diagonal cannot; like
    AdaGrad's, its steps only shrink. The inverse root is recomputed every
    :math:`k` steps (``preconditioning_compute_steps``; it starts at 0, so a run does
    not move before step :math:`k`).

    Convention: the reference's. ``momentum`` mixes the gradient with the previous
    *preconditioned* step (``grad.lerp_(momentum_buffer, momentum)``) before both
    the statistics and the step; weight decay is L2 (added to the gradient after
    that mix) or, with ``weight_decouple``, :math:`\\theta \\leftarrow
    \\theta(1 - \\eta\\lambda)` (:math:`1 - \\lambda` with ``fixed_decay``). The
    reference takes the root by an SVD; the closed form here agrees to rounding
    (see :func:`inverse_root`). Duchi et al. write :math:`(\\delta I + G^{1/2})^{-1}`;
    Shampoo puts :math:`\\epsilon` inside the root.
    """

    has_buf = not _is_zero(momentum)
    small = _lerp_form(momentum)
    nonzero = not _is_zero(weight_decay)
    decays = weight_decouple and nonzero
    l2 = not weight_decouple and nonzero
    period = preconditioning_compute_steps
    State = ShampooMomentumState if has_buf else ShampooState
    explain = ops.explain

    def init(p, lr0):
        x, y = p
        zero = x * 0.0
        G = (zero + matrix_eps, zero + matrix_eps)  # torch.eye(2) * matrix_eps
        start = (0, G, zero, (zero, zero), zero)
        return State(*start, (zero, zero)) if has_buf else State(*start)

    def update(p, g, h, s, lr):
        (x, y), (gx, gy) = p, g
        count, (gxx, gyy), gxy, (pxx, pyy), pxy = s[:5]
        t = count + 1
        if has_buf:  # grad.lerp_(momentum_buffer, momentum); the buffer starts as g_1
            bx, by = s[5] if t > 1 else (gx, gy)
            gx, gy = _lerp(ops, gx, bx, momentum, small), _lerp(ops, gy, by, momentum, small)
        if decays:
            decay = 1.0 - weight_decay * (1.0 if fixed_decay else lr) * 1.0
            x, y = x * decay, y * decay
        if l2:
            gx, gy = gx + weight_decay * x, gy + weight_decay * y
        gxx, gxy, gyy = gxx + gx * gx, gxy + gx * gy, gyy + gy * gy  # pre_cond.addmm_(g, g^T)
        refresh = t % period == 0
        if refresh is True or refresh is False:
            if refresh:
                pxx, pxy, pyy = inverse_root(ops, gxx, gxy, gyy)
        else:
            rxx, rxy, ryy = inverse_root(ops, gxx, gxy, gyy)
            pxx, pxy, pyy = ops.where(refresh, rxx, pxx), ops.where(refresh, rxy, pxy), ops.where(refresh, ryy, pyy)
        dx, dy = gx * pxx + gy * pxy, gx * pxy + gy * pyy  # grad^T @ inv_pre_cond
        xn, yn = x + -lr * dx, y + -lr * dy
        state = (t, (gxx, gyy), gxy, (pxx, pyy), pxy)
        if has_buf:
            state = state + ((dx, dy),)  # the buffer keeps the preconditioned step
        lr_eff = (ops.div0(lr * dx, g[0]), ops.div0(lr * dy, g[1])) if ops.lr_eff else None
        if explain:
            g_used, d, G, P, theta_decayed = (gx, gy), (dx, dy), (gxx, gyy), (pxx, pyy), (x, y)
            g_l2 = (g[0] + weight_decay * p[0], g[1] + weight_decay * p[1])
        return (xn, yn), state, lr_eff

    return Rule(init, update)


SHAMPOO_LINES = (
    Line(lhs="g_t", formula=r"\nabla f(\theta_{t-1})", numbers="{g@in}", value="g@in", when="!l2"),
    Line(lhs="g_t", formula=r"\nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}",
         numbers=r"{g@in} + {weight_decay}\,{p@in}", value="g_l2", when="l2"),
    Line(lhs=r"\tilde g_t", formula=r"g_t + \mu\,(b_{t-1} - g_t)\ \ (b: \text{the last preconditioned step})",
         numbers="{g_used}", value="g_used", when="has_buf"),
    Line(lhs=r"\theta_{t-1}'", formula=r"\theta_{t-1}\,(1 - \eta\lambda)", numbers=r"{p@in}\,{decay}",
         value="theta_decayed", when="decays"),
    Line(lhs=r"(G_{xx}, G_{yy})_t", formula=r"G_{t-1} + g_t g_t^\top\ \ (\text{diagonal})",
         numbers=r"{G@prev} + {g_used} \odot {g_used}", value="G"),
    Line(lhs=r"(G_{xy})_t", formula=r"G_{t-1} + g_t g_t^\top\ \ (\text{off the diagonal})",
         numbers="{G_xy@out}", value="G_xy@out"),
    Line(lhs=r"(P_{xx}, P_{yy})_t", formula=r"G_t^{-1/2}\ \ (\text{diagonal})", numbers="{P}", value="P",
         when="refresh"),
    Line(lhs=r"(P_{xy})_t", formula=r"G_t^{-1/2}\ \ (\text{off the diagonal})", numbers="{P_xy@out}",
         value="P_xy@out", when="refresh"),
    Line(lhs=r"P_t", formula=r"P_{t-1}\ \ (\text{recomputed every } k \text{ steps})", numbers="{P}",
         value="P", when="!refresh"),
    Line(lhs=r"(P_{xy})_t", formula=r"P_{t-1}\ \ (\text{off the diagonal})", numbers="{P_xy@out}",
         value="P_xy@out", when="!refresh"),
    Line(lhs="d_t", formula=r"P_t\, g_t", numbers=r"\begin{pmatrix}{pxx} & {pxy}\\ {pxy} & {pyy}\end{pmatrix} {g_used}",
         value="d"),
    _theta(r"\theta_{t-1}' - \eta\, d_t", r"{theta_decayed} - {lr}\,{d}", when="decays"),
    _theta(r"\theta_{t-1} - \eta\, d_t", r"{p@in} - {lr}\,{d}", when="!decays"),
)


# ------------------------------------------------------------------ SOAP


def eigenbasis(a, b, c):
    r"""The eigenvectors of the symmetric 2x2 matrix :math:`\begin{pmatrix} a & b\\ b &
    c\end{pmatrix}` as ``(q1, q2)``, the larger eigenvalue's first, on floats: what
    ``torch.flip(torch.linalg.eigh(M)[1], [1])`` gives, by LAPACK's ``dlaev2`` (the
    2x2 eigensolver its ``dsteqr`` uses; bit for bit with torch 2.13's MKL, signs
    included, on 20,000 random matrices), and the coordinate axes for a diagonal
    matrix (the larger entry's axis first; ``y`` on a tie)."""
    if b == 0:
        return ((1.0, 0.0), (0.0, 1.0)) if a > c else ((0.0, 1.0), (1.0, 0.0))
    sm, df = a + c, a - c
    adf, tb = abs(df), b + b
    ab = abs(tb)
    acmx, acmn = (a, c) if abs(a) > abs(c) else (c, a)
    if adf > ab:
        rt = adf * math.sqrt(1 + (ab / adf) ** 2)
    elif adf < ab:
        rt = ab * math.sqrt(1 + (adf / ab) ** 2)
    else:
        rt = ab * math.sqrt(2.0)
    if sm < 0:
        rt1, sgn1 = 0.5 * (sm - rt), -1
    elif sm > 0:
        rt1, sgn1 = 0.5 * (sm + rt), 1
    else:
        rt1, sgn1 = 0.5 * rt, 1
    rt2 = (acmx / rt1) * acmn - (b / rt1) * b if sm != 0 else -0.5 * rt
    if df >= 0:
        cs, sgn2 = df + rt, 1
    else:
        cs, sgn2 = df - rt, -1
    if abs(cs) > ab:
        ct = -tb / cs
        sn1 = 1 / math.sqrt(1 + ct * ct)
        cs1 = ct * sn1
    else:
        tn = -cs / tb
        cs1 = 1 / math.sqrt(1 + tn * tn)
        sn1 = tn * cs1
    if sgn1 == sgn2:
        cs1, sn1 = -sn1, cs1
    if rt2 < rt1:  # eigh sorts ascending (rt2 first), flip puts rt1 first
        return (cs1, sn1), (-sn1, cs1)
    return (-sn1, cs1), (cs1, sn1)


def _slapy2(ops, a, b):
    """LAPACK's ``slapy2`` in float32: :math:`\\sqrt{a^2 + b^2}` without overflow."""
    f32 = ops.f32
    xa, ya = ops.abs(a), ops.abs(b)
    w, z = ops.maximum(xa, ya), ops.minimum(xa, ya)
    q = f32(z / ops.where(w == 0, 1.0, w))
    return ops.where(z == 0, w, f32(w * f32(ops.sqrt(f32(1.0 + f32(q * q))))))


def qr_float32(ops, a11, a21):
    """The Q of ``torch.linalg.qr`` of a float32 2x2 matrix whose first column is
    ``(a11, a21)`` (float32 numbers), as ``(q1, q2)`` (its columns): one Householder
    reflection, as LAPACK's ``sgeqrf``/``sorgqr`` compute it in float32 (bit for bit
    with torch 2.13's MKL on 20,000 random matrices). The second column does not
    enter: in two dimensions the reflection is set by the first."""
    f32 = ops.f32
    zero = a21 == 0  # nothing to reflect: Q = I
    beta = -ops.where(a11 >= 0, 1.0, -1.0) * _slapy2(ops, a11, a21)  # -sign(alpha) |(alpha, x)|
    beta = ops.where(zero, 1.0, beta)
    tau = ops.where(zero, 0.0, f32(f32(beta - a11) / beta))
    v2 = ops.where(zero, 0.0, f32(a21 / ops.where(zero, 1.0, f32(a11 - beta))))
    t = f32(-tau * v2)
    return (f32(1 - tau), t), (t, f32(1.0 + f32(v2 * t)))


def dot2_float32(ops, a, b, c, d):
    """``a*b + c*d`` as a float32 matrix product computes it (each product and the sum
    rounded: torch 2.13's 2x2 float32 ``matmul``, checked bit for bit)."""
    f32 = ops.f32
    return f32(f32(a * b) + f32(c * d))


class SOAPState(NamedTuple):
    count: int
    m: tuple
    v: tuple
    gg: tuple
    gg_xy: float
    q1: tuple
    q2: tuple


@_documented(r"""
\begin{aligned}
L_t &= \beta_s L_{t-1} + (1-\beta_s)\, g_t g_t^\top \quad(2\times 2),\qquad
Q = [q_1\ q_2] \text{ its eigenbasis, refreshed every } k \text{ steps}\\
g'_t &= Q^\top g_t,\qquad m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g'_t,\qquad
v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t'^{\,2}\\
\theta_t &= \theta_{t-1} - \eta\,\tfrac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\; Q\,\bigl(m_t / (\sqrt{v_t} + \epsilon)\bigr),
\qquad \text{then } \theta_t \leftarrow \theta_t\,(1 - \eta\lambda)
\end{aligned}
""")
def soap(ops, *, lr, beta1, beta2, shampoo_beta, eps, weight_decay, precondition_frequency,
         normalize_grads, correct_bias):
    """SOAP (Vyas et al., 2024, "SOAP: Improving and Stabilizing Shampoo using Adam"),
    as its authors' ``soap.py`` with ``precondition_1d=True``: Adam in the eigenbasis
    of a running average :math:`L` of the gradient's outer product.

    On a 1-D parameter the authors' SOAP keeps no preconditioner unless
    ``precondition_1d`` is set (it is plain Adam then, after a first step that only
    measures); with it, a 2-vector gets the :math:`2\\times 2` matrix :math:`L` and
    its eigenvectors :math:`Q`. Adam runs on the rotated gradient :math:`Q^\\top g`,
    so its per-coordinate scaling acts along the directions the gradients vary in:
    the answer to a rotated valley that Adam's axes cannot give.

    As the reference runs: the first step only records :math:`L_1` and its
    eigenbasis (by ``eigh``, of :math:`L` rounded to float32); :math:`Q` is then
    refreshed every :math:`k` steps (``precondition_frequency``) by one power
    iteration and a QR decomposition *in float32*, re-sorting the eigen-directions
    (and :math:`v` with them) by their estimated eigenvalues; :math:`m` is kept in
    the current basis (carried over when it changes), :math:`v` is not. The float32
    arithmetic is the authors' cast (``m.data.float()``), emulated here operation by
    operation (:func:`qr_float32`). The decoupled weight decay comes after the step,
    as in their code; ``shampoo_beta`` below 0 uses :math:`\\beta_2` for :math:`L`.
    """

    sb = ops.where(shampoo_beta >= 0, shampoo_beta, beta2) if not isinstance(shampoo_beta, (int, float)) \
        else (shampoo_beta if shampoo_beta >= 0 else beta2)
    w = 1 - sb  # GG.lerp_(g g^T, 1 - shampoo_beta)
    small = _lerp_form(w)
    one_m_b1, one_m_b2 = 1.0 - beta1, 1.0 - beta2
    decays = not _is_zero(weight_decay)  # `if weight_decay > 0`
    f32 = ops.f32
    explain = ops.explain

    def init(p, lr0):
        x, y = p
        zero = x * 0.0
        return SOAPState(0, (zero, zero), (zero, zero), (zero, zero), zero, (zero + 1.0, zero), (zero, zero + 1.0))

    def first_basis(a, b, c):
        """eigh of L rounded to float32, plus 1e-30 I (in float64), flipped; per run
        in a batch (it is the first step only)."""
        a, b, c = f32(a) + 1e-30, f32(b), f32(c) + 1e-30
        if isinstance(a, float):
            return eigenbasis(a, b, c)
        q1x, q1y, q2x, q2y = (a * 0.0 for _ in range(4))
        for i, abc in enumerate(zip(a.tolist(), b.tolist(), c.tolist())):
            (q1x[i], q1y[i]), (q2x[i], q2y[i]) = eigenbasis(*abc)
        return (q1x, q1y), (q2x, q2y)

    def update(p, g, h, s, lr):
        (x, y), (gx, gy) = p, g
        count, (mx, my), (vx, vy), (lxx, lyy), lxy, (q1x, q1y), (q2x, q2y) = s
        t = count + 1
        first = t == 1
        if first:  # state['GG'] from g g^T and Q from eigh; no step
            lxx, lxy, lyy = (_lerp(ops, lxx, gx * gx, w, small), _lerp(ops, lxy, gx * gy, w, small),
                             _lerp(ops, lyy, gy * gy, w, small))
            q1, q2 = first_basis(lxx, lxy, lyy)
            if explain:
                L = (lxx, lyy)
            return p, (t, (mx, my), (vx, vy), (lxx, lyy), lxy, q1, q2), (0.0 * gx, 0.0 * gy)
        step = t - 1  # state["step"]: Adam steps taken
        gpx, gpy = gx * q1x + gy * q1y, gx * q2x + gy * q2y  # project: Q^T g
        mx, my = mx * beta1 + one_m_b1 * gpx, my * beta1 + one_m_b1 * gpy
        vx, vy = vx * beta2 + one_m_b2 * (gpx * gpx), vy * beta2 + one_m_b2 * (gpy * gpy)
        if explain:
            g_rot, m = (gpx, gpy), (mx, my)
        dx, dy = ops.sqrt(vx) + eps, ops.sqrt(vy) + eps
        step_size = lr
        if correct_bias:
            bc1, bc2 = 1.0 - beta1**step, 1.0 - beta2**step
            step_size = step_size * (bc2**0.5) / bc1
        ux, uy = mx / dx, my / dy
        nx, ny = ux * q1x + uy * q2x, ux * q1y + uy * q2y  # project back: Q u
        if normalize_grads:
            rms = 1e-30 + ops.sqrt((nx * nx + ny * ny) / 2)  # torch.mean(n**2)**0.5
            nx, ny = nx / rms, ny / rms
        x, y = x + -step_size * nx, y + -step_size * ny
        if explain:
            theta_stepped = (x, y)
        if decays:
            shrink = -lr * weight_decay
            x, y = x + shrink * x, y + shrink * y  # p.add_(p, alpha=-lr * weight_decay)
        # update_preconditioner: m back to the original space, L, perhaps a new basis, m into it
        mx, my = mx * q1x + my * q2x, mx * q1y + my * q2y
        lxx, lxy, lyy = (_lerp(ops, lxx, gx * gx, w, small), _lerp(ops, lxy, gx * gy, w, small),
                         _lerp(ops, lyy, gy * gy, w, small))
        refresh = step % precondition_frequency == 0
        if refresh is not False:
            q1x, q1y, q2x, q2y, vx, vy = _refresh(ops, refresh, lxx, lxy, lyy, q1x, q1y, q2x, q2y, vx, vy)
        mx, my = mx * q1x + my * q1y, mx * q2x + my * q2y
        lr_eff = (ops.div0(step_size * nx, gx), ops.div0(step_size * ny, gy)) if ops.lr_eff else None
        if explain:
            v, u, L, Q1, Q2 = (vx, vy), (nx, ny), (lxx, lyy), (q1x, q1y), (q2x, q2y)
        return (x, y), (t, (mx, my), (vx, vy), (lxx, lyy), lxy, (q1x, q1y), (q2x, q2y)), lr_eff

    return Rule(init, update)


def _refresh(ops, refresh, lxx, lxy, lyy, q1x, q1y, q2x, q2y, vx, vy):
    """The authors' ``get_orthogonal_matrix_QR`` on a 2-vector, in float32: sort the
    basis by its estimated eigenvalues :math:`\\operatorname{diag}(Q^\\top L Q)`
    (largest first, ``v`` with it), one power iteration :math:`LQ`, and its QR's
    :math:`Q`; where ``refresh`` is false (a batch), the basis stays."""
    f32 = ops.f32
    a, b, c = f32(lxx), f32(lxy), f32(lyy)
    o11, o21, o12, o22 = f32(q1x), f32(q1y), f32(q2x), f32(q2y)  # o = [q1 q2]
    # est = diag((o^T @ m) @ o)
    t11, t12 = dot2_float32(ops, o11, a, o21, b), dot2_float32(ops, o11, b, o21, c)
    t21, t22 = dot2_float32(ops, o12, a, o22, b), dot2_float32(ops, o12, b, o22, c)
    est1, est2 = dot2_float32(ops, t11, o11, t12, o21), dot2_float32(ops, t21, o12, t22, o22)
    swap = est2 > est1  # argsort(descending) keeps the order on a tie
    o11, o12 = ops.where(swap, o12, o11), ops.where(swap, o11, o12)
    o21, o22 = ops.where(swap, o22, o21), ops.where(swap, o21, o22)
    vx, vy = ops.where(swap & refresh, vy, vx), ops.where(swap & refresh, vx, vy)
    p11, p21 = dot2_float32(ops, a, o11, b, o21), dot2_float32(ops, b, o11, c, o21)  # first column of m @ o
    (n1x, n1y), (n2x, n2y) = qr_float32(ops, p11, p21)
    if refresh is True:
        return n1x, n1y, n2x, n2y, vx, vy
    return (ops.where(refresh, n1x, q1x), ops.where(refresh, n1y, q1y), ops.where(refresh, n2x, q2x),
            ops.where(refresh, n2y, q2y), vx, vy)


SOAP_LINES = (
    RAW_GRADIENT,
    Line(lhs="(L_{xx}, L_{yy})_1", formula=r"(1-\beta_s)\, g_1 \odot g_1\ \ (t = 1\text{: no step})",
         numbers="{L}", value="L", when="first"),
    Line(lhs=r"(L_{xy})_1", formula=r"(1-\beta_s)\, g_{1,x} g_{1,y}", numbers="{gg_xy@out}",
         value="gg_xy@out", when="first"),
    Line(lhs="q_1", formula=r"\text{the eigenvector of } L_1\text{'s larger eigenvalue}", numbers="{q1@out}",
         value="q1@out", when="first"),
    Line(lhs="q_2", formula=r"\perp q_1", numbers="{q2@out}", value="q2@out", when="first"),
    Line(lhs="m_1", formula=r"0\ \ (\text{Adam starts at the second step})", numbers="{m@out}", value="m@out",
         when="first"),
    Line(lhs="v_1", formula="0", numbers="{v@out}", value="v@out", when="first"),
    Line(lhs="g'_t", formula=r"Q^\top g_t\ \ (\text{the gradient in the eigenbasis})", numbers="{g_rot}",
         value="g_rot", when="!first"),
    Line(lhs="m_t", formula=r"\beta_1 m_{t-1} + (1-\beta_1)\, g'_t", numbers=r"{beta1}\,{m@prev} + {one_m_b1}\,{g_rot}",
         value="m", when="!first"),
    Line(lhs="v_t", formula=r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t'^{\,2}\ \ (\text{re-sorted with } Q)",
         numbers="{v}", value="v", when="!first"),
    Line(lhs="u_t", formula=r"Q\, \bigl(m_t / (\sqrt{v_t} + \epsilon)\bigr)", numbers="{u}", value="u",
         when="!first"),
    Line(lhs=r"\eta_t", formula=r"\eta\sqrt{1-\beta_2^t}/(1-\beta_1^t)", numbers="{step_size}",
         value="step_size", when=("correct_bias", "!first")),
    Line(lhs=r"\theta_t'", formula=r"\theta_{t-1} - \eta_t\, u_t", numbers=r"{p@in} - {step_size}\,{u}",
         value="theta_stepped", when=("decays", "!first")),
    Line(lhs="(L_{xx}, L_{yy})_t", formula=r"\beta_s L_{t-1} + (1-\beta_s)\, g_t g_t^\top\ \ (\text{diagonal})",
         numbers="{L}", value="L", when="!first"),
    Line(lhs=r"(L_{xy})_t", formula=r"\text{off the diagonal}", numbers="{gg_xy@out}", value="gg_xy@out",
         when="!first"),
    Line(lhs="q_1", formula=r"\text{the basis (refreshed every } k \text{ steps, in float32)}", numbers="{Q1}",
         value="Q1", when="!first"),
    Line(lhs="q_2", formula=r"\perp q_1", numbers="{Q2}", value="Q2", when="!first"),
    Line(lhs=r"m_t \text{ kept}", formula=r"\text{in the basis of the next step}", numbers="{m@out}",
         value="m@out", when="!first"),
    _theta(r"\theta_{t-1} \quad (\text{the first step only measures})", "{p@in}", when="first"),
    _theta(r"\theta_t'\,(1 - \eta\lambda)", r"{theta_stepped} + {shrink}\,{theta_stepped}",
           when=("decays", "!first")),
    _theta(r"\theta_{t-1} - \eta_t\, u_t", r"{p@in} - {step_size}\,{u}", when=("!decays", "!first")),
)
