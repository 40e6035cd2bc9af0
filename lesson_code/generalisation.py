"""Generalisation: a small curve to overfit, a seeded three-way split, polynomial features,
the L2-regularised loss (weight decay) and its gradient, and early stopping.

Taught in {ref}`ch-generalisation`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from lesson_code.checks import (
    check_count,
    check_fits,
    check_gram,
    check_number,
    check_overflow,
    check_regression,
    check_same_dtype,
    check_seed,
    check_shape,
    check_tensor,
    shown,
)
from lesson_code.losses import _mse


def make_curve(n: int = 60, *, noise: float = 0.3, seed: int = 0) -> tuple[Tensor, Tensor]:
    r"""Noisy points of one period of a sine: $y_i = \sin(\pi x_i) + \sigma \varepsilon_i$.

    The inputs are $x_i \sim U[-1, 1)$ and the noise $\varepsilon_i \sim N(0, 1)$, so that
    the best possible mean squared error on new points is $\sigma^2$ (``noise ** 2``).

    Args:
        n: number of points, at least 2.
        noise: the standard deviation $\sigma$ of the noise, at least 0.
        seed: seed of the random generator; the same seed gives the same data.

    Returns:
        x: ``(n,)`` inputs in $[-1, 1)$ (no column of ones: `poly_features` adds it).
        y: ``(n,)`` targets.
    """
    check_fits("n", check_count("n", n, 2), 3 * n, itemsize=4, what="float32 numbers (x, y and the noise)")
    if not 0 <= check_number("noise", noise) < math.inf:
        raise ValueError(f"noise must be a finite number at least 0, got {noise!r}")
    generator = torch.Generator().manual_seed(check_seed("seed", seed))
    x = torch.rand(n, generator=generator) * 2 - 1  # (n,): uniform on [-1, 1)
    y = torch.sin(math.pi * x) + noise * torch.randn(n, generator=generator)
    return x, y


class Split(NamedTuple):
    """Three disjoint sets of example indices that together hold every example once."""

    train: Tensor
    validation: Tensor
    test: Tensor


def split_indices(n: int, *, validation: int, test: int, seed: int) -> Split:
    """Shuffle ``0..n-1`` from ``seed`` and cut it into ``validation``, ``test`` and the rest, for training.

    The sets are disjoint and together hold every index once; each is sorted.
    The same ``n`` and ``seed`` give the same sets.
    Taught in {ref}`ch-generalisation`.
    """
    check_fits("n", check_count("n", n, 3), 2 * n, what="int64 indices")
    check_count("validation", validation, 1, n - 2)
    check_count("test", test, 1, n - 1 - validation)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(check_seed("seed", seed)))
    val_idx, test_idx, train_idx = order.split([validation, test, n - validation - test])
    return Split(train_idx.sort().values, val_idx.sort().values, test_idx.sort().values)


def poly_features(x: Tensor, degree: int) -> Tensor:
    r"""Polynomial features of inputs in $[-1, 1]$: $\phi_k(x) = \sqrt{2k + 1}\, P_k(x)$ for $k = 1..d$,
    then a column of ones (the intercept last, as in `make_line`).

    $P_k$ is the Legendre polynomial of degree $k$, from
    $(k + 1) P_{k+1}(x) = (2k + 1)\, x P_k(x) - k P_{k-1}(x)$ with $P_0 = 1$, $P_1 = x$.
    The features span the same functions as $x, x^2, \dots, x^d$, so a least-squares fit is the
    same polynomial; but for $x \sim U[-1, 1]$ they are orthonormal,
    $\mathbb{E}[\phi_j \phi_k] = [j = k]$, so the loss bowl is far rounder than with raw powers
    and gradient descent can fit high degrees.

    Returns ``(n, degree + 1)`` in the dtype of ``x``.
    """
    check_tensor("x", x)
    check_count("degree", degree, 0)
    if x.ndim != 1:
        raise ValueError(f"x must be a vector of inputs, shape (n,), got shape {tuple(x.shape)}")
    check_fits("degree", degree, 3 * len(x) * (degree + 1), itemsize=x.element_size(), what=f"numbers ({x.dtype})")
    if x.numel() and float(x.abs().max()) > 1:
        raise ValueError(
            f"x must lie in [-1, 1] (scale the inputs first), got values up to {shown(x.abs().max())} in size"
        )
    columns = [torch.ones_like(x)]
    if degree >= 1:
        columns.append(x)
    for k in range(1, degree):
        columns.append(((2 * k + 1) * x * columns[k] - k * columns[k - 1]) / (k + 1))
    scaled = [math.sqrt(2 * k + 1) * p for k, p in enumerate(columns)]
    return torch.stack(scaled[1:] + scaled[:1], dim=1)


def _check_decay(weight_decay: float) -> float:
    if not 0 <= check_number("weight_decay", weight_decay) < math.inf:
        raise ValueError(f"weight_decay must be a finite number at least 0, got {weight_decay!r}")
    return float(weight_decay)


def _decayed(a: Tensor) -> Tensor:
    """The weights that weight decay shrinks: all but the last entry, the intercept (which gets 0)."""
    return torch.cat([a[:-1], torch.zeros_like(a[-1:])])


def ridge_mse(a: Tensor, x: Tensor, y: Tensor, weight_decay: float) -> Tensor:
    r"""The mean squared error plus an L2 penalty on the weights, not on the intercept:
    $L_\alpha(a) = \frac{1}{n}\lVert X a - y \rVert^2 + \frac{\alpha}{2} \lVert w \rVert^2$,
    where $w$ is $a$ without its last entry and $\alpha$ is ``weight_decay``.

    The factor $\frac{1}{2}$ makes the penalty's gradient $\alpha w$: what
    ``torch.optim.SGD(weight_decay=alpha)`` adds to the gradient.
    Taught in {ref}`ch-generalisation`.
    """
    check_regression(x, y, a, finite_a=False, same_dtype=True)  # a diverging run's a overflows: its loss says so
    return _mse(x @ a, y) + _check_decay(weight_decay) / 2 * (a[:-1] ** 2).sum()


def ridge_grad(a: Tensor, x: Tensor, y: Tensor, weight_decay: float) -> Tensor:
    r"""Gradient of `ridge_mse`: $\nabla L_\alpha(a) = \frac{2}{n} X^\top (X a - y) + \alpha\,(w, 0)$.

    A gradient step is then $w \leftarrow (1 - \eta\alpha)\, w - \eta \nabla L(w)$: before the
    step on the data, every weight shrinks by the factor $1 - \eta\alpha$, hence "weight decay".
    """
    check_regression(x, y, a, same_dtype=True)
    grad = 2.0 / len(y) * x.T @ (x @ a - y) + _check_decay(weight_decay) * _decayed(a)
    return check_overflow(grad, "the gradient of ridge_mse")


def ridge_fit(x: Tensor, y: Tensor, weight_decay: float = 0.0) -> Tensor:
    r"""The exact minimiser of `ridge_mse`, in the dtype of ``x`` (pass float64 for a reference).

    It solves $\bigl(\frac{2}{n} X^\top X + \alpha D\bigr) a = \frac{2}{n} X^\top y$, with $D$ the
    identity except a 0 for the intercept. With ``weight_decay = 0`` it is least squares
    (``torch.linalg.lstsq``, which also copes with more features than examples).
    """
    check_tensor("x", x, ndim=2, nonempty=True)
    check_tensor("y", y)
    check_shape("y", y, (x.shape[0],), f" to match x of shape {tuple(x.shape)}")
    check_same_dtype("y", y, "x", x)
    weight_decay = _check_decay(weight_decay)
    if weight_decay == 0:
        return torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1)
    n, p = x.shape
    if not bool(x[:, -1].any()):
        raise ValueError(
            f"x must have a last column that is not all zeros, got zeros in column {p - 1} of x of shape "
            f"{tuple(x.shape)}: that column is the intercept's, which weight decay leaves undecayed, so nothing "
            "fixes its weight and the fit has no single solution; put the column of ones last, as poly_features does"
        )
    penalty = torch.eye(p, dtype=x.dtype)
    penalty[-1, -1] = 0
    matrix = check_gram("x", x, 2.0 / n * x.T @ x + weight_decay * penalty)
    solution, info = torch.linalg.solve_ex(matrix, 2.0 / n * x.T @ y)
    if int(info) != 0:
        raise ValueError(
            f"x must give a system (2/n) x.T @ x + weight_decay * D with a single solution, got x of shape "
            f"{tuple(x.shape)} for which it is singular in {x.dtype} (pivot {int(info)} is 0): pass x.double(), "
            "or a larger weight_decay"
        )
    return solution


class EarlyStop(NamedTuple):
    """Where a patience rule stops a run, and which parameters it keeps.

    Attributes:
        best: the step whose validation loss is the lowest seen up to ``stopped`` (the first, in a tie).
        stopped: the step at which the rule stops: ``patience`` steps after ``best`` without a lower loss,
            or the last step if that never happens.
    """

    best: int
    stopped: int


def early_stop(val_losses: Tensor, patience: int) -> EarlyStop:
    """Read a validation curve as a run would, step by step, and stop after ``patience`` steps without a new low.

    ``val_losses[j]`` is the validation loss after ``j`` steps (as `loss_path` gives it).
    The rule never looks ahead: it keeps the parameters of the lowest loss it has seen so far,
    and stops once ``patience`` more steps have brought no strictly lower loss.
    Taught in {ref}`ch-generalisation`.
    """
    check_tensor("val_losses", val_losses)
    if val_losses.ndim != 1 or len(val_losses) < 1:
        raise ValueError(f"val_losses must be a non-empty vector, got shape {tuple(val_losses.shape)}")
    check_count("patience", patience, 1)
    best, lowest = 0, float(val_losses[0])
    for step in range(1, len(val_losses)):
        value = float(val_losses[step])
        if value < lowest:
            best, lowest = step, value
        elif step - best >= patience:
            return EarlyStop(best, step)
    return EarlyStop(best, len(val_losses) - 1)
