"""Figures: each function takes an Axes and data, draws, and returns what it drew.

Nothing here trains a model or calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.contour import QuadContourSet
from matplotlib.lines import Line2D
from torch import Tensor

from lesson_code.checks import (
    check_axes,
    check_bool,
    check_count,
    check_history,
    check_items,
    check_numbers,
    check_overflow,
    check_shape,
    check_tensor,
    describe,
)
from lesson_code.stability import loss_grid
from lesson_code.training import History

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
DATA_COLOR = "#0072B2"
FIT_COLOR = "#D55E00"
GUESS_COLOR = "#009E73"
BATCH_COLOR = "#E69F00"
SGD_COLOR = "#CC79A7"
CLASS_COLORS = (DATA_COLOR, FIT_COLOR)  # blue for class 0, vermilion for class 1


def _check_point(name: str, a: Tensor) -> Tensor:
    check_tensor(name, a)
    return check_shape(name, a, (2,), ": a slope and an intercept (a1, a2)")


def scatter_data(ax: Axes, x: Tensor, y: Tensor, **kwargs) -> PathCollection:
    """Scatter the inputs ``x[:, 0]`` against the targets ``y``."""
    check_axes("ax", ax)
    check_tensor("x", x, ndim=2, nonempty=True)  # (n, p): one row per example, the inputs in column 0
    check_tensor("y", y)
    check_shape("y", y, (len(x),), f" to match x of shape {tuple(x.shape)}")
    x, y = x.detach().cpu(), y.detach().cpu()
    style = {"s": 14, "color": DATA_COLOR, "alpha": 0.8, "label": "data"} | kwargs
    points = ax.scatter(x[:, 0].numpy(), y.numpy(), **style)
    ax.set_xlabel("input $x_1$")
    ax.set_ylabel("target $y$")
    return points


def plot_line(ax: Axes, a: Tensor, *, xlim: Sequence[float] = (-1.0, 1.0), **kwargs) -> Line2D:
    r"""Draw the line $\hat y = a_1 x + a_2$ across ``xlim``."""
    check_axes("ax", ax)
    _check_point("a", a)
    lo, hi = check_numbers("xlim", xlim, 2, "two numbers (low, high)")
    style = {"color": FIT_COLOR, "linewidth": 2.5, "label": f"$\\hat y = {float(a[0]):.2f}x + {float(a[1]):.2f}$"}
    (line,) = ax.plot([lo, hi], [float(a[0]) * lo + float(a[1]), float(a[0]) * hi + float(a[1])], **(style | kwargs))
    return line


def plot_loss(ax: Axes, losses: Tensor, *, log: bool = True, **kwargs) -> Line2D:
    """Draw a loss curve against the step number, on a log scale unless ``log=False``.

    A loss of 0 (an exact fit) is drawn at the bottom of the log scale.
    """
    check_axes("ax", ax)
    if isinstance(losses, History):
        raise TypeError(
            "losses must be a tensor of losses, got a History: pass history.losses_before, "
            "or loss_path(loss_fn, history, x, y) for the loss on all the data"
        )
    check_tensor("losses", losses, ndim=1, nonempty=True, finite=False)
    check_bool("log", log)
    losses = losses.detach().cpu()
    if not bool(torch.isfinite(losses).all()):
        first = int((~torch.isfinite(losses)).nonzero()[0, 0])
        raise ValueError(
            f"losses must be finite, got {float(losses[first])!r} at step {first}: a run whose loss "
            f"is no longer finite has diverged; plot the steps before it, losses[:{first}]"
        )
    if log and bool((losses < 0).any()):
        first = int((losses < 0).nonzero()[0, 0])
        raise ValueError(
            f"losses must be at least 0 on a log scale, got {float(losses[first])!r} at step {first}: pass log=False"
        )
    if log and not bool((losses > 0).any()):
        raise ValueError("losses must hold a value above 0 to be drawn on a log scale, got only zeros: pass log=False")
    style = {"color": FIT_COLOR, "linewidth": 2} | kwargs
    (line,) = ax.plot(range(len(losses)), losses.numpy(), **style)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (MSE)")
    if log:
        ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    return line


def plot_params(
    ax: Axes,
    history: History,
    *,
    target: Tensor | None = None,
    names: Sequence[str] = ("$a_1$", "$a_2$"),
) -> list[Line2D]:
    """Draw each parameter of a run against the step number; dashed lines mark ``target`` if given."""
    check_axes("ax", ax)
    check_history("history", history)
    p = history.params.shape[1]
    names = check_items("names", names, "a sequence of texts, one per parameter")
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"names must be a sequence of texts, one per parameter, got {describe(name)} in {names}")
    if len(names) != p:
        raise ValueError(
            f"names must give one name for each of the {p} parameters of history, "
            f"got {len(names)}: {tuple(names)}: pass names=(...) with {p} names"
        )
    if target is not None:
        check_tensor("target", target)
        check_shape("target", target, (p,), f", one value for each of the {p} parameters of history")
    colors = (FIT_COLOR, DATA_COLOR, GUESS_COLOR, SGD_COLOR)
    drawn: list[Line2D] = []
    steps = range(len(history.params))
    for i, name in enumerate(names):
        color = colors[i % len(colors)]
        (line,) = ax.plot(steps, history.params[:, i].numpy(), color=color, linewidth=1.8, label=name)
        drawn.append(line)
        if target is not None:
            drawn.append(ax.axhline(float(target[i]), color=color, linestyle="--", linewidth=1, alpha=0.7))
    ax.set_xlabel("step")
    ax.set_ylabel("parameter value")
    return drawn


def plot_loss_contours(
    ax: Axes,
    x: Tensor,
    y: Tensor,
    a1: Sequence[float],
    a2: Sequence[float],
    *,
    num: int = 121,
    levels: int = 14,
    **kwargs,
) -> QuadContourSet:
    """Contours of the MSE of the line $X a$ over the ``a1`` by ``a2`` rectangle, spaced evenly in log(loss).

    The loss itself comes from `lesson_code.stability.loss_grid`. Where the least loss on the grid
    is 0 (an exact fit), the lowest contour is drawn near the least loss above 0.
    """
    check_axes("ax", ax)
    levels = check_count("levels", levels, 1)
    grid_a1, grid_a2, loss = loss_grid(x, y, a1, a2, num=num)
    check_overflow(loss, "the loss over the a1 by a2 rectangle", "x and y", "narrow a1 and a2, or pass x.double()")
    low, high = float(loss.min()), float(loss.max())
    if low <= 0 and high > 0:  # an exact fit on the grid: no geometric sequence starts at 0
        low = float(loss[loss > 0].min())
    if not low * 1.05 < high:
        raise ValueError(
            f"a1 and a2 must span parameters over which the loss changes, got a loss from "
            f"{float(loss.min()):g} to {high:g} over a1 = {tuple(a1)}, a2 = {tuple(a2)}: widen them"
        )
    steps = np.geomspace(low * 1.05, high, levels)
    style = {"cmap": "viridis", "linewidths": 0.9} | kwargs
    contours = ax.contour(grid_a1.numpy(), grid_a2.numpy(), loss.numpy(), levels=steps, **style)
    ax.set_xlabel("slope $a_1$")
    ax.set_ylabel("intercept $a_2$")
    return contours


def plot_path(ax: Axes, history: History, *, every: int = 1, **kwargs) -> Line2D:
    """Draw the path a run took through the $(a_1, a_2)$ plane, one dot per ``every`` steps."""
    check_axes("ax", ax)
    check_history("history", history, 2, " (a path in the (a1, a2) plane)")
    every = check_count("every", every, 1)
    style = {"color": FIT_COLOR, "linewidth": 1.4, "marker": "o", "markersize": 2.5} | kwargs
    points = history.params[::every, :2].numpy()
    (line,) = ax.plot(points[:, 0], points[:, 1], **style)
    return line


def mark_point(ax: Axes, a: Tensor, **kwargs) -> Line2D:
    """Mark one parameter vector, such as the least-squares minimum, with a star."""
    check_axes("ax", ax)
    _check_point("a", a)
    style = {"color": "black", "marker": "*", "markersize": 13, "linestyle": "none"} | kwargs
    (point,) = ax.plot([float(a[0])], [float(a[1])], **style)
    return point
