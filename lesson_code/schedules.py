r"""Learning-rate schedules: the rate $\eta_t$ of every step $t = 0, 1, \dots$ of a run.

Each function returns a ``(steps,)`` float64 tensor, to pass as ``lr`` to `sgd_paths`.
They are the rates of ``torch.optim.lr_scheduler`` (named in each docstring) when its
``step()`` is called once after every optimiser step.
Taught in {ref}`ch-noise`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from lesson_code.checks import check_count, check_fits, check_number, check_positive


def _count(steps: int) -> int:
    steps = check_count("steps", steps, 1)
    check_fits("steps", steps, steps, what="float64 rates")
    return steps


def _steps(steps: int) -> Tensor:
    return torch.arange(_count(steps), dtype=torch.float64)


def _positive(rates: Tensor, formula: str, fix: str) -> Tensor:
    """``rates`` if every rate is above 0; a rate that underflowed to 0 in float64 is refused, naming the step."""
    if not bool(rates[-1] > 0) or not bool((rates > 0).all()):
        first = int((rates <= 0).nonzero()[0, 0])
        raise ValueError(
            f"steps must be at most {first}, got {len(rates)}: from step {first} on the rate {formula} rounds to "
            f"0.0 in float64, and a rate of 0 takes no step: use fewer steps, or {fix}"
        )
    return rates


def _fraction(name: str, value: float) -> float:
    if not 0 < check_number(name, value) < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def constant(lr: float, steps: int) -> Tensor:
    r"""$\eta_t = \eta_0$ for every step."""
    return torch.full((_count(steps),), check_positive("lr", lr), dtype=torch.float64)


def step_decay(lr: float, steps: int, *, step_size: int, gamma: float) -> Tensor:
    r"""$\eta_t = \eta_0 \, \gamma^{\lfloor t / s \rfloor}$: multiply by $\gamma$ every $s$ = ``step_size`` steps.

    ``torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma)``.
    """
    t = _steps(steps)
    s = check_count("step_size", step_size, 1)
    rates = check_positive("lr", lr) * _fraction("gamma", gamma) ** torch.div(t, s, rounding_mode="floor")
    return _positive(rates, f"{lr!r} * {gamma!r} ** (t // {s})", "a gamma closer to 1")


def exponential(lr: float, steps: int, *, gamma: float) -> Tensor:
    r"""$\eta_t = \eta_0 \, \gamma^t$: so fast a decay that $\sum_t \eta_t = \eta_0 / (1 - \gamma)$ is finite.

    ``torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)``.
    """
    rates = check_positive("lr", lr) * _fraction("gamma", gamma) ** _steps(steps)
    return _positive(rates, f"{lr!r} * {gamma!r} ** t", "a gamma closer to 1")


def inverse_time(lr: float, steps: int, *, t0: float) -> Tensor:
    r"""$\eta_t = \dfrac{\eta_0}{1 + t / t_0}$: constant for about $t_0$ steps, then falling like $1/t$.

    ``torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1 / (1 + t / t0))``.
    """
    return check_positive("lr", lr) / (1 + _steps(steps) / check_positive("t0", t0))


def cosine(lr: float, steps: int, *, lr_min: float = 0.0) -> Tensor:
    r"""$\eta_t = \eta_{\min} + (\eta_0 - \eta_{\min}) \, \frac{1 + \cos(\pi t / T)}{2}$ with $T$ = ``steps``:
    half a cosine from $\eta_0$ down towards $\eta_{\min}$ over the run.

    ``torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps, eta_min=lr_min)``.
    """
    lr = check_positive("lr", lr)
    if not 0 <= check_number("lr_min", lr_min) < lr:
        raise ValueError(f"lr_min must be a number in [0, lr) = [0, {lr}), got {lr_min!r}")
    rates = lr_min + (lr - lr_min) * (1 + torch.cos(math.pi * _steps(steps) / steps)) / 2
    return _positive(rates, f"{lr!r} * (1 + cos(pi * t / {steps})) / 2", "an lr_min above 0")
