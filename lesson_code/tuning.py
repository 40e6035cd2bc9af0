"""Choosing a learning rate from a grid: mini-batch SGD on a line at many learning rates at once.

Comparing batch sizes at one learning rate compares learning rates as much as batch sizes;
a fair comparison gives each batch size its best rate from a grid. These functions make that cheap.
Taught in {ref}`ch-sgd`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from numbers import Real

import torch
from torch import Tensor

from lesson_code.checks import (
    check_count,
    check_fits,
    check_items,
    check_regression,
    check_shape,
    check_tensor,
    describe,
)
from lesson_code.training import epoch_batches


def sgd_lr_grid(
    x: Tensor,
    y: Tensor,
    params0: Tensor,
    *,
    lrs: Sequence[float] | Tensor,
    batch_size: int,
    epochs: int,
    seed: int,
) -> Tensor:
    r"""Mini-batch SGD on $L(a) = \frac{1}{n}\lVert X a - y\rVert^2$ at every learning rate of ``lrs`` at once.

    Run $j$ takes the steps $a \leftarrow a - \eta_j \frac{2}{|B|} X_B^\top (X_B a - y_B)$ over the batches
    of `epoch_batches` (``seed``): the same batches, in the same order, as
    ``sgd(linear_mse, params0, x, y, lr=lrs[j], batch_size=batch_size, epochs=epochs, seed=seed)``.
    Everything is computed in float64. A run whose parameters stop being finite is set to NaN from there on.

    Returns:
        ``(epochs + 1, len(lrs), p)``: the parameters of every run at the start and after each epoch.
    """
    n = check_regression(x, y, params0, a_name="params0")  # float32 and float64 mix: all is computed in float64
    rates = torch.as_tensor(_check_rates("lrs", lrs), dtype=torch.float64)
    check_count("batch_size", batch_size, 1, n)
    check_count("epochs", epochs, 1)
    check_fits("epochs", epochs, (epochs + 1) * len(rates) * params0.numel(), what="float64 parameters to record")
    a = params0.double().expand(len(rates), -1)  # (runs, p): one parameter vector per learning rate
    per_epoch = -(-n // batch_size)
    rate = rates.unsqueeze(1)  # (runs, 1): each run its own rate, at every step
    steps = linear_sgd64(
        x, y, a, ((batch.unsqueeze(0), rate) for batch in epoch_batches(n, batch_size, epochs, seed=seed))
    )
    diverged = torch.zeros(len(rates), dtype=torch.bool)
    out = [a]
    for step, a in enumerate(steps, start=1):
        diverged |= ~torch.isfinite(a).all(dim=1)  # diverged: NaN from there on
        if step % per_epoch == 0:
            out.append(a.masked_fill(diverged.unsqueeze(1), float("nan")))
    return torch.stack(out)


def linear_sgd64(x: Tensor, y: Tensor, a0: Tensor, steps: Iterable[tuple[Tensor, Tensor]]) -> Iterator[Tensor]:
    r"""The loop of `sgd_lr_grid` and `sgd_paths`: mini-batch SGD on $L(a) = \frac{1}{n}\lVert X a - y\rVert^2$
    for several runs at once, in float64, with the gradient written out.

    Step $k$ of run $r$ is $a_r \leftarrow a_r - \eta_{k,r} \frac{2}{b} X_B^\top (X_B a_r - y_B)$, where $B$ is row
    $r$ of ``batch`` and $\eta_{k,r}$ row $r$ of ``rate`` in the $k$-th item ``(batch, rate)`` of ``steps``:
    ``batch`` is a ``(runs, b)`` (or ``(1, b)``, the same batch for every run) tensor of example indices,
    ``rate`` is ``(runs, 1)`` or ``(1, 1)``.
    ``a0`` is ``(runs, p)``. Yields the parameters ``(runs, p)`` after each step. The arguments are not checked:
    the two functions that call it check theirs.
    """
    x, y, a = x.double(), y.double(), a0.double()
    for batch, rate in steps:
        xb = x[batch].expand(len(a), -1, -1)  # (runs, b, p)
        residual = (xb @ a.unsqueeze(2)).squeeze(2) - y[batch]  # (runs, b)
        a = a - rate * (2.0 / batch.shape[1]) * (xb.transpose(1, 2) @ residual.unsqueeze(2)).squeeze(2)
        yield a


def _check_rates(name: str, value: object) -> list[float]:
    """``value`` as a list of floats if it is a non-empty sequence (or vector) of finite numbers above 0."""
    items = check_items(name, value, "a list of learning rates, such as [0.01, 0.1]")
    if not items:
        raise ValueError(f"{name} must hold at least one learning rate, got {describe(value)}")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, Real):
            raise TypeError(f"{name} must hold numbers, got {describe(item)} in {describe(value)}")
        if not (0 < float(item) < math.inf):
            raise ValueError(f"{name} must hold finite learning rates above 0, got {item!r} in {describe(value)}")
    return [float(item) for item in items]


def excess_loss(x: Tensor, y: Tensor, params: Tensor) -> Tensor:
    r"""How far above the least-squares loss each parameter vector is, in float64:
    $L(a) - L(a^\star) = (a - a^\star)^\top \tfrac{1}{n} X^\top X \, (a - a^\star)$.

    The identity holds exactly for a quadratic loss, and this form never subtracts two nearly equal
    losses, so small excesses keep all their digits. ``params`` is ``(..., p)``; the result is ``(...)``,
    with ``inf`` where the parameters are not finite (a run that diverged).
    """
    check_tensor("x", x, ndim=2, nonempty=True)
    check_tensor("y", y)
    check_shape("y", y, (x.shape[0],), f" to match x of shape {tuple(x.shape)}")
    check_tensor("params", params, finite=False)  # a run that diverged has an infinite excess
    if params.shape[-1:] != x.shape[1:]:
        raise ValueError(
            f"params must have shape (..., {x.shape[1]}): for x (n, p) = {tuple(x.shape)}, "
            f"params (..., p), got shape {tuple(params.shape)}"
        )
    x64, y64 = x.double(), y.double()
    best = torch.linalg.lstsq(x64, y64.unsqueeze(1)).solution.squeeze(1)
    gap = params.double() - best
    excess = ((gap @ x64.T) ** 2).mean(dim=-1)  # (1/n) |X (a - a*)|^2
    return torch.where(torch.isfinite(excess), excess, torch.tensor(float("inf"), dtype=torch.float64))
