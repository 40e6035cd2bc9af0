"""Choosing a learning rate from a grid: mini-batch SGD on a line at many learning rates at once.

Comparing batch sizes at one learning rate compares learning rates as much as batch sizes;
a fair comparison gives each batch size its best rate from a grid. These functions make that cheap.
Taught in {ref}`ch-sgd`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from lesson_code.checks import check_count, check_tensor
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
    for name, value in (("x", x), ("y", y), ("params0", params0)):
        check_tensor(name, value)
    if x.ndim != 2 or y.shape != (x.shape[0],) or params0.shape != (x.shape[1],):
        raise ValueError(
            f"x must be (n, p), y (n,) and params0 (p,), got {tuple(x.shape)}, {tuple(y.shape)}, {tuple(params0.shape)}"
        )
    rates = torch.as_tensor(lrs, dtype=torch.float64)
    if rates.ndim != 1 or len(rates) == 0 or not torch.isfinite(rates).all() or not (rates > 0).all():
        raise ValueError(f"lrs must be a non-empty list of finite learning rates above 0, got {lrs!r}")
    n = len(y)
    check_count("batch_size", batch_size, 1, n)
    check_count("epochs", epochs, 1)
    x64, y64 = x.double(), y.double()
    a = params0.double().expand(len(rates), -1).clone()  # (runs, p): one parameter vector per learning rate
    per_epoch = -(-n // batch_size)
    out = [a.clone()]
    for step, batch in enumerate(epoch_batches(n, batch_size, epochs, seed=seed), start=1):
        xb, yb = x64[batch], y64[batch]
        grad = 2.0 / len(batch) * (a @ xb.T - yb) @ xb  # (runs, p): each row the gradient of its own run
        a = a - rates[:, None] * grad
        a[~torch.isfinite(a).all(dim=1)] = float("nan")  # diverged: stays NaN
        if step % per_epoch == 0:
            out.append(a.clone())
    return torch.stack(out)


def excess_loss(x: Tensor, y: Tensor, params: Tensor) -> Tensor:
    r"""How far above the least-squares loss each parameter vector is, in float64:
    $L(a) - L(a^\star) = (a - a^\star)^\top \tfrac{1}{n} X^\top X \, (a - a^\star)$.

    The identity holds exactly for a quadratic loss, and this form never subtracts two nearly equal
    losses, so small excesses keep all their digits. ``params`` is ``(..., p)``; the result is ``(...)``,
    with ``inf`` where the parameters are not finite (a run that diverged).
    """
    check_tensor("x", x)
    check_tensor("y", y)
    if not isinstance(params, Tensor) or not params.is_floating_point():
        raise TypeError(f"params must be a floating-point torch.Tensor, got {type(params).__name__}")
    if x.ndim != 2 or y.shape != (x.shape[0],) or params.shape[-1:] != x.shape[1:]:
        raise ValueError(
            f"x must be (n, p), y (n,) and params (..., p), got {tuple(x.shape)}, {tuple(y.shape)}, "
            f"{tuple(params.shape)}"
        )
    x64, y64 = x.double(), y.double()
    best = torch.linalg.lstsq(x64, y64.unsqueeze(1)).solution.squeeze(1)
    gap = params.double() - best
    excess = ((gap @ x64.T) ** 2).mean(dim=-1)  # (1/n) |X (a - a*)|^2
    return torch.where(torch.isfinite(excess), excess, torch.tensor(float("inf"), dtype=torch.float64))
