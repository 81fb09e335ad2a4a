"""The readout: each run's update rule at the paused step, with its numbers.

:func:`readout_children` renders, for the state's frame, every run's rule as MathJax
(each line ``lhs = symbols = numbers = result``), and :func:`frame_numbers` gives the
numbers of one step. The numbers come from the trajectory the engine recorded.
"""

from __future__ import annotations

import math

import numpy as np
from dash import dcc, html

from descent_lab import optimizers
from descent_lab.optimizers.diagnostics import (
    descent_angle,
    rescaled_direction,
    sharpness,
    velocity_direction,
)

from ..core import engine, theme
from ..core.labels import run_label


def frame_numbers(traj, k: int, surface=None) -> dict | None:
    """Everything about update ``k`` (applied at ``xy[k]``), or None past the last one.

    Vectors are ``(x, y)`` tuples of floats. ``velocity`` is None for an optimizer
    without momentum; ``sharpness`` needs ``surface``.
    """
    n = traj.steps
    if not 0 <= k < n:
        return None
    spec = optimizers.REGISTRY[traj.key]
    vel = velocity_direction(traj, spec.velocity)
    step = traj.xy[k + 1] - traj.xy[k]
    numbers = {
        "k": k,
        "t": k + 1,
        "theta": tuple(map(float, traj.xy[k])),
        "theta_next": tuple(map(float, traj.xy[k + 1])),
        "grad": tuple(map(float, traj.grad_used[k])),
        "grad_exact": tuple(map(float, traj.grad[k])),
        "lr": float(traj.lr[k]),
        "lr_eff": tuple(map(float, traj.lr_eff[k])),
        "rescaled": tuple(map(float, rescaled_direction(traj)[k])),
        "velocity": None if vel is None else tuple(map(float, vel[k])),
        "step": tuple(map(float, step)),
        "angle": float(descent_angle(step[None], traj.grad_used[k][None])[0]),
        "state": {name: tuple(map(float, arr[k])) for name, arr in traj.state.items()},
        "state_prev": {name: (tuple(map(float, arr[k - 1])) if k else None) for name, arr in traj.state.items()},
    }
    if surface is not None:
        with np.errstate(all="ignore"):
            numbers["sharpness"] = float(sharpness(traj, surface)[k])
    return numbers


def num(value: float) -> str:
    """A number for LaTeX: 4 significant digits, powers of ten as ``\\times 10^{n}``."""
    value = float(value)
    if math.isnan(value):
        return r"\text{NaN}"
    if math.isinf(value):
        return r"\infty" if value > 0 else r"-\infty"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        text = f"{value:.4g}"
        return text
    mantissa, exponent = f"{value:.3e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return rf"{mantissa}\times 10^{{{int(exponent)}}}"


def vec(pair) -> str:
    return rf"\left({num(pair[0])},\ {num(pair[1])}\right)"


def _times(a, b):
    return (a[0] * b[0], a[1] * b[1])


