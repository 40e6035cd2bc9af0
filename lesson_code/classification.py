"""Two classes of points, the sigmoid, the binary cross-entropy of logistic regression,
its accuracy and its decision boundary.

Taught in {ref}`ch-classification`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from lesson_code.checks import (
    check_count,
    check_fits,
    check_labels01,
    check_overflow,
    check_positive,
    check_regression,
    check_seed,
    check_tensor,
)


def make_two_classes(n: int = 200, *, seed: int = 0, spread: float = 1.0) -> tuple[Tensor, Tensor]:
    r"""Two overlapping clouds of points in the plane, labelled 0 and 1.

    Class 0 is drawn around $(-1, -1)$ and class 1 around $(1, 1)$, each point a Gaussian
    with standard deviation ``spread`` in both coordinates; half the points are in each class,
    in a shuffled order.

    Returns:
        x: ``(n, 3)``: the two coordinates and a column of ones.
        y: ``(n,)``: the labels, 0.0 or 1.0.
    """
    n = check_count("n", n, 2)
    check_fits("n", n, 12 * n, itemsize=4, what="float32 numbers (x, y and the draws)")
    seed = check_seed("seed", seed)
    check_positive("spread", spread)
    generator = torch.Generator().manual_seed(seed)
    y = (torch.arange(n) % 2).float()[torch.randperm(n, generator=generator)]  # (n,): half zeros, half ones
    centres = (2 * y - 1).unsqueeze(1).expand(n, 2)  # (n, 2): (-1, -1) or (1, 1)
    points = centres + spread * torch.randn(n, 2, generator=generator)
    x = torch.cat([points, torch.ones(n, 1)], dim=1)
    return x, y


def sigmoid(z: Tensor) -> Tensor:
    r"""The logistic function $\sigma(z) = \frac{1}{1 + e^{-z}}$, without overflow for large $|z|$."""
    check_tensor("z", z)
    positive = z >= 0
    # Each branch only ever exponentiates a number <= 0, and gets a harmless 0 where it is not used,
    # so that neither the value nor autograd's gradient (also at z = 0) meets an overflow.
    e_pos = torch.exp(-torch.where(positive, z, 0.0))
    e_neg = torch.exp(torch.where(positive, 0.0, z))
    return torch.where(positive, 1 / (1 + e_pos), e_neg / (1 + e_neg))


def bce_with_logits(z: Tensor, y: Tensor) -> Tensor:
    r"""Binary cross-entropy from logits $z$: $\frac{1}{n}\sum_i \bigl[\log(1 + e^{z_i}) - y_i z_i\bigr]$.

    This equals $-\frac{1}{n}\sum_i \bigl[y_i \log \sigma(z_i) + (1 - y_i)\log(1 - \sigma(z_i))\bigr]$,
    but never takes the log of a probability that has rounded to 0:
    $\log(1 + e^{z}) = \max(z, 0) + \log(1 + e^{-|z|})$, computed branch by branch.
    """
    check_tensor("z", z)
    _check_labels(z, y)
    return _bce(z, y)


def _check_labels(z: Tensor, y: Tensor) -> None:
    check_tensor("y", y)
    if z.shape != y.shape:
        raise ValueError(
            f"y must have the shape of z, {tuple(z.shape)}: one non-empty shape, got shape {tuple(y.shape)}"
        )
    if z.numel() == 0:
        raise ValueError(f"z must hold at least one logit, got shape {tuple(z.shape)}")
    check_labels01("y", y)


def _bce(z: Tensor, y: Tensor) -> Tensor:
    """`bce_with_logits` without the checks; an infinite ``z`` gives a loss that is not finite."""
    positive = z >= 0
    z_pos, z_neg = torch.where(positive, z, 0.0), torch.where(positive, 0.0, z)
    # log(1 + e^z) as z + log(1 + e^-z) for z >= 0 and as log(1 + e^z) below: two branches rather
    # than one formula with |z|, whose derivative autograd takes as 0 at z = 0.
    softplus = torch.where(positive, z_pos + torch.log1p(torch.exp(-z_pos)), torch.log1p(torch.exp(z_neg)))
    return (softplus - y * z).mean()


def logistic_loss(w: Tensor, x: Tensor, y: Tensor) -> Tensor:
    r"""The loss of logistic regression, $L(w) = \mathrm{BCE}(X w, y)$; a ``loss_fn`` for `sgd`."""
    # a diverging run's w overflows: its loss says so
    check_regression(x, y, w, a_name="w", finite_a=False, same_dtype=True)
    check_labels01("y", y)
    return _bce(x @ w, y)


def logistic_grad(w: Tensor, x: Tensor, y: Tensor) -> Tensor:
    r"""Gradient of the logistic loss, by hand: $\nabla L(w) = \frac{1}{n} X^\top (\sigma(X w) - y)$."""
    check_regression(x, y, w, a_name="w", same_dtype=True)
    check_labels01("y", y)
    return check_overflow(x.T @ (sigmoid(x @ w) - y) / len(y), "the gradient x.T @ (sigmoid(x @ w) - y) / n", "x and w")


def accuracy(w: Tensor, x: Tensor, y: Tensor) -> float:
    """The fraction of examples whose predicted class, 1 where $X w > 0$ and 0 elsewhere, equals ``y``."""
    check_regression(x, y, w, a_name="w", same_dtype=True)
    check_labels01("y", y)
    return float(((x @ w > 0).float() == y).float().mean())


def boundary_points(w: Tensor, box: float) -> tuple[list[float], list[float]]:
    r"""Two points of the decision boundary $w_1 x_1 + w_2 x_2 + w_3 = 0$, where it meets the lines
    of two opposite sides of the square $[-b, b]^2$, with $b$ = ``box``.

    A line closer to horizontal ($|w_2| \ge |w_1|$) is cut at $x_1 = \pm b$, a steeper
    one at $x_2 = \pm b$; drawn between them in axes limited to the square, it crosses the whole square.
    Returns the $x_1$ and the $x_2$ of the two points, or two empty lists if $w_1 = w_2 = 0$ (no line).
    """
    w1, w2, w3 = (float(v) for v in w)
    if w1 == 0.0 and w2 == 0.0:
        return [], []  # the logit is the constant w3: no boundary to draw
    if abs(w2) >= abs(w1):  # closer to horizontal: solve for x2 at x1 = -box and box
        return [-box, box], [-(w1 * -box + w3) / w2, -(w1 * box + w3) / w2]
    return [-(w2 * -box + w3) / w1, -(w2 * box + w3) / w1], [-box, box]
