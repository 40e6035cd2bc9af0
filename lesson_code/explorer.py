"""An explorer of learning rate, batch size, seed and step, replayed in the reader's browser.

The maths runs here, when the book is built: gradient descent and mini-batch SGD
on a grid of settings, each run a `History`.
`explorer_data` turns the runs into a small JSON-able dict; `explorer_html` puts
that dict in the page, next to a still figure that stands in when JavaScript is off.
The page script that draws and replays the runs, ``explorer.js``, and its style ship
in this package (``lesson_code/static``, read with `static_file`); the book's site
serves them once, and only on pages that hold an explorer.
Taught in {ref}`ch-explorer`.
"""

from __future__ import annotations

import base64
import gzip
import html
import io
import json
import math
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

import torch
from IPython.display import HTML
from torch import Tensor

from lesson_code.checks import (
    check_count,
    check_fits,
    check_items,
    check_numbers,
    check_positive,
    check_regression,
    check_tensor,
    check_text,
    shown,
)
from lesson_code.losses import linear_mse
from lesson_code.stability import hessian_linear_mse, loss_grid
from lesson_code.training import (
    History,
    epoch_batches,
    gradient_descent,
    least_squares,
    loss_path,
    steps_per_epoch,
    train,
)

MARKER = "data-sgd-explorer"
"""The attribute that marks an explorer in a page: the site adds ``explorer.js`` where it appears."""

STATIC_FILES = ("explorer.js", "explorer.css")
"""The page script and its style, in ``lesson_code/static``: package data, installed with the package."""

BUDGET_BYTES = 60_000
"""At most this many gzipped bytes for one explorer's data plus the page script."""

DIGITS = 4
"""Significant digits kept for every number in the page: enough to draw, small enough to send."""


def round_sig(value: float, digits: int = DIGITS) -> float | None:
    """``value`` rounded to ``digits`` significant digits; ``None`` (JSON ``null``) if not finite."""
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def _rounded(values: Tensor | Sequence[float]) -> list[float | None]:
    return [round_sig(v) for v in (values.tolist() if isinstance(values, Tensor) else values)]


def _check_increasing(name: str, values: Sequence[Any], check: Any) -> list[Any]:
    items = check_items(name, values, "a non-empty sequence")
    if len(items) == 0:
        raise ValueError(f"{name} must be a non-empty sequence, got {items}")
    checked = [check(value) for value in items]
    if any(b <= a for a, b in zip(checked, checked[1:], strict=False)):
        raise ValueError(f"{name} must be in increasing order without repeats, got {items}")
    return checked


def _check_bowl(x: Tensor) -> None:
    """A bowl with one lowest point: ``x.T @ x`` not singular, else the contours (ellipses around it) do not exist."""
    curvatures = torch.linalg.eigvalsh(hessian_linear_mse(x.double()))
    if float(curvatures[0]) > float(curvatures[-1]) * 1e-12:
        return
    inputs = x[:, 0]
    if bool((inputs == inputs[0]).all()):
        raise ValueError(
            f"x must hold inputs that are not all equal, got every input x[:, 0] equal to {shown(inputs[0])}: "
            "the loss is then a valley whose lowest points form a whole line, and there is no single minimum "
            "for the explorer's contours to circle"
        )
    raise ValueError(
        f"x must have two columns that are not proportional, got x of shape {tuple(x.shape)} whose x.T @ x is "
        "singular: the loss is then a valley with no single minimum; the second column should be ones"
    )


