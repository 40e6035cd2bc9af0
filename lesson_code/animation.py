"""Animations of training runs, encoded as H.264 video and embedded in the page.

An animation here is a `Movie`: a figure, an update function bound with
``functools.partial`` (no globals), and the frames to show.
The figure is built without pyplot, so no stray still image appears in a notebook.
Encoding draws the still parts of the figure once and only the moving artists
on each frame, then pipes the frames to the ffmpeg that imageio-ffmpeg ships.
"""

from __future__ import annotations

import base64
import html
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from IPython.display import HTML
from matplotlib.animation import FuncAnimation
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from torch import Tensor

from lesson_code.checks import (
    check_callable,
    check_count,
    check_history,
    check_items,
    check_labels01,
    check_positive,
    check_same_dtype,
    check_shape,
    check_tensor,
    check_text,
    describe,
)
from lesson_code.classification import accuracy, boundary_points
from lesson_code.plots import BATCH_COLOR, CLASS_COLORS, SGD_COLOR, plot_line, scatter_data
from lesson_code.training import History

# x264 settings chosen for small files that are the same byte for byte on every build.
ENCODER_ARGS = [
    "-preset",
    "slow",
    "-tune",
    "animation",
    "-crf",
    "32",
    "-threads",
    "1",
    "-fflags",
    "+bitexact",
    "-flags:v",
    "+bitexact",
    "-movflags",
    "+faststart",
]


@dataclass(frozen=True)
class Movie:
    """A figure and how it changes: ``update(frame)`` moves the ``moving`` artists."""

    fig: Figure
    update: Callable[[int], Sequence[Artist]]
    frames: Sequence[int]
    moving: Sequence[Artist]
    fps: int = 20

    def __post_init__(self) -> None:
        if not isinstance(self.fig, Figure):
            raise TypeError(f"fig must be a matplotlib Figure, got {describe(self.fig)}")
        check_callable("update", self.update, "a function update(frame) that returns the artists it moved")
        frames = check_items("frames", self.frames, "a sequence of frame numbers, such as list(range(k))")
        for frame in frames:
            check_count("frames: each frame number", frame, 0)
        if len(frames) == 0:
            raise ValueError(
                f"frames must hold at least one frame (a video of no frames plays nowhere), got {describe(self.frames)}"
            )
        if (
            isinstance(self.moving, (str, bytes))
            or not isinstance(self.moving, Sequence)
            or not all(isinstance(artist, Artist) for artist in self.moving)
        ):
            raise TypeError(
                f"moving must be a sequence of the matplotlib artists that update moves, got {describe(self.moving)}"
            )
        check_count("fps", self.fps, 1)

    def as_funcanimation(self) -> FuncAnimation:
        """The same animation as a matplotlib ``FuncAnimation`` (for ``to_jshtml`` or a live window)."""
        for artist in self.moving:
            artist.set_animated(False)
        return FuncAnimation(self.fig, self.update, frames=list(self.frames), interval=1000 / self.fps)


def _new_figure(width: float, height: float, dpi: int = 96) -> Figure:
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _frames(history: History, every: int) -> list[int]:
    every = check_count("every", every, 1)
    frames = list(range(0, history.steps + 1, every))
    if frames[-1] != history.steps:
        frames.append(history.steps)
    return frames


def _set_fit(step: int, line: Line2D, label: Text, history: History) -> tuple[Artist, ...]:
    a = history.params[step]
    line.set_ydata([float(a[1] - a[0]), float(a[1] + a[0])])  # the line at x = -1 and x = 1
    label.set_text(f"step {step}: a = ({float(a[0]):.2f}, {float(a[1]):.2f})")
    return line, label


def _draw_panel(ax: Axes, x: Tensor, y: Tensor, history: History, title: str) -> tuple[Line2D, Text]:
    scatter_data(ax, x, y)
    line = plot_line(ax, history.params[0], label="fitted line")
    label = ax.text(0.02, 0.96, "", transform=ax.transAxes, va="top")
    ax.set_title(title)
    ax.set_ylim(float(y.min()) - 1.5, float(y.max()) + 0.5)
    return line, label


