"""How runs are named on screen: the legend text, from the spec and the settings."""

from __future__ import annotations

from descent_lab import optimizers

from .theme import fmt_value

# Short symbols for legend labels ("Adam lr=0.01 β1=0.9"); other names are shown as is.
SHORT = {
    "lr": "lr", "momentum": "μ", "beta1": "β1", "beta2": "β2", "alpha": "α", "eps": "ε",
    "rho": "ρ", "dampening": "τ", "weight_decay": "wd", "lr_decay": "lr decay",
    "momentum_decay": "ψ", "etaminus": "η−", "etaplus": "η+",
}


def hparam_label(optimizer: str, hparams: dict) -> str:
    """A legend entry naming a run by its key settings.

    The learning rate, the optimizer's first other main (non-advanced) setting,
    and every other setting that differs from its default.
    """
    spec = optimizers.REGISTRY[optimizer]
    parts = [spec.label]
    main_shown = False
    for hp in spec.hyperparams:
        if hp.name not in hparams:
            continue
        value = hparams[hp.name]
        if hp.name == "lr":
            show = True
        elif not main_shown and not hp.advanced and hp.kind != "bool":
            show, main_shown = True, True
        else:
            show = value != hp.default
        if not show:
            continue
        if hp.kind == "bool":
            if value:
                parts.append(SHORT.get(hp.name, hp.name))
            continue
        parts.append(f"{SHORT.get(hp.name, hp.name)}={fmt_value(value)}")
    return " ".join(parts)


def schedule_label(schedule: dict | None) -> str:
    """" · cosine" and the like, empty for a constant learning rate."""
    if not schedule or schedule.get("kind", "constant") == "constant":
        return ""
    return " · " + optimizers.SCHEDULES[schedule["kind"]].label


def run_label(run: dict) -> str:
    return hparam_label(run["optimizer"], run["hparams"]) + schedule_label(run.get("schedule"))
