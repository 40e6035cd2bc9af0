"""Synthetic data sets for the book, drawn from an explicit seed.

Taught in {ref}`ch-regression`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from lesson_code.checks import check_count, check_fits, check_numbers, check_seed


def make_line(
    n: int = 100,
    a: Sequence[float] = (3.0, 2.0),
    *,
    seed: int = 0,
) -> tuple[Tensor, Tensor]:
    r"""Points scattered above the line $y = a_1 x + a_2$.

    The inputs are $x_i \sim U[-1, 1)$ and the targets
    $y_i = a_1 x_i + a_2 + \varepsilon_i$ with noise $\varepsilon_i \sim U[0, 1)$,
    so the noise has mean $1/2$ and lifts the best intercept to about $a_2 + 1/2$.
    A column of ones next to the inputs turns the intercept into a weight:
    $y = X a + \varepsilon$.

    Args:
        n: number of points, at least 2.
        a: the true slope and intercept $(a_1, a_2)$.
        seed: seed of the random generator; the same seed gives the same data.

    Returns:
        x: ``(n, 2)`` tensor, a column of inputs and a column of ones.
        y: ``(n,)`` tensor of targets.
    """
    n = check_count("n", n, 2)
    check_fits("n", n, 4 * n, itemsize=4, what="float32 numbers (x, y and the noise)")
    a = check_numbers("a", a, 2, "two finite numbers (slope, intercept)")
    seed = check_seed("seed", seed)
    generator = torch.Generator().manual_seed(seed)
    x = torch.ones(n, 2)  # (n, 2): inputs in column 0, ones in column 1
    x[:, 0] = torch.rand(n, generator=generator) * 2 - 1
    noise = torch.rand(n, generator=generator)  # (n,): uniform on [0, 1)
    y = x @ torch.tensor([float(v) for v in a]) + noise
    return x, y