def rule_lines(traj, k: int, hparams: dict) -> list[dict] | None:
    """The update rule of ``traj``'s optimizer at update ``k`` with its numbers.

    Each line is ``{"lhs", "symbolic", "numeric", "value"}``: LaTeX of the left
    side, the right side in symbols, the right side with numbers, and ``value`` (the
    vector it evaluates to, from the trajectory). The tests check every ``value``
    against the trajectory and every numeric right side against its value.
    """
    nb = frame_numbers(traj, k)
    if nb is None:
        return None
    key = traj.key
    h = dict(hparams)
    lr = nb["lr"]
    g_raw, theta, nxt = nb["grad"], nb["theta"], nb["theta_next"]
    state, prev = nb["state"], nb["state_prev"]
    wd = float(h.get("weight_decay", 0.0) or 0.0)
    decoupled = key == "adamw"
    lines = []

    def line(lhs, symbolic, numeric, value):
        lines.append({"lhs": lhs, "symbolic": symbolic, "numeric": numeric,
                      "value": None if value is None else (float(value[0]), float(value[1]))})

    g = g_raw
    if wd and not decoupled and key not in ("rprop", "newton", "lion"):
        g = (g_raw[0] + wd * theta[0], g_raw[1] + wd * theta[1])
        line("g_t", r"\nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}",
             rf"{vec(g_raw)} + {num(wd)}\,{vec(theta)}", g)
    else:
        line("g_t", r"\nabla f(\theta_{t-1})", vec(g_raw), g_raw)
    step_line = None
    if key == "gd":
        step_line = (r"\theta_{t-1} - \eta\, g_t", rf"{vec(theta)} - {num(lr)}\,{vec(g)}")
    elif key in ("momentum", "nesterov"):
        mu = float(h["momentum"])
        tau = float(h.get("dampening", 0.0))
        b = state["buf"]
        if prev["buf"] is None:
            line("b_t", r"g_t \quad (t = 1)", vec(g), b)
        else:
            line("b_t", r"\mu\, b_{t-1} + (1-\tau)\, g_t",
                 rf"{num(mu)}\,{vec(prev['buf'])} + {num(1 - tau)}\,{vec(g)}", b)
        if key == "nesterov":
            step_line = (r"\theta_{t-1} - \eta\,(g_t + \mu\, b_t)",
                         rf"{vec(theta)} - {num(lr)}\,\bigl({vec(g)} + {num(mu)}\,{vec(b)}\bigr)")
        else:
            step_line = (r"\theta_{t-1} - \eta\, b_t", rf"{vec(theta)} - {num(lr)}\,{vec(b)}")
    elif key == "adagrad":
        s_prev = prev["sum"] or (float(h.get("initial_accumulator_value", 0.0)),) * 2
        line("s_t", r"s_{t-1} + g_t^2", rf"{vec(s_prev)} + {vec(_times(g, g))}", state["sum"])
        line(r"\tilde\eta_t / (\sqrt{s_t} + \epsilon)", r"\eta_{\text{eff}}", vec(nb["lr_eff"]), nb["lr_eff"])
        step_line = (r"\theta_{t-1} - \eta_{\text{eff}} \odot g_t",
                     rf"{vec(theta)} - {vec(nb['lr_eff'])} \odot {vec(g)}")
    elif key == "rmsprop":
        alpha, mu = float(h["alpha"]), float(h["momentum"])
        v_prev = prev["v"] or (0.0, 0.0)
        line("v_t", r"\alpha\, v_{t-1} + (1-\alpha)\, g_t^2",
             rf"{num(alpha)}\,{vec(v_prev)} + {num(1 - alpha)}\,{vec(_times(g, g))}", state["v"])
        lhs_eff = r"\eta / (\sqrt{\tilde v_t} + \epsilon)" if h.get("centered") else r"\eta / (\sqrt{v_t} + \epsilon)"
        line(lhs_eff, r"\eta_{\text{eff}}", vec(nb["lr_eff"]), nb["lr_eff"])
        if mu:
            b_prev = prev["buf"] or (0.0, 0.0)
            inv = _times(nb["lr_eff"], (1 / lr, 1 / lr))
            line("b_t", r"\mu\, b_{t-1} + g_t / (\sqrt{v_t} + \epsilon)",
                 rf"{num(mu)}\,{vec(b_prev)} + {vec(_times(g, inv))}", state["buf"])
            step_line = (r"\theta_{t-1} - \eta\, b_t", rf"{vec(theta)} - {num(lr)}\,{vec(state['buf'])}")
        else:
            step_line = (r"\theta_{t-1} - \eta_{\text{eff}} \odot g_t",
                         rf"{vec(theta)} - {vec(nb['lr_eff'])} \odot {vec(g)}")
    elif key == "adadelta":
        rho = float(h["rho"])
        v_prev = prev["v"] or (0.0, 0.0)
        line("v_t", r"\rho\, v_{t-1} + (1-\rho)\, g_t^2",
             rf"{num(rho)}\,{vec(v_prev)} + {num(1 - rho)}\,{vec(_times(g, g))}", state["v"])
        delta = _times(nb["lr_eff"], (g[0] / lr, g[1] / lr))
        line(r"\Delta_t", r"\frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t",
             rf"{vec(_times(nb['lr_eff'], (1 / lr, 1 / lr)))} \odot {vec(g)}", delta)
        u_prev = prev["u"] or (0.0, 0.0)
        line("u_t", r"\rho\, u_{t-1} + (1-\rho)\, \Delta_t^2",
             rf"{num(rho)}\,{vec(u_prev)} + {num(1 - rho)}\,{vec(_times(delta, delta))}", state["u"])
        step_line = (r"\theta_{t-1} - \eta\, \Delta_t", rf"{vec(theta)} - {num(lr)}\,{vec(delta)}")
    elif key in ("adam", "adamw", "amsgrad"):
        b1, b2 = float(h["beta1"]), float(h["beta2"])
        t = nb["t"]
        m_prev, v_prev = prev["m"] or (0.0, 0.0), prev["v"] or (0.0, 0.0)
        if decoupled and wd:
            decayed = (theta[0] * (1 - lr * wd), theta[1] * (1 - lr * wd))
            line(r"\theta_{t-1}'", r"\theta_{t-1}\,(1 - \eta\lambda)", rf"{vec(theta)}\,(1 - {num(lr * wd)})", decayed)
            theta_used, theta_name = decayed, r"\theta_{t-1}'"
        else:
            theta_used, theta_name = theta, r"\theta_{t-1}"
        line("m_t", r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t",
             rf"{num(b1)}\,{vec(m_prev)} + {num(1 - b1)}\,{vec(g)}", state["m"])
        line("v_t", r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t^2",
             rf"{num(b2)}\,{vec(v_prev)} + {num(1 - b2)}\,{vec(_times(g, g))}", state["v"])
        if key == "amsgrad":
            vm_prev = prev["v_max"] or (0.0, 0.0)
            line(r"v_t^{\max}", r"\max(v_{t-1}^{\max}, v_t)", rf"\max\bigl({vec(vm_prev)}, {vec(state['v'])}\bigr)",
                 state["v_max"])
        bc1 = 1 - b1**t
        m_hat = (state["m"][0] / bc1, state["m"][1] / bc1)
        line(r"\hat m_t", r"m_t / (1-\beta_1^t)", rf"{vec(state['m'])} / {num(bc1)}", m_hat)
        v_name = r"\hat v_t^{\max}" if key == "amsgrad" else r"\hat v_t"
        line(rf"\eta / (\sqrt{{{v_name}}} + \epsilon)", r"\eta_{\text{eff}}", vec(nb["lr_eff"]), nb["lr_eff"])
        step_line = (rf"{theta_name} - \eta_{{\text{{eff}}}} \odot \hat m_t",
                     rf"{vec(theta_used)} - {vec(nb['lr_eff'])} \odot {vec(m_hat)}")
    elif key in _RULE_BRANCHES:
        step_line = _RULE_BRANCHES[key](line, dict(nb, lr0=float(traj.lr[0])), h, g)
    if step_line is None:  # the other rules: the state after the step, then the step
        for name, value in state.items():
            if name in ("mu_product",):
                continue
            line(_state_symbol(name), "", vec(value), value)
        line(r"\eta_{\text{eff}}", "", vec(nb["lr_eff"]), nb["lr_eff"])
        step_line = (r"\theta_{t-1} + \Delta\theta_t", rf"{vec(theta)} + {vec(nb['step'])}")
    line(r"\theta_t", step_line[0], step_line[1], nxt)
    return lines


def _pair(fn, a, b=None):
    """Elementwise ``fn`` over one or two coordinate pairs."""
    if b is None:
        return (fn(a[0]), fn(a[1]))
    return (fn(a[0], b[0]), fn(a[1], b[1]))


def _sign(value: float) -> float:
    return float(np.sign(value))


def _lerp_line(line, name, beta, prev_value, g, value, beta_sym=r"\beta_1", square=False):
    """``name = beta name_{t-1} + (1-beta) g_t`` (or ``g_t^2``)."""
    gg = _times(g, g) if square else g
    sym_g = "g_t^2" if square else "g_t"
    base = name.split("_")[0]
    line(f"{base}_t", rf"{beta_sym} {base}_{{t-1}} + (1-{beta_sym})\, {sym_g}",
         rf"{num(beta)}\,{vec(prev_value)} + {num(1 - beta)}\,{vec(gg)}", value)


def _nadam_lines(line, nb, h, g):
    """NAdam (torch): the mu_t schedule, its product, then the two-part step."""
    b1, b2, eps, psi = float(h["beta1"]), float(h["beta2"]), float(h["eps"]), float(h["momentum_decay"])
    t, lr, theta = nb["t"], nb["lr"], nb["theta"]
    state, prev = nb["state"], nb["state_prev"]
    mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
    mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
    line(r"\bigl(\mu_t,\ \mu_{t+1}\bigr)",
         r"\beta_1\bigl(1 - \tfrac12\, 0.96^{\,t\psi}\bigr),\ \beta_1\bigl(1 - \tfrac12\, 0.96^{\,(t+1)\psi}\bigr)",
         rf"{num(b1)}\bigl(1 - \tfrac12\, 0.96^{{{num(t * psi)}}}\bigr),\ "
         rf"{num(b1)}\bigl(1 - \tfrac12\, 0.96^{{{num((t + 1) * psi)}}}\bigr)", (mu, mu_next))
    pi_prev = prev["mu_product"] or (1.0, 1.0)
    pi = state["mu_product"]
    line(r"\Pi_t", r"\Pi_{t-1}\, \mu_t", rf"{vec(pi_prev)}\cdot {num(mu)}", pi)
    m, v = state["m"], state["v"]
    _lerp_line(line, "m", b1, prev["m"] or (0.0, 0.0), g, m)
    _lerp_line(line, "v", b2, prev["v"] or (0.0, 0.0), g, v, r"\beta_2", square=True)
    bc2 = 1.0 - b2**t
    denom = _pair(lambda x: math.sqrt(x / bc2) + eps, v)
    line(r"d_t", r"\sqrt{v_t/(1-\beta_2^t)} + \epsilon",
         rf"\sqrt{{{vec(v)} / {num(bc2)}}} + {num(eps)}", denom)
    c_g = _pair(lambda p: lr * (1.0 - mu) / (1.0 - p), pi)
    c_m = _pair(lambda p: lr * mu_next / (1.0 - p * mu_next), pi)
    grad_part = _pair(lambda c, x: c * x, c_g, _pair(lambda a, b: a / b, g, denom))
    mom_part = _pair(lambda c, x: c * x, c_m, _pair(lambda a, b: a / b, m, denom))
    line(r"\eta\,\frac{1-\mu_t}{1-\Pi_t}\, \frac{g_t}{d_t}", "",
         rf"{num(lr)}\,\frac{{1-{num(mu)}}}{{1-{num(pi[0])}}}\; {vec(g)} \oslash {vec(denom)}", grad_part)
    line(r"\eta\,\frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}}\, \frac{m_t}{d_t}", "",
         rf"{num(lr)}\,\frac{{{num(mu_next)}}}{{1-{num(pi[0])}\cdot {num(mu_next)}}}\; {vec(m)} \oslash {vec(denom)}",
         mom_part)
    return (r"\theta_{t-1} - \eta\,\frac{1-\mu_t}{1-\Pi_t}\, \frac{g_t}{d_t}"
            r" - \eta\,\frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}}\, \frac{m_t}{d_t}",
            rf"{vec(theta)} - {vec(grad_part)} - {vec(mom_part)}")


def _radam_lines(line, nb, h, g):
    """RAdam (torch): moments, rho_inf and rho_t, then the rectified or the plain step."""
    b1, b2, eps = float(h["beta1"]), float(h["beta2"]), float(h["eps"])
    t, lr, theta = nb["t"], nb["lr"], nb["theta"]
    state, prev = nb["state"], nb["state_prev"]
    m, v = state["m"], state["v"]
    _lerp_line(line, "m", b1, prev["m"] or (0.0, 0.0), g, m)
    _lerp_line(line, "v", b2, prev["v"] or (0.0, 0.0), g, v, r"\beta_2", square=True)
    bc1, bc2 = 1.0 - b1**t, 1.0 - b2**t
    m_hat = (m[0] / bc1, m[1] / bc1)
    line(r"\hat m_t", r"m_t / (1-\beta_1^t)", rf"{vec(m)} / {num(bc1)}", m_hat)
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho_t = rho_inf - 2.0 * t * b2**t / bc2
    line(r"\bigl(\rho_\infty,\ \rho_t\bigr)",
         r"\tfrac{2}{1-\beta_2} - 1,\ \rho_\infty - 2t\,\beta_2^t/(1-\beta_2^t)",
         rf"\tfrac{{2}}{{{num(1 - b2)}}} - 1,\ {num(rho_inf)} - 2\cdot {t}\cdot {num(b2**t)}/{num(bc2)}",
         (rho_inf, rho_t))
    if rho_t > 5.0:
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        sq = math.sqrt(bc2)
        line(r"\bigl(r_t,\ \sqrt{1-\beta_2^t}\bigr)",
             r"\sqrt{\tfrac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}},\ "
             r"\sqrt{1-\beta_2^t}",
             rf"\sqrt{{\tfrac{{({num(rho_t)}-4)({num(rho_t)}-2)\cdot {num(rho_inf)}}}"
             rf"{{({num(rho_inf)}-4)({num(rho_inf)}-2)\cdot {num(rho_t)}}}}},\ \sqrt{{{num(bc2)}}}",
             (rect, sq))
        eff = _pair(lambda x: lr * (sq / (math.sqrt(x) + eps)) * rect, v)
        line(r"\eta_{\text{eff}}\ \ (\rho_t > 5\text{: rectified})",
             r"\eta\, r_t\sqrt{1-\beta_2^t}\,/\,(\sqrt{v_t} + \epsilon)",
             rf"{num(lr)}\cdot {num(rect)}\cdot {num(sq)}\,/\,\bigl(\sqrt{{{vec(v)}}} + {num(eps)}\bigr)", eff)
    else:
        eff = (lr, lr)
        line(r"\eta_{\text{eff}}\ \ (\rho_t \le 5\text{: plain momentum})", r"\eta", num(lr), eff)
    return (r"\theta_{t-1} - \eta_{\text{eff}} \odot \hat m_t",
            rf"{vec(theta)} - {vec(eff)} \odot {vec(m_hat)}")


