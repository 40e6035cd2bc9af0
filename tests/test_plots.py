"""Figures draw what they are given, on the Axes they are given."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lesson_code import make_line, plot_line, plot_loss, scatter_data  # noqa: E402


def test_scatter_draws_the_inputs_against_the_targets():
    x, y = make_line(n=12, seed=1)
    ax = Figure().add_subplot()
    points = scatter_data(ax, x, y)
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([x[:, 0].numpy(), y.numpy()]))


def test_line_passes_through_a1_x_plus_a2():
    ax = Figure().add_subplot()
    line = plot_line(ax, torch.tensor([3.0, 2.0]), xlim=(-1, 1))
    np.testing.assert_allclose(line.get_xdata(), [-1, 1])
    np.testing.assert_allclose(line.get_ydata(), [-1, 5])
    assert line in ax.lines


def test_loss_curve_is_drawn_per_step_on_a_log_scale():
    ax = Figure().add_subplot()
    losses = torch.tensor([4.0, 2.0, 1.0, 0.5])
    line = plot_loss(ax, losses)
    np.testing.assert_allclose(line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_allclose(line.get_ydata(), losses.numpy())
    assert ax.get_yscale() == "log"
    assert plot_loss(Figure().add_subplot(), losses, log=False).axes.get_yscale() == "linear"
