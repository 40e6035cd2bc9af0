"""Answers computed without lesson_code, for the tests of its mathematics to compare against."""

from __future__ import annotations

from collections.abc import Callable

import torch


def central_differences(f: Callable[[torch.Tensor], torch.Tensor], w: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    r"""The gradient of ``f`` at ``w`` by central differences, $\frac{f(w + h e_i) - f(w - h e_i)}{2h}$ for each $i$.

    ``w`` is a float64 vector; the error is of order $h^2$ plus rounding of order $\epsilon / h$.
    """
    steps = torch.eye(len(w), dtype=w.dtype)
    return torch.stack([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in steps])