def _adamax_lines(line, nb, h, g):
    """Adamax (torch): m_t, the infinity norm u_t, then lr/(1-beta1^t) m_t/u_t."""
    b1, b2, eps = float(h["beta1"]), float(h["beta2"]), float(h["eps"])
    t, lr, theta = nb["t"], nb["lr"], nb["theta"]
    state, prev = nb["state"], nb["state_prev"]
    m, u = state["m"], state["u"]
    _lerp_line(line, "m", b1, prev["m"] or (0.0, 0.0), g, m)
    u_prev = prev["u"] or (0.0, 0.0)
    line("u_t", r"\max\bigl(\beta_2\, u_{t-1},\ |g_t| + \epsilon\bigr)",
         rf"\max\bigl({num(b2)}\,{vec(u_prev)},\ {vec(_pair(abs, g))} + {num(eps)}\bigr)", u)
    bc1 = 1.0 - b1**t
    clr = lr / bc1
    line(r"\eta / (1-\beta_1^t)", "", rf"{num(lr)} / {num(bc1)}", (clr, clr))
    return (r"\theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, m_t \oslash u_t",
            rf"{vec(theta)} - {num(clr)}\,{vec(m)} \oslash {vec(u)}")


def _rprop_lines(line, nb, h, g):
    """Rprop (torch, iRprop-): sign test, step-size factor, clip, zeroed gradient, sign step."""
    eta_minus, eta_plus = float(h["etaminus"]), float(h["etaplus"])
    lo, hi = float(h["step_size_min"]), float(h["step_size_max"])
    theta, state, prev = nb["theta"], nb["state"], nb["state_prev"]
    g_prev = prev["prev"] or (0.0, 0.0)
    size_prev = prev["step_size"] or (nb["lr0"],) * 2
    flip = _pair(lambda a, b: _sign(a * b), g, g_prev)
    line(r"\operatorname{sign}(g_t\, g_{t-1})", "",
         rf"\operatorname{{sign}}\bigl({vec(g)} \odot {vec(g_prev)}\bigr)", flip)
    factor = _pair(lambda f: eta_plus if f > 0 else (eta_minus if f < 0 else 1.0), flip)
    line(r"\phi_t", r"\eta^+,\ \eta^-,\ 1 \text{ for sign } {+},\ {-},\ 0", vec(factor), factor)
    line(r"\eta_t", r"\operatorname{clip}\bigl(\eta_{t-1}\,\phi_t,\ \Gamma_{\min},\ \Gamma_{\max}\bigr)",
         rf"\operatorname{{clip}}\bigl({vec(size_prev)} \odot {vec(factor)},\ {num(lo)},\ {num(hi)}\bigr)",
         state["step_size"])
    keep = _pair(lambda f: 0.0 if f < 0 else 1.0, flip)
    line(r"g_t'", r"g_t \text{ with } 0 \text{ where } g_t g_{t-1} < 0", rf"{vec(g)} \odot {vec(keep)}",
         state["prev"])
    direction = _pair(_sign, state["prev"])
    return (r"\theta_{t-1} - \operatorname{sign}(g_t') \odot \eta_t",
            rf"{vec(theta)} - {vec(direction)} \odot {vec(state['step_size'])}")


def _lion_lines(line, nb, h, g):
    """Lion (Chen et al. 2023): c_t, the slow momentum m_t, the sign step with decoupled decay."""
    b1, b2 = float(h["beta1"]), float(h["beta2"])
    wd = float(h.get("weight_decay", 0.0) or 0.0)
    lr, theta, state, prev = nb["lr"], nb["theta"], nb["state"], nb["state_prev"]
    m_prev = prev["m"] or (0.0, 0.0)
    c = _pair(lambda a, b: b1 * a + (1.0 - b1) * b, m_prev, g)
    line("c_t", r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t", rf"{num(b1)}\,{vec(m_prev)} + {num(1 - b1)}\,{vec(g)}", c)
    _lerp_line(line, "m", b2, m_prev, g, state["m"], r"\beta_2")
    sign_c = _pair(_sign, c)
    if wd:
        return (r"\theta_{t-1} - \eta\,\bigl(\operatorname{sign}(c_t) + \lambda\,\theta_{t-1}\bigr)",
                rf"{vec(theta)} - {num(lr)}\,\bigl({vec(sign_c)} + {num(wd)}\,{vec(theta)}\bigr)")
    return (r"\theta_{t-1} - \eta\, \operatorname{sign}(c_t)", rf"{vec(theta)} - {num(lr)}\,{vec(sign_c)}")


def _newton_lines(line, nb, h, g):
    """Damped Newton. The trajectory does not record the Hessian, so the solved
    direction d_t = (H + lambda I)^{-1} g_t is shown as it was taken: -step / lr."""
    lr, lam, theta, step = nb["lr"], float(h.get("damping", 0.0) or 0.0), nb["theta"], nb["step"]
    d = (-step[0] / lr, -step[1] / lr)
    line("d_t", rf"\bigl(\nabla^2 f(\theta_{{t-1}}) + \lambda I\bigr)^{{-1}} g_t,\ \ \lambda = {num(lam)}",
         rf"-\Delta\theta_t / \eta = -{vec(step)} / {num(lr)}\ \ (\text{{solved in the run; the Hessian is not recorded}})",
         d)
    return (r"\theta_{t-1} - \eta\, d_t", rf"{vec(theta)} - {num(lr)}\,{vec(d)}")


_RULE_BRANCHES = {"nadam": _nadam_lines, "radam": _radam_lines, "adamax": _adamax_lines,
                  "rprop": _rprop_lines, "lion": _lion_lines, "newton": _newton_lines}


_SYMBOLS = {"m": "m_t", "v": "v_t", "u": "u_t", "buf": "b_t", "sum": "s_t", "v_max": r"v_t^{\max}",
            "prev": "g_{t-1}", "step_size": r"\eta_t", "g_avg": r"\bar g_t"}


def _state_symbol(name: str) -> str:
    return _SYMBOLS.get(name, rf"\text{{{name}}}")


def substituted_rule(traj, k: int, hparams: dict) -> str | None:
    """The rule of update ``k`` as LaTeX (``aligned``), each line
    ``lhs = symbols = numbers = result``. None past the last update."""
    lines = rule_lines(traj, k, hparams)
    if lines is None:
        return None
    rows = []
    for item in lines:
        result = vec(item["value"]) if item["value"] is not None else None
        terms = [t for t in (item["symbolic"], item["numeric"], result) if t]
        terms = [t for i, t in enumerate(terms) if t not in terms[:i]]  # no "= a = a"
        rows.append(item["lhs"] + " &= " + " = ".join(terms))
    return "\\begin{aligned}\n" + "\\\\\n".join(rows) + "\n\\end{aligned}"




def readout_children(state: dict) -> list:
    """Each run's update rule with the numbers of the state's frame, as MathJax."""
    frame = int(state.get("frame", 0))
    blocks = [html.P(["Each run's update rule with the numbers of ", html.Strong(f"step {frame}"),
                      " (pause, step or scrub to change it). g is the gradient the optimizer saw; "
                      "⊙ multiplies coordinate by coordinate."], className="hint readout-intro")]
    for i, run in enumerate(state["runs"]):
        traj = engine.trajectory(state, i)
        color, label = theme.run_color(run["id"]), run_label(run)
        head = [html.Span(theme.run_glyph(run["id"]), className="swatch", style={"color": color}),
                html.Strong(label)]
        latex = substituted_rule(traj, frame, run["hparams"]) if frame < traj.steps else None
        if latex is None:
            body = html.P(f"No update from step {frame}: the run ended at step {traj.steps} "
                          f"({traj.status.replace('_', ' ')}).", className="hint")
        else:
            head.append(html.Span(f" · update t = {frame + 1}, from step {frame} to {frame + 1}",
                                  className="readout-when"))
            body = dcc.Markdown(f"$$\n{latex}\n$$", mathjax=True, className="rule readout-rule")
        blocks.append(html.Div([html.Div(head, className="readout-head"), body], className="readout-block",
                               style={"--run-color": color}, **{"data-run": str(run["id"])}))
    return blocks
