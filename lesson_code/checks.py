"""Checks at the door: bad input raises an error that says what was expected."""

from __future__ import annotations

import torch
from torch import Tensor


def check_tensor(name: str, value: object) -> Tensor:
    """Raise ``TypeError`` unless ``value`` is a floating-point tensor, ``ValueError`` if not finite."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if not torch.isfinite(value).all():
        raise ValueError(f"{name} must be finite, but it contains NaN or infinity")
    return value


def check_regression(x: Tensor, y: Tensor, a: Tensor) -> None:
    """Check that ``x`` is ``(n, p)``, ``y`` is ``(n,)`` and ``a`` is ``(p,)``, all finite."""
    for name, value in (("x", x), ("y", y), ("a", a)):
        check_tensor(name, value)
    if x.ndim != 2:
        raise ValueError(f"x must be a matrix of shape (n, p), got shape {tuple(x.shape)}")
    n, p = x.shape
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},) to match x of shape {tuple(x.shape)}, got {tuple(y.shape)}")
    if a.shape != (p,):
        raise ValueError(f"a must have shape ({p},) to match x of shape {tuple(x.shape)}, got {tuple(a.shape)}")


def check_positive(name: str, value: float) -> float:
    """Return ``value`` as a float if it is a finite number above zero; raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a finite number above 0, got {value}")
    return float(value)


def check_count(name: str, value: int, low: int, high: int | None = None) -> int:
    """Return ``value`` if it is an int in ``low..high``; raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        span = f"{low}..{high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {span}, got {value}")
    return value
