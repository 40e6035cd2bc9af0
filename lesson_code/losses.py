"""The mean squared error and its gradient, derived by hand.

Taught in {ref}`ch-mse` and {ref}`ch-gradient-descent`.
"""

from __future__ import annotations

from torch import Tensor

from lesson_code.checks import check_overflow, check_regression, check_tensor


def mse(y_hat: Tensor, y: Tensor) -> Tensor:
    r"""Mean squared error, $\frac{1}{n}\sum_{i=1}^{n} (\hat y_i - y_i)^2$.

    Taught in {ref}`ch-mse`.
    """
    check_tensor("y_hat", y_hat, finite=False)  # a diverging run's predictions overflow: its loss says so
    check_tensor("y", y)
    if y_hat.shape != y.shape:
        raise ValueError(f"y_hat must have the same shape as y, {tuple(y.shape)}, got shape {tuple(y_hat.shape)}")
    if y.numel() == 0:
        raise ValueError(f"y must hold at least one value, got shape {tuple(y.shape)}")
    return _mse(y_hat, y)


def _mse(y_hat: Tensor, y: Tensor) -> Tensor:
    """`mse` without the checks, for callers that made them."""
    return ((y_hat - y) ** 2).mean()


def linear_mse(a: Tensor, x: Tensor, y: Tensor) -> Tensor:
    r"""The loss of the line $\hat y = X a$: $L(a) = \frac{1}{n}\lVert X a - y \rVert^2$."""
    check_regression(x, y, a, finite_a=False, same_dtype=True)  # a diverging run's a overflows: its loss says so
    return _mse(x @ a, y)


def mse_grad(a: Tensor, x: Tensor, y: Tensor) -> Tensor:
    r"""Gradient of $L(a) = \frac{1}{n}\lVert X a - y\rVert^2$: $\nabla L = \frac{2}{n} X^\top (X a - y)$.

    Derived by hand in {ref}`ch-gradient-descent`; equal to what ``loss.backward()`` computes.
    """
    check_regression(x, y, a, same_dtype=True)
    return check_overflow(2.0 / len(y) * x.T @ (x @ a - y), "the gradient 2/n x.T @ (x @ a - y)")