def explorer_run(
    x: Tensor,
    y: Tensor,
    *,
    lr: float,
    batch_size: int,
    seed: int,
    steps: int,
    a0: Tensor,
) -> History:
    r"""One run of the explorer: ``steps`` updates $a \leftarrow a - \eta \nabla L_B(a)$ from ``a0``.

    A batch of all ``n`` examples is full-batch `gradient_descent` (the seed plays no part);
    a smaller batch takes the first ``steps`` mini-batches of `epoch_batches`, shuffled from ``seed``.
    A run that diverges stops there, with ``diverged_at`` set, instead of raising.
    """
    n = len(y)
    if batch_size == n:
        return gradient_descent(linear_mse, a0, x, y, lr=lr, steps=steps, raise_on_divergence=False)
    batches = _first_batches(n, batch_size, steps, seed)
    return train(linear_mse, a0, x, y, lr=lr, batches=batches, raise_on_divergence=False)


def _first_batches(n: int, batch_size: int, steps: int, seed: int) -> list[Tensor]:
    """The first ``steps`` mini-batches of `epoch_batches`: as many epochs as they need."""
    epochs = math.ceil(steps / steps_per_epoch(n, batch_size))
    return epoch_batches(n, batch_size, epochs, seed=seed)[:steps]


def _contour(x: Tensor, y: Tensor, a0: Tensor) -> dict[str, Any]:
    r"""The loss as a quadratic: $L(a) = L^* + (a - a^*)^\top A (a - a^*)$ with $A = H / 2 = X^\top X / n$.

    Its contour line at level $L^* + r^2$ is the ellipse $a^* + r A^{-1/2} (\cos t, \sin t)$:
    the page draws the ellipses from the centre $a^*$, the matrix $A^{-1/2}$ and the levels.
    """
    x64, y64 = x.double(), y.double()
    best = least_squares(x64, y64)
    floor = float(linear_mse(best, x64, y64))
    curvatures, directions = torch.linalg.eigh(hessian_linear_mse(x64))  # the eigenvalues of H = 2A
    inverse_root = directions @ torch.diag((curvatures / 2).rsqrt()) @ directions.T  # A^{-1/2}
    start = float(linear_mse(a0.double(), x64, y64)) - floor
    levels = [floor + start * 2.0**k for k in range(-7, 3)]
    return {
        "center": _rounded(best),
        "floor": round_sig(floor),
        "inverse_root": [_rounded(row) for row in inverse_root],
        "levels": _rounded(levels),
    }


def _view(a0: Tensor, best: Tensor) -> dict[str, list[float | None]]:
    """The window of the contour panel: the start and the minimum, with room around them."""
    low, high = torch.minimum(a0, best), torch.maximum(a0, best)
    pad = (high - low).clamp(min=1.0) * 0.35
    return {"a1": _rounded([low[0] - pad[0], high[0] + pad[0]]), "a2": _rounded([low[1] - pad[1], high[1] + pad[1]])}