def _check_line_data(x: Tensor, y: Tensor) -> None:
    """``x`` ``(n, 2)``, a column of inputs and a column of ones, and ``y`` ``(n,)``, all finite."""
    check_tensor("x", x, ndim=2, nonempty=True)
    check_shape("x", x, ("n", 2), ": a column of inputs and a column of ones")
    check_tensor("y", y)
    check_shape("y", y, (len(x),), f" to match x of shape {tuple(x.shape)}")


def _update_fit(frame: int, *, line: Line2D, label: Text, history: History) -> tuple[Artist, ...]:
    return _set_fit(frame, line, label, history)


def fit_animation(x: Tensor, y: Tensor, history: History, *, every: int = 1, fps: int = 20) -> Movie:
    """The fitted line moving across the data as the run in ``history`` takes its steps."""
    _check_line_data(x, y)
    check_history("history", history, 2, " (a line: slope and intercept)")
    check_count("every", every, 1)
    check_count("fps", fps, 1)
    fig = _new_figure(5.0, 3.5)
    ax = fig.add_subplot()
    line, label = _draw_panel(ax, x, y, history, f"gradient descent, lr = {history.lr:g}")
    update = partial(_update_fit, line=line, label=label, history=history)
    return Movie(fig, update, _frames(history, every), (line, label), fps)


def _update_race(
    frame: int,
    *,
    panels: Sequence[tuple[Line2D, Text]],
    histories: Sequence[History],
    x: Tensor,
    y: Tensor,
    ring: Artist,
) -> tuple[Artist, ...]:
    drawn: list[Artist] = []
    for (line, label), history in zip(panels, histories, strict=True):
        drawn.extend(_set_fit(min(frame, history.steps), line, label, history))
    sgd_history = histories[1]
    if frame < sgd_history.steps:
        batch = sgd_history.batches[frame]
        ring.set_offsets(np.column_stack([x[batch, 0].numpy(), y[batch].numpy()]))
    else:
        ring.set_offsets(np.empty((0, 2)))
    return (*drawn, ring)


def race_animation(x: Tensor, y: Tensor, gd: History, sgd: History, *, batch_size: int, fps: int = 20) -> Movie:
    """Full-batch gradient descent (left) beside mini-batch SGD (right), step for step.

    On the right, the examples of the mini-batch the current step uses are ringed.
    """
    _check_line_data(x, y)
    for name, run in (("gd", gd), ("sgd", sgd)):
        check_history(name, run, 2, " (a line: slope and intercept)")
    batch_size = check_count("batch_size", batch_size, 1, len(y))
    check_count("fps", fps, 1)
    if sgd.batches:
        largest = max(len(batch) for batch in sgd.batches)
        if largest != batch_size:
            raise ValueError(f"batch_size must be the size of the mini-batches of sgd, {largest}, got {batch_size}")
        highest = max(int(batch.max()) for batch in sgd.batches)
        if highest >= len(y):
            raise ValueError(
                f"sgd must be a run on the {len(y)} examples of x and y, got batches with index "
                f"{highest}: pass the x and y it was trained on"
            )
    fig = _new_figure(8.0, 3.5)
    left, right = fig.subplots(1, 2, sharey=True)
    panels = (
        _draw_panel(left, x, y, gd, f"full batch, n = {len(y)}"),
        _draw_panel(right, x, y, sgd, f"mini-batches of {batch_size}"),
    )
    panels[1][0].set_color(SGD_COLOR)
    ring = right.scatter(
        [], [], s=60, facecolors="none", edgecolors=BATCH_COLOR, linewidths=1.8, label="current mini-batch"
    )
    right.legend(loc="lower right", fontsize="small")
    update = partial(_update_race, panels=panels, histories=(gd, sgd), x=x, y=y, ring=ring)
    moving = (*panels[0], *panels[1], ring)
    return Movie(fig, update, list(range(max(gd.steps, sgd.steps) + 1)), moving, fps)


