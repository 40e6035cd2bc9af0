"""The shape of the MSE bowl of a linear model: its Hessian, the largest stable learning rate,
its condition number, and the loss on a grid of parameters.

Taught in {ref}`ch-learning-rate` and {ref}`ch-loss-surface`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from lesson_code.checks import check_count, check_fits, check_gram, check_range, check_shape, check_tensor


def _check_inputs(x: Tensor) -> Tensor:
    check_tensor("x", x)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"x must be a matrix of shape (n, p) with n, p >= 1, got shape {tuple(x.shape)}")
    return x


def _check_curved(x: Tensor) -> Tensor:
    """A bowl with some curvature: ``x`` not all zeros, else $H = 0$ and no learning rate is too large."""
    _check_inputs(x)
    if not bool(x.any()):
        raise ValueError(
            f"x must not be all zeros (the loss is then flat, and every learning rate is stable), "
            f"got zeros of shape {tuple(x.shape)}"
        )
    return x


def hessian_linear_mse(x: Tensor) -> Tensor:
    r"""The Hessian of $L(a) = \frac{1}{n}\lVert X a - y\rVert^2$: $H = \frac{2}{n} X^\top X$, ``(p, p)``.

    It does not depend on $a$ or $y$: the loss is a quadratic bowl of one fixed shape.
    Taught in {ref}`ch-learning-rate`.
    """
    _check_inputs(x)
    return check_gram("x", x, 2.0 / x.shape[0] * x.T @ x)


def hessian_eigenvalues(x: Tensor) -> Tensor:
    """The eigenvalues of `hessian_linear_mse`, smallest first: the curvatures of the bowl, ``(p,)``."""
    return torch.linalg.eigvalsh(hessian_linear_mse(x).double()).to(x.dtype)


def max_stable_lr(x: Tensor) -> float:
    r"""The largest learning rate at which gradient descent on the MSE of $X a$ converges:
    $2 / \lambda_{\max}(H)$.

    One step maps the error $e = a - a^\star$ to $(I - \eta H) e$; along the eigenvector of
    $\lambda_{\max}$ it is multiplied by $1 - \eta \lambda_{\max}$,
    which shrinks only if $\eta < 2/\lambda_{\max}$.
    Taught in {ref}`ch-learning-rate`.
    """
    _check_curved(x)
    return 2.0 / float(hessian_eigenvalues(x)[-1])


def condition_number(x: Tensor) -> float:
    r"""How stretched the bowl is: $\kappa = \lambda_{\max}(H) / \lambda_{\min}(H)$ (infinite if singular).

    Taught in {ref}`ch-loss-surface`.
    """
    eigenvalues = hessian_eigenvalues(x)
    low, high = float(eigenvalues[0]), float(eigenvalues[-1])
    return high / low if low > 0 else float("inf")


def loss_grid(
    x: Tensor,
    y: Tensor,
    a1: Sequence[float],
    a2: Sequence[float],
    *,
    num: int = 101,
) -> tuple[Tensor, Tensor, Tensor]:
    r"""The loss $\frac{1}{n}\lVert X a - y\rVert^2$ of a two-parameter line on a ``num`` by ``num`` grid.

    Args:
        x: ``(n, 2)`` inputs; y: ``(n,)`` targets.
        a1, a2: the ``(low, high)`` range of each parameter.
        num: grid points along each axis, at least 2.

    Returns:
        A1, A2, L: three ``(num, num)`` tensors, the parameters and the loss at each grid point
        (rows follow $a_2$, columns $a_1$, as ``matplotlib.contour`` expects).
    """
    _check_inputs(x)
    check_tensor("y", y)
    check_shape("x", x, ("n", 2), ": a column of inputs and a column of ones")
    check_shape("y", y, (x.shape[0],), f" to match x of shape {tuple(x.shape)}")
    num = check_count("num", num, 2)
    check_fits("num", num, num * num * (x.shape[0] + 4), itemsize=x.element_size(), what=f"numbers ({x.dtype})")
    a1, a2 = check_range("a1", a1), check_range("a2", a2)
    grid_a2, grid_a1 = torch.meshgrid(
        torch.linspace(float(a2[0]), float(a2[1]), num, dtype=x.dtype),
        torch.linspace(float(a1[0]), float(a1[1]), num, dtype=x.dtype),
        indexing="ij",
    )
    a = torch.stack([grid_a1.reshape(-1), grid_a2.reshape(-1)])  # (2, num * num): one line per column
    losses = ((x @ a - y.unsqueeze(1)) ** 2).mean(dim=0)
    return grid_a1, grid_a2, losses.reshape(num, num)


def best_constant_lr(x: Tensor) -> float:
    r"""The constant learning rate with which gradient descent on this bowl converges fastest:
    $2 / (\lambda_{\min} + \lambda_{\max})$.

    With it the steepest and the flattest directions shrink equally, by
    $(\kappa - 1)/(\kappa + 1)$ per step, the steepest with a change of sign.
    Taught in {ref}`ch-loss-surface`.
    """
    _check_curved(x)
    eigenvalues = hessian_eigenvalues(x)
    return 2.0 / (float(eigenvalues[0]) + float(eigenvalues[-1]))
