"""Gradient descent with heavy-ball momentum.

Taught in {ref}`ch-loss-surface`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from lesson_code.checks import check_between, check_bool, check_count, check_loss_fn, check_positive
from lesson_code.training import DivergenceError, History, LossFn, _check_data


def heavy_ball(
    loss_fn: LossFn,
    params0: Tensor,
    x: Tensor,
    y: Tensor,
    *,
    lr: float,
    momentum: float,
    steps: int,
    raise_on_divergence: bool = True,
) -> History:
    r"""Full-batch gradient descent with momentum $\beta$:
    $v \leftarrow \beta v - \eta \nabla L(a)$, $a \leftarrow a + v$.

    The velocity $v$ starts at zero; with ``momentum=0`` this is `gradient_descent`.
    This is the update ``torch.optim.SGD(..., momentum=beta)`` makes, written with $v = -\eta\,b$
    for its buffer $b$.
    Taught in {ref}`ch-loss-surface`.
    """
    loss_fn = check_loss_fn(loss_fn)
    n = _check_data(params0, x, y)
    lr = check_positive("lr", lr)
    check_between("momentum", momentum, 0.0, 1.0)
    steps = check_count("steps", steps, 1)
    check_bool("raise_on_divergence", raise_on_divergence)
    everything = torch.arange(n)
    a = params0.detach().clone().requires_grad_(True)
    velocity = torch.zeros_like(params0)
    params, losses = [a.detach().clone()], []
    for step in range(steps):
        loss = loss_fn(a, x, y)
        if not math.isfinite(loss.item()):
            if raise_on_divergence:
                raise DivergenceError(
                    f"the loss stopped being finite at step {step} of {steps} (lr = {lr:g})")
            return History(torch.stack(params), torch.tensor(losses), (everything,) * step, lr, step)
        (grad,) = torch.autograd.grad(loss, a)
        with torch.no_grad():
            velocity = momentum * velocity - lr * grad
            a += velocity
        params.append(a.detach().clone())
        losses.append(loss.item())
    return History(torch.stack(params), torch.tensor(losses), (everything,) * steps, lr)