def encode_mp4(movie: Movie) -> bytes:
    """Encode a `Movie` as an H.264 MP4 (yuv420p, so every browser can play it)."""
    _check_movie(movie)
    fig, canvas = movie.fig, movie.fig.canvas
    for artist in movie.moving:
        artist.set_animated(True)  # left out of the background drawn once below
    canvas.draw()
    fig.set_layout_engine("none")  # lay out once; later frames keep the same geometry
    background = canvas.copy_from_bbox(fig.bbox)
    width, height = canvas.get_width_height()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "movie.mp4"
        writer = imageio_ffmpeg.write_frames(
            str(path),
            (width, height),
            pix_fmt_in="rgba",
            fps=movie.fps,
            codec="libx264",
            quality=None,
            macro_block_size=2,
            output_params=ENCODER_ARGS,
        )
        writer.send(None)
        for frame in movie.frames:
            canvas.restore_region(background)
            for artist in movie.update(frame):
                fig.draw_artist(artist)
            writer.send(np.asarray(canvas.buffer_rgba()).tobytes())
        writer.close()
        return path.read_bytes()


def _check_movie(movie: Movie) -> None:
    if not isinstance(movie, Movie):
        raise TypeError(f"movie must be a Movie, such as fit_animation(...) returns, got {describe(movie)}")


def video_html(movie: Movie, *, alt: str, caption: str) -> HTML:
    """The movie as an HTML ``<figure>``: a ``<video>`` with controls, its text alternative and a caption.

    The video loops and is muted; it has no ``autoplay`` attribute: the book's page
    script starts it only for readers who have not asked for reduced motion.
    """
    _check_movie(movie)
    check_text("alt", alt, " (an animation needs both alt text and a caption)")
    check_text("caption", caption, " (an animation needs both alt text and a caption)")
    data = base64.b64encode(encode_mp4(movie)).decode("ascii")
    alt_text = html.escape(alt, quote=True)
    return HTML(
        '<figure class="lesson-video">'
        f'<video controls loop muted playsinline preload="auto" data-autoplay="true" aria-label="{alt_text}">'
        f'<source type="video/mp4" src="data:video/mp4;base64,{data}">{alt_text}</video>'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _update_boundary(
    frame: int,
    *,
    line: Line2D,
    label: Text,
    history: History,
    x: Tensor,
    y: Tensor,
    box: float,
) -> tuple[Artist, ...]:
    w = history.params[frame]
    line.set_data(*boundary_points(w, box))
    label.set_text(f"step {frame}: {100 * accuracy(w, x, y):.0f}% right")
    return line, label


def boundary_animation(
    x: Tensor,
    y: Tensor,
    history: History,
    *,
    every: int = 1,
    fps: int = 12,
    box: float = 4.0,
) -> Movie:
    r"""The decision boundary $X w = 0$ of a logistic regression moving as the run in ``history`` learns.

    ``x`` is ``(n, 3)``: two coordinates and a column of ones; ``y`` holds labels 0 and 1.
    """
    check_tensor("x", x, ndim=2, nonempty=True)
    check_shape("x", x, ("n", 3), ": two coordinates and a column of ones")
    check_tensor("y", y)
    check_shape("y", y, (len(x),), f" to match x of shape {tuple(x.shape)}")
    check_labels01("y", y)
    check_history("history", history, 3, " (w1, w2, w3 of the boundary w1 x1 + w2 x2 + w3 = 0)")
    check_tensor("history.params", history.params)  # each frame's accuracy needs finite weights
    check_same_dtype("history.params", history.params, "x", x)
    check_count("every", every, 1)
    check_count("fps", fps, 1)
    box = check_positive("box", box)
    fig = _new_figure(4.5, 4.0)
    ax = fig.add_subplot()
    for label_value, color, marker in ((0.0, CLASS_COLORS[0], "o"), (1.0, CLASS_COLORS[1], "^")):
        chosen = y == label_value
        ax.scatter(
            x[chosen, 0].numpy(),
            x[chosen, 1].numpy(),
            s=16,
            color=color,
            marker=marker,
            alpha=0.8,
            label=f"class {label_value:.0f}",
        )
    (line,) = ax.plot([], [], color="black", linewidth=2.2, label="decision boundary")
    label = ax.text(
        0.02, 0.97, "", transform=ax.transAxes, va="top", bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"}
    )
    ax.set_xlim(-box, box)
    ax.set_ylim(-box, box)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="lower right", fontsize="small")
    update = partial(_update_boundary, line=line, label=label, history=history, x=x, y=y, box=box)
    return Movie(fig, update, _frames(history, every), (line, label), fps)
