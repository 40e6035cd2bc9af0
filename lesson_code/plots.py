"""Figures: each function takes an Axes and data, draws, and returns what it drew.

Nothing here trains a model or calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.contour import QuadContourSet
from matplotlib.lines import Line2D
from torch import Tensor

from lesson_code.stability import loss_grid
from lesson_code.training import History

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
DATA_COLOR = "#0072B2"
FIT_COLOR = "#D55E00"
GUESS_COLOR = "#009E73"
BATCH_COLOR = "#E69F00"
SGD_COLOR = "#CC79A7"


def scatter_data(ax: Axes, x: Tensor, y: Tensor, **kwargs) -> PathCollection:
    """Scatter the inputs ``x[:, 0]`` against the targets ``y``."""
    style = {"s": 14, "color": DATA_COLOR, "alpha": 0.8, "label": "data"} | kwargs
    points = ax.scatter(x[:, 0].numpy(), y.numpy(), **style)
    ax.set_xlabel("input $x_1$")
    ax.set_ylabel("target $y$")
    return points


def plot_line(ax: Axes, a: Tensor, *, xlim: Sequence[float] = (-1.0, 1.0), **kwargs) -> Line2D:
    r"""Draw the line $\hat y = a_1 x + a_2$ across ``xlim``."""
    style = {"color": FIT_COLOR, "linewidth": 2.5, "label": f"$\\hat y = {float(a[0]):.2f}x + {float(a[1]):.2f}$"}
    lo, hi = float(xlim[0]), float(xlim[1])
    (line,) = ax.plot([lo, hi], [float(a[0]) * lo + float(a[1]), float(a[0]) * hi + float(a[1])],
                      **(style | kwargs))
    return line


def plot_loss(ax: Axes, losses: Tensor, *, log: bool = True, **kwargs) -> Line2D:
    """Draw a loss curve against the step number, on a log scale unless ``log=False``."""
    style = {"color": FIT_COLOR, "linewidth": 2} | kwargs
    (line,) = ax.plot(range(len(losses)), losses.numpy(), **style)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (MSE)")
    if log:
        ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    return line


def plot_params(
    ax: Axes, history: History, *, target: Tensor | None = None, names: Sequence[str] = ("$a_1$", "$a_2$"),
) -> list[Line2D]:
    """Draw each parameter of a run against the step number; dashed lines mark ``target`` if given."""
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
    ax: Axes, x: Tensor, y: Tensor, a1: Sequence[float], a2: Sequence[float], *,
    num: int = 121, levels: int = 14, **kwargs,
) -> QuadContourSet:
    """Contours of the MSE of the line $X a$ over the ``a1`` by ``a2`` rectangle, spaced evenly in log(loss).

    The loss itself comes from `lesson_code.stability.loss_grid`.
    """
    grid_a1, grid_a2, loss = loss_grid(x, y, a1, a2, num=num)
    low, high = float(loss.min()), float(loss.max())
    steps = np.geomspace(low * 1.05, high, levels)
    style = {"cmap": "viridis", "linewidths": 0.9} | kwargs
    contours = ax.contour(grid_a1.numpy(), grid_a2.numpy(), loss.numpy(), levels=steps, **style)
    ax.set_xlabel("slope $a_1$")
    ax.set_ylabel("intercept $a_2$")
    return contours


def plot_path(ax: Axes, history: History, *, every: int = 1, **kwargs) -> Line2D:
    """Draw the path a run took through the $(a_1, a_2)$ plane, one dot per ``every`` steps."""
    style = {"color": FIT_COLOR, "linewidth": 1.4, "marker": "o", "markersize": 2.5} | kwargs
    points = history.params[::every, :2].numpy()
    (line,) = ax.plot(points[:, 0], points[:, 1], **style)
    return line


def mark_point(ax: Axes, a: Tensor, **kwargs) -> Line2D:
    """Mark one parameter vector, such as the least-squares minimum, with a star."""
    style = {"color": "black", "marker": "*", "markersize": 13, "linestyle": "none"} | kwargs
    (point,) = ax.plot([float(a[0])], [float(a[1])], **style)
    return point
