"""Figures: each function takes an Axes and data, draws, and returns what it drew.

Nothing here trains a model or calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from torch import Tensor

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


def plot_params(ax: Axes, history, *, target: Tensor | None = None, names: Sequence[str] = ("$a_1$", "$a_2$")
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
