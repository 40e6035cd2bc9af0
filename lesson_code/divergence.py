"""What a run says when it stops being finite: which number went first, and why it likely did.

A run computes, at each step, the loss, its gradient, the rule's step, and the parameters after the step;
the first of these that is not finite says most about the cause, and the learning rate is only one cause.
Taught in {ref}`ch-learning-rate`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


class DivergenceError(ValueError):
    """A training run stopped being finite. The message says what went first (the loss at the start, a gradient,
    a step, the parameters, the loss after the last step) and the likely causes, most likely first."""


def _first(value: Tensor) -> str:
    """The first entry of ``value`` that is not finite, as ``'nan'`` or ``'inf'``."""
    flat = value.detach().reshape(-1)
    return repr(float(flat[~torch.isfinite(flat)][0])) if flat.numel() else "nan"


def _where(step: int, steps: int, lr: float) -> str:
    return f"at step {step} of {steps} (lr = {lr:g})"


def loss_problem(loss: Tensor, step: int, steps: int, lr: float) -> str:
    """The message for a loss that is not finite before update ``step``."""
    value = _first(loss)
    if step == 0:
        return (
            f"the loss stopped being finite {_where(step, steps, lr)}: it is {value} at the start, before any "
            f"update, so the learning rate played no part. Likely causes: the data or params0 hold values too "
            f"large for {loss.dtype} (pass .double(), or scale them down); loss_fn is not defined at params0 "
            "(a log or a division by 0)"
        )
    return (
        f"the loss stopped being finite {_where(step, steps, lr)}: it is {value} after {step} "
        f"update{'s' if step > 1 else ''} whose "
        f"parameters were finite, but too large for the loss to be computed in {loss.dtype}. Likely causes: "
        "the learning rate is too large for this data, so every step overshoots by more than the last "
        "(try a smaller lr); the data are too large for the loss's dtype (pass .double())"
    )


def update_problem(grad: Tensor, step_taken: Tensor, rule: object, step: int, steps: int, lr: float) -> str:
    """The message for parameters that are not finite after update ``step``: the gradient, the rule's step,
    or the parameters themselves went first."""
    where = _where(step, steps, lr)
    if not math.isfinite(grad.detach().sum().item()) and not bool(torch.isfinite(grad).all()):
        return (
            f"the gradient stopped being finite {where}: it is {_first(grad)} where the loss was finite, so the "
            "learning rate is not the cause. Likely causes: loss_fn has no finite derivative at these parameters "
            "(sqrt or abs at 0, a log near 0); an overflow inside loss_fn's backward pass (pass .double())"
        )
    name = type(rule).__name__
    if not bool(torch.isfinite(step_taken).all()):
        return (
            f"the step of the update rule {name} stopped being finite {where}: it is {_first(step_taken)} for a "
            f"finite gradient. Likely causes: a 0/0 or a division by a number that rounds to 0 inside the rule, "
            f"such as an eps too small for {grad.dtype} (float32 rounds numbers below about 1e-45 to 0); "
            "a learning rate too large for the rule"
        )
    return (
        f"the parameters stopped being finite {where}: the step from a finite gradient made them overflow "
        f"{grad.dtype}. Likely causes: the learning rate is too large for this data (try a smaller lr); "
        "parameters too large for their dtype (pass .double())"
    )


def final_problem(loss: Tensor, steps: int, lr: float) -> str:
    """The message for a loss that is not finite on all the data after the last update."""
    return (
        f"the loss stopped being finite after the last step, {steps} of {steps} (lr = {lr:g}): on all the data it "
        f"is {_first(loss)} at the final parameters, which are finite but too large for the loss to be computed "
        f"in {loss.dtype}. Likely causes: the learning rate is too large for this data (try a smaller lr); "
        "the data are too large for the loss's dtype (pass .double())"
    )


def paths_problem(paths: Tensor, rates: Tensor) -> str:
    """The message for runs made at once (``paths`` of shape ``(steps + 1, runs, p)``, ``rates`` of shape
    ``(steps, 1 or runs, 1)``) whose parameters stopped being finite: the first such step, and its run."""
    bad = ~torch.isfinite(paths).all(dim=2)  # (steps + 1, runs)
    step, run = (int(i) for i in bad.nonzero()[0])  # the first step at which a run is not finite, then its run
    rate = float(rates[step - 1, min(run, rates.shape[1] - 1), 0])
    return (
        f"the parameters of run {run} stopped being finite after step {step - 1} of {len(paths) - 1} "
        f"(lr = {rate:g} at that step): they are {_first(paths[step, run])}. Likely causes: the learning rate is too "
        "large for this data, so every step overshoots by more than the last (max_stable_lr(x) gives the bound "
        "for full batches; smaller batches need less); data too large for float64"
    )