def explorer_data(
    x: Tensor,
    y: Tensor,
    *,
    lrs: Sequence[float] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0),
    batch_sizes: Sequence[int] = (1, 10, 100),
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 100,
    a0: Sequence[float] = (-1.0, 1.0),
    initial_lr: float | None = None,
    initial_batch_size: int | None = None,
) -> dict[str, Any]:
    """Every run of the grid ``lrs`` x ``batch_sizes`` x ``seeds``, as a dict that ``json.dumps`` accepts.

    Full-batch runs do not depend on the seed, so there is one per learning rate (``"seed": null``).
    Each run holds its parameters ``a1, a2`` and its loss on all the data ``loss`` at steps
    ``0..k``, the loss of each step on its own batch ``batch_loss``, and ``diverged_at``
    (the number of steps after which the run was no longer finite, or ``null``); a diverged run has ``k <= steps``.
    Mini-batches are the same for every learning rate, so they are stored once per batch
    size and seed, in ``batches``. Every float keeps `DIGITS` significant digits.
    The page opens on ``initial_lr`` and ``initial_batch_size`` (by default the middle ones).
    """
    check_tensor("x", x)
    if x.ndim == 2 and x.shape[1] != 2:
        raise ValueError(f"x must have two columns (the input and ones), got shape {tuple(x.shape)}")
    a0 = torch.tensor(check_numbers("a0", a0, 2, "two numbers (a1, a2)"))
    check_regression(x, y, a0.to(x.dtype), a_name="a0")  # every dtype works: the runs are made in float32
    n = len(y)
    lrs = _check_increasing("lrs", lrs, lambda lr: check_positive("lrs: each learning rate", lr))
    batch_sizes = _check_increasing(
        "batch_sizes", batch_sizes, lambda b: check_count("batch_sizes: each batch size", b, 1, n)
    )
    seeds = _check_increasing("seeds", seeds, lambda s: check_count("seeds: each seed", s, 0))
    steps = check_count("steps", steps, 1)
    runs = len(lrs) * len(batch_sizes) * len(seeds)
    check_fits("steps", steps, runs * (steps + 1) * 8, what="numbers to record for the grid's runs")
    _check_bowl(x.float())
    initial = {"lr": (len(lrs) - 1) // 2, "batch_size": (len(batch_sizes) - 1) // 2, "seed": 0}
    for key, value, grid in (("lr", initial_lr, lrs), ("batch_size", initial_batch_size, batch_sizes)):
        if value is not None:
            if value not in grid:
                raise ValueError(f"initial_{key} must be one of {grid}, got {value!r}")
            initial[key] = grid.index(value)
    x, y, a0 = x.float(), y.float(), a0.float()

    runs, batches = [], {}
    for batch_size in batch_sizes:
        for seed in (None,) if batch_size == n else seeds:
            if seed is not None:
                batches.setdefault(str(batch_size), {})[str(seed)] = [
                    b.tolist() for b in _first_batches(n, batch_size, steps, seed)
                ]
            for lr in lrs:
                history = explorer_run(x, y, lr=lr, batch_size=batch_size, seed=seed or 0, steps=steps, a0=a0)
                runs.append(
                    {
                        "lr": lr,
                        "batch_size": batch_size,
                        "seed": seed,
                        "a1": _rounded(history.params[:, 0]),
                        "a2": _rounded(history.params[:, 1]),
                        "loss": _rounded(loss_path(linear_mse, history, x, y)),
                        "batch_loss": _rounded(history.losses_before),
                        "diverged_at": history.diverged_at,
                    }
                )
    best = least_squares(x, y)
    return {
        "version": 1,
        "n": n,
        "steps": steps,
        "a0": _rounded(a0),
        "x": _rounded(x[:, 0]),
        "y": _rounded(y),
        "lrs": lrs,
        "batch_sizes": batch_sizes,
        "seeds": seeds,
        "initial": initial,
        "contour": _contour(x, y, a0),
        "view": _view(a0, best),
        "batches": batches,
        "runs": runs,
    }


def _dump(data: dict[str, Any]) -> str:
    """The data as compact JSON, safe inside a ``<script>`` element."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/")


def static_file(name: str) -> bytes:
    """The bytes of one of `STATIC_FILES`, read from the installed package (``importlib.resources``)."""
    if name not in STATIC_FILES:
        raise ValueError(f"name must be one of {STATIC_FILES}, got {name!r}")
    return (files("lesson_code") / "static" / name).read_bytes()


def gzipped_size(data: dict[str, Any], script: bytes | None = None) -> int:
    """Bytes of the data's JSON plus the page script (by default ``explorer.js``), each gzipped:
    what one explorer costs a reader."""
    script = static_file("explorer.js") if script is None else script
    data_bytes = len(gzip.compress(_dump(data).encode(), mtime=0))
    return data_bytes + len(gzip.compress(script, mtime=0))


def _still_png(x: Tensor, y: Tensor, data: dict[str, Any]) -> bytes:
    """A still picture of the initial run, for readers without JavaScript."""
    from matplotlib.figure import Figure
    from PIL import Image

    from lesson_code.plots import plot_line, scatter_data

    pick = data["initial"]
    lr, batch_size = data["lrs"][pick["lr"]], data["batch_sizes"][pick["batch_size"]]
    seed = None if batch_size == data["n"] else data["seeds"][pick["seed"]]
    run = next(r for r in data["runs"] if r["lr"] == lr and r["batch_size"] == batch_size and r["seed"] == seed)
    fig = Figure(figsize=(9.0, 2.8), dpi=72, layout="constrained")
    data_ax, loss_ax, path_ax = fig.subplots(1, 3)
    scatter_data(data_ax, x, y)
    plot_line(data_ax, torch.tensor([run["a1"][-1], run["a2"][-1]]))
    data_ax.set_title(f"Fit after {len(run['a1']) - 1} steps")
    loss_ax.semilogy([v if v is not None else float("nan") for v in run["loss"]], color="C0")
    loss_ax.set(title="Loss on all the data", xlabel="step")
    view, contour = data["view"], data["contour"]
    a1, a2, surface = loss_grid(x, y, view["a1"], view["a2"], num=80)
    path_ax.contour(
        a1.numpy(), a2.numpy(), surface.numpy(), levels=sorted(contour["levels"]), colors="0.6", linewidths=0.8
    )
    path_ax.plot(run["a1"], run["a2"], ".-", color="C3", markersize=3)
    path_ax.set(title="Path over the loss contours", xlabel="$a_1$", ylabel="$a_2$")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    # a palette of 64 colours is plenty for lines and dots, and a third of the bytes
    small = io.BytesIO()
    Image.open(buffer).convert("RGB").quantize(colors=64).save(small, format="png", optimize=True)
    return small.getvalue()


def explorer_html(
    x: Tensor,
    y: Tensor,
    *,
    caption: str = (
        "Explore it yourself: choose a learning rate, a batch size and a seed, "
        "then play the run or move through its steps."
    ),
    **grid: Any,
) -> HTML:
    """An interactive explorer of the runs of ``explorer_data(x, y, **grid)``, as one HTML ``<figure>``.

    ``grid`` holds the keyword arguments of `explorer_data` (``lrs``, ``batch_sizes``, ``seeds``, ``steps``,
    ``a0``, ``initial_lr``, ``initial_batch_size``), with its defaults.
    The runs are inline JSON (``<script type="application/json">``), so the page works
    offline and from a ``file://`` copy. The site's ``explorer.js`` draws three linked
    views (the data with the current line and mini-batch, the loss curve, the path over
    the loss contours) and the controls; until it runs, or without JavaScript, a still
    picture with alt text shows the initial run. Raises ``ValueError`` if the grid is
    so large that data and script would exceed `BUDGET_BYTES` gzipped.
    """
    check_text("caption", caption, " (an explorer needs a caption)")
    data = explorer_data(x, y, **grid)
    size = gzipped_size(data)
    if size > BUDGET_BYTES:
        raise ValueError(
            f"this grid of {len(data['runs'])} runs costs {size} gzipped bytes with the script, "
            f"over the budget of {BUDGET_BYTES}: use fewer learning rates, batch sizes, seeds or steps"
        )
    pick = data["initial"]
    lr, batch_size = data["lrs"][pick["lr"]], data["batch_sizes"][pick["batch_size"]]
    a1, a2 = data["a0"]
    alt = (
        f"Still picture of one run (learning rate {lr:g}, batch size {batch_size}): "
        f"the data with the line after {data['steps']} steps, the loss falling over the steps, "
        f"and the path of the parameters from ({a1:g}, {a2:g}) across the elliptic "
        "contours of the loss towards their centre. With JavaScript the figure becomes interactive."
    )
    png = base64.b64encode(_still_png(x.float(), y.float(), data)).decode("ascii")
    return HTML(
        f'<figure class="sgd-explorer" {MARKER}="1">'
        f'<img class="sgd-explorer-still" src="data:image/png;base64,{png}" alt="{html.escape(alt)}">'
        f'<script type="application/json" class="sgd-explorer-data">{_dump(data)}</script>'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )
