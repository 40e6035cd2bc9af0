"""A reader's mistakes get a clear error; the edge cases a reader may meet work, and give the right numbers.

Each bad input in the table must raise the promised exception (``TypeError`` for a wrong type,
``ValueError`` for a wrong value) with a message of the shape
``"<argument> must <what was expected>, got <what was given>"``: the test finds the argument's
name, then "must", then "got", then a representation of what was given, in that order.
"""

from __future__ import annotations

import inspect
import math
import re
import warnings
from functools import partial

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lesson_code import (  # noqa: E402
    Adam,
    History,
    Momentum,
    Movie,
    Plain,
    RMSProp,
    accuracy,
    batch_indices,
    bce_with_logits,
    best_constant_lr,
    boundary_animation,
    condition_number,
    confusion_matrix,
    count_params,
    early_stop,
    encode_mp4,
    epoch_batches,
    example_gradients,
    excess_loss,
    explorer_data,
    explorer_html,
    fit_animation,
    gradient_covariance,
    gradient_descent,
    heavy_ball,
    hessian_eigenvalues,
    hessian_linear_mse,
    init_params,
    layer_shapes,
    least_squares,
    linear_mse,
    load_digits_split,
    logistic_grad,
    logistic_loss,
    loss_grid,
    loss_path,
    make_curve,
    make_line,
    make_two_classes,
    mark_point,
    max_stable_lr,
    minibatch_covariance,
    mlp_logits,
    mlp_loss,
    mse,
    mse_grad,
    noise_ball,
    plot_line,
    plot_loss,
    plot_loss_contours,
    plot_params,
    plot_path,
    poly_features,
    predict,
    race_animation,
    ridge_fit,
    ridge_grad,
    ridge_mse,
    running_average,
    sample_minibatch_gradients,
    scatter_data,
    schedules,
    sgd,
    sgd_lr_grid,
    sgd_paths,
    sigmoid,
    softmax_cross_entropy,
    split_indices,
    steps_per_epoch,
    train,
    unflatten,
    video_html,
)
from lesson_code.schedules import constant, cosine, exponential, inverse_time, step_decay  # noqa: E402

NAN, INF = float("nan"), float("inf")

# Small valid data for every case: a line of 10 points, two classes of 10 points, tiny digits.
X, Y = make_line(10, seed=0)  # (10, 2), (10,)
A = torch.tensor([0.0, 0.0])
GD = gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=5)
SG = sgd(linear_mse, A, X, Y, lr=0.1, batch_size=2, epochs=1, seed=0)
XC, YC = make_two_classes(10, seed=0)  # (10, 3), (10,) labels 0 and 1
W = torch.zeros(3)
RUN3 = gradient_descent(logistic_loss, W, XC, YC, lr=0.1, steps=3)  # 3 parameters per step
SIZES = (64, 4, 10)
P = init_params(SIZES, seed=0, on=torch.device("cpu"))
XD = torch.rand(5, 64, generator=torch.Generator().manual_seed(0))
LABELS = torch.tensor([0, 1, 2, 3, 9])
YD = torch.nn.functional.one_hot(LABELS, 10).float()
CX, CY = make_curve(10, seed=0)  # (10,) inputs in [-1, 1), (10,) targets
F = poly_features(CX, 3)  # (10, 4)
VAL = torch.tensor([3.0, 2.0, 2.5, 2.4, 2.6])  # a validation curve
BI = batch_indices(10, 2, 5, [0])  # (5, 1, 2): 5 steps of one run, batches of 2


def with_entry(t: torch.Tensor, index: int, value: float) -> torch.Tensor:
    """A copy of ``t`` with one entry of its flattened view replaced."""
    t = t.clone()
    t.view(-1)[index] = value
    return t


def ax():
    return Figure().add_subplot()


class StepOnly:
    """A rule of one's own whose step forgets to return the state."""

    def init(self, params):
        return ()

    def step(self, grad, state, lr):
        return -lr * grad


class Widening(StepOnly):
    """A rule whose step has another shape than the parameters."""

    def step(self, grad, state, lr):
        return torch.zeros(3), state


class ListState(StepOnly):
    """A rule whose step returns its state as a list."""

    def step(self, grad, state, lr):
        return -lr * grad, [grad]


class TensorInit(StepOnly):
    """A rule whose init returns a tensor, not a tuple."""

    def init(self, params):
        return torch.zeros_like(params)


def train_with(rule):
    return train(linear_mse, A, X, Y, lr=0.1, batches=[torch.arange(10)] * 2, rule=rule)


def movie(**change):
    """A one-frame `Movie`, valid unless ``change`` says otherwise."""
    fig = Figure()
    (line,) = fig.add_subplot().plot([0, 1], [0, 1])
    fields = dict(fig=fig, update=lambda frame: (line,), frames=[0], moving=(line,), fps=20) | change
    return Movie(**fields)


# (id, call, the argument the message must name, what the message must show was given, the exception)
CASES = [
    # data
    ("make_line n=0", lambda: make_line(0), "n", "0", ValueError),
    ("make_line n=1.5", lambda: make_line(1.5), "n", "1.5", TypeError),
    ("make_line n=True", lambda: make_line(True), "n", "True", TypeError),
    ("make_line n='10'", lambda: make_line("10"), "n", "'10'", TypeError),
    ("make_line a=3.0", lambda: make_line(10, 3.0), "a", "3.0", TypeError),
    ("make_line a of one number", lambda: make_line(10, (1.0,)), "a", "(1.0,)", ValueError),
    ("make_line a with NaN", lambda: make_line(10, (1.0, NAN)), "a", "nan", ValueError),
    ("make_line a of strings", lambda: make_line(10, ("3", "2")), "a", "'3'", TypeError),
    ("make_line seed=None", lambda: make_line(10, seed=None), "seed", "None", TypeError),
    ("make_line seed='1'", lambda: make_line(10, seed="1"), "seed", "'1'", TypeError),
    ("make_line seed=1.5", lambda: make_line(10, seed=1.5), "seed", "1.5", TypeError),
    ("make_line seed=True", lambda: make_line(10, seed=True), "seed", "True", TypeError),
    # losses
    ("mse y_hat list", lambda: mse([1.0], torch.tensor([1.0])), "y_hat", "list", TypeError),
    ("mse y numpy", lambda: mse(torch.ones(3), np.ones(3)), "y", "numpy.ndarray", TypeError),
    ("mse (10, 1) against (10,)", lambda: mse(X @ A.unsqueeze(1), Y), "y_hat", "(10, 1)", ValueError),
    ("mse empty", lambda: mse(torch.ones(0), torch.ones(0)), "y", "(0,)", ValueError),
    ("mse y NaN", lambda: mse(torch.ones(3), torch.tensor([1.0, NAN, 1.0])), "y", "nan", ValueError),
    ("mse int tensors", lambda: mse(torch.tensor([1, 2]), torch.tensor([1, 3])), "y_hat", "torch.int64", TypeError),
    ("linear_mse a list", lambda: linear_mse([0.0, 0.0], X, Y), "a", "list", TypeError),
    ("linear_mse a (3,)", lambda: linear_mse(torch.zeros(3), X, Y), "a", "(3,)", ValueError),
    ("linear_mse x a vector", lambda: linear_mse(A, X[:, 0], Y), "x", "(10,)", ValueError),
    ("linear_mse float64 a, float32 x", lambda: linear_mse(A.double(), X, Y), "a", "torch.float64", TypeError),
    ("linear_mse y NaN", lambda: linear_mse(A, X, with_entry(Y, 4, NAN)), "y", "nan", ValueError),
    ("linear_mse no examples", lambda: linear_mse(A, X[:0], Y[:0]), "x", "(0, 2)", ValueError),
    ("linear_mse y (10, 1)", lambda: linear_mse(A, X, Y.unsqueeze(1)), "y", "(10, 1)", ValueError),
    ("mse_grad a numpy", lambda: mse_grad(np.zeros(2), X, Y), "a", "numpy.ndarray", TypeError),
    ("mse_grad x int", lambda: mse_grad(A, X.long(), Y), "x", "torch.int64", TypeError),
    ("mse_grad x inf", lambda: mse_grad(A, with_entry(X, 3, INF), Y), "x", "inf", ValueError),
    # mini-batches
    ("epoch_batches batch_size=0", lambda: epoch_batches(10, 0, 1, seed=0), "batch_size", "0", ValueError),
    ("epoch_batches batch_size>n", lambda: epoch_batches(10, 11, 1, seed=0), "batch_size", "11", ValueError),
    ("epoch_batches epochs=0", lambda: epoch_batches(10, 2, 0, seed=0), "epochs", "0", ValueError),
    ("epoch_batches epochs=2.0", lambda: epoch_batches(10, 2, 2.0, seed=0), "epochs", "2.0", TypeError),
    ("epoch_batches n=-5", lambda: epoch_batches(-5, 2, 1, seed=0), "n", "-5", ValueError),
    ("epoch_batches seed=None", lambda: epoch_batches(10, 2, 1, seed=None), "seed", "None", TypeError),
    ("epoch_batches seed='0'", lambda: epoch_batches(10, 2, 1, seed="0"), "seed", "'0'", TypeError),
    ("steps_per_epoch batch_size=0", lambda: steps_per_epoch(10, 0), "batch_size", "0", ValueError),
    ("steps_per_epoch n=10.0", lambda: steps_per_epoch(10.0, 2), "n", "10.0", TypeError),
    ("steps_per_epoch batch_size=True", lambda: steps_per_epoch(10, True), "batch_size", "True", TypeError),
    # gradient descent
    (
        "gd loss_fn a string",
        lambda: gradient_descent("linear_mse", A, X, Y, lr=0.1, steps=1),
        "loss_fn",
        "'linear_mse'",
        TypeError,
    ),
    (
        "gd loss_fn mse, of (y_hat, y)",
        lambda: gradient_descent(mse, A, X, Y, lr=0.1, steps=1),
        "loss_fn",
        "mse(y_hat, y)",
        TypeError,
    ),
    (
        "gd loss_fn of one example per entry",
        lambda: gradient_descent(lambda a, x, y: (x @ a - y) ** 2, A, X, Y, lr=0.1, steps=1),
        "loss_fn",
        "(10,)",
        ValueError,
    ),
    (
        "gd loss_fn returning a float",
        lambda: gradient_descent(lambda a, x, y: linear_mse(a, x, y).item(), A, X, Y, lr=0.1, steps=1),
        "loss_fn",
        "float",
        TypeError,
    ),
    (
        "gd loss_fn cut from params",
        lambda: gradient_descent(lambda a, x, y: linear_mse(a.detach(), x, y), A, X, Y, lr=0.1, steps=1),
        "loss_fn",
        "not require grad",
        ValueError,
    ),
    (
        "sgd loss_fn mlp_loss without sizes",
        lambda: sgd(mlp_loss, P, XD, YD, lr=0.1, batch_size=5, epochs=1, seed=0),
        "loss_fn",
        "mlp_loss(params, x, y, sizes)",
        TypeError,
    ),
    (
        "heavy_ball loss_fn of one example per entry",
        lambda: heavy_ball(lambda a, x, y: (x @ a - y) ** 2, A, X, Y, lr=0.1, momentum=0.5, steps=1),
        "loss_fn",
        "(10,)",
        ValueError,
    ),
    (
        "gd params0 list",
        lambda: gradient_descent(linear_mse, [0.0, 0.0], X, Y, lr=0.1, steps=1),
        "params0",
        "list",
        TypeError,
    ),
    ("gd x list", lambda: gradient_descent(linear_mse, A, X.tolist(), Y, lr=0.1, steps=1), "x", "list", TypeError),
    (
        "gd y numpy",
        lambda: gradient_descent(linear_mse, A, X, Y.numpy(), lr=0.1, steps=1),
        "y",
        "numpy.ndarray",
        TypeError,
    ),
    (
        "gd params0 of ints",
        lambda: gradient_descent(linear_mse, torch.tensor([0, 0]), X, Y, lr=0.1, steps=1),
        "params0",
        "torch.int64",
        TypeError,
    ),
    (
        "gd float64 params0, float32 x",
        lambda: gradient_descent(linear_mse, A.double(), X, Y, lr=0.1, steps=1),
        "params0",
        "torch.float64",
        TypeError,
    ),
    (
        "gd float64 data, float32 params0",
        lambda: gradient_descent(linear_mse, A, X.double(), Y.double(), lr=0.1, steps=1),
        "params0",
        "torch.float32",
        TypeError,
    ),
    ("gd lr=0", lambda: gradient_descent(linear_mse, A, X, Y, lr=0, steps=1), "lr", "0", ValueError),
    ("gd lr<0", lambda: gradient_descent(linear_mse, A, X, Y, lr=-0.1, steps=1), "lr", "-0.1", ValueError),
    ("gd lr=nan", lambda: gradient_descent(linear_mse, A, X, Y, lr=NAN, steps=1), "lr", "nan", ValueError),
    ("gd lr=inf", lambda: gradient_descent(linear_mse, A, X, Y, lr=INF, steps=1), "lr", "inf", ValueError),
    ("gd lr=True", lambda: gradient_descent(linear_mse, A, X, Y, lr=True, steps=1), "lr", "True", TypeError),
    ("gd lr='0.1'", lambda: gradient_descent(linear_mse, A, X, Y, lr="0.1", steps=1), "lr", "'0.1'", TypeError),
    (
        "gd lr a tensor",
        lambda: gradient_descent(linear_mse, A, X, Y, lr=torch.tensor(0.1), steps=1),
        "lr",
        "tensor",
        TypeError,
    ),
    ("gd steps=0", lambda: gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=0), "steps", "0", ValueError),
    ("gd steps=-1", lambda: gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=-1), "steps", "-1", ValueError),
    ("gd steps=2.5", lambda: gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=2.5), "steps", "2.5", TypeError),
    (
        "gd x NaN",
        lambda: gradient_descent(linear_mse, A, with_entry(X, 0, NAN), Y, lr=0.1, steps=1),
        "x",
        "nan",
        ValueError,
    ),
    (
        "gd y shorter than x",
        lambda: gradient_descent(linear_mse, A, X, Y[:9], lr=0.1, steps=1),
        "y",
        "(9,)",
        ValueError,
    ),
    (
        "gd no examples",
        lambda: gradient_descent(linear_mse, A, X[:0], Y[:0], lr=0.1, steps=1),
        "x",
        "(0, 2)",
        ValueError,
    ),
    (
        "gd params0 (1, 2)",
        lambda: gradient_descent(linear_mse, A.reshape(1, 2), X, Y, lr=0.1, steps=1),
        "params0",
        "(1, 2)",
        ValueError,
    ),
    (
        "gd raise_on_divergence='no'",
        lambda: gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=1, raise_on_divergence="no"),
        "raise_on_divergence",
        "'no'",
        TypeError,
    ),
    # mini-batch SGD
    (
        "sgd batch_size=0",
        lambda: sgd(linear_mse, A, X, Y, lr=0.1, batch_size=0, epochs=1, seed=0),
        "batch_size",
        "0",
        ValueError,
    ),
    (
        "sgd batch_size>n",
        lambda: sgd(linear_mse, A, X, Y, lr=0.1, batch_size=11, epochs=1, seed=0),
        "batch_size",
        "11",
        ValueError,
    ),
    (
        "sgd batch_size=2.0",
        lambda: sgd(linear_mse, A, X, Y, lr=0.1, batch_size=2.0, epochs=1, seed=0),
        "batch_size",
        "2.0",
        TypeError,
    ),
    (
        "sgd epochs=0",
        lambda: sgd(linear_mse, A, X, Y, lr=0.1, batch_size=2, epochs=0, seed=0),
        "epochs",
        "0",
        ValueError,
    ),
    (
        "sgd seed=None",
        lambda: sgd(linear_mse, A, X, Y, lr=0.1, batch_size=2, epochs=1, seed=None),
        "seed",
        "None",
        TypeError,
    ),
    (
        "sgd seed=1.5",
        lambda: sgd(linear_mse, A, X, Y, lr=0.1, batch_size=2, epochs=1, seed=1.5),
        "seed",
        "1.5",
        TypeError,
    ),
    (
        "sgd seed=True",
        lambda: sgd(linear_mse, A, X, Y, lr=0.1, batch_size=2, epochs=1, seed=True),
        "seed",
        "True",
        TypeError,
    ),
    ("sgd lr=nan", lambda: sgd(linear_mse, A, X, Y, lr=NAN, batch_size=2, epochs=1, seed=0), "lr", "nan", ValueError),
    # train with batches of one's own
    ("train no batches", lambda: train(linear_mse, A, X, Y, lr=0.1, batches=[]), "batches", "[]", ValueError),
    (
        "train batches one tensor",
        lambda: train(linear_mse, A, X, Y, lr=0.1, batches=torch.arange(10)),
        "batches",
        "(10,)",
        TypeError,
    ),
    (
        "train batches lists",
        lambda: train(linear_mse, A, X, Y, lr=0.1, batches=[[0, 1], [2, 3]]),
        "batches",
        "list",
        TypeError,
    ),
    (
        "train batch index past n",
        lambda: train(linear_mse, A, X, Y, lr=0.1, batches=[torch.tensor([0, 10])]),
        "batches",
        "10",
        ValueError,
    ),
    (
        "train batch index negative",
        lambda: train(linear_mse, A, X, Y, lr=0.1, batches=[torch.tensor([-1])]),
        "batches",
        "-1",
        ValueError,
    ),
    (
        "train batch of floats",
        lambda: train(linear_mse, A, X, Y, lr=0.1, batches=[torch.tensor([0.0, 1.0])]),
        "batches",
        "torch.float32",
        TypeError,
    ),
    (
        "train empty batch",
        lambda: train(linear_mse, A, X, Y, lr=0.1, batches=[torch.tensor([], dtype=torch.long)]),
        "batches",
        "(0,)",
        ValueError,
    ),
    (
        "train loss_fn None",
        lambda: train(None, A, X, Y, lr=0.1, batches=[torch.arange(10)]),
        "loss_fn",
        "None",
        TypeError,
    ),
    # after training
    ("loss_path history a tensor", lambda: loss_path(linear_mse, GD.params, X, Y), "history", "tensor", TypeError),
    ("loss_path float64 x", lambda: loss_path(linear_mse, GD, X.double(), Y.double()), "x", "torch.float64", TypeError),
    ("loss_path loss_fn a string", lambda: loss_path("mse", GD, X, Y), "loss_fn", "'mse'", TypeError),
    (
        "loss_path loss_fn of one example per entry",
        lambda: loss_path(lambda a, x, y: (x @ a - y) ** 2, GD, X, Y),
        "loss_fn",
        "(10,)",
        ValueError,
    ),
    ("loss_path y NaN", lambda: loss_path(linear_mse, GD, X, with_entry(Y, 0, NAN)), "y", "nan", ValueError),
    ("least_squares no examples", lambda: least_squares(X[:0], Y[:0]), "x", "(0, 2)", ValueError),
    ("least_squares x list", lambda: least_squares(X.tolist(), Y), "x", "list", TypeError),
    ("least_squares float64 y", lambda: least_squares(X, Y.double()), "y", "torch.float64", TypeError),
    ("least_squares y NaN", lambda: least_squares(X, with_entry(Y, 2, NAN)), "y", "nan", ValueError),
    ("least_squares x a vector", lambda: least_squares(X[:, 0], Y), "x", "(10,)", ValueError),
    ("least_squares y (10, 1)", lambda: least_squares(X, Y.unsqueeze(1)), "y", "(10, 1)", ValueError),
    (
        "History of mismatched lengths",
        lambda: History(torch.zeros(3, 2), torch.zeros(5), (), 0.1),
        "losses_before",
        "(5,)",
        ValueError,
    ),
    ("History params a list", lambda: History([[0.0, 0.0]], torch.zeros(0), (), 0.1), "params", "list", TypeError),
    # plots
    ("scatter_data ax a Figure", lambda: scatter_data(Figure(), X, Y), "ax", "Figure", TypeError),
    ("scatter_data ax None", lambda: scatter_data(None, X, Y), "ax", "None", TypeError),
    (
        "scatter_data ax an array of Axes",
        lambda: scatter_data(Figure().subplots(1, 2), X, Y),
        "ax",
        "numpy.ndarray",
        TypeError,
    ),
    ("scatter_data x a vector", lambda: scatter_data(ax(), X[:, 0], Y), "x", "(10,)", ValueError),
    ("scatter_data y shorter", lambda: scatter_data(ax(), X, Y[:5]), "y", "(5,)", ValueError),
    ("scatter_data x list", lambda: scatter_data(ax(), X.tolist(), Y), "x", "list", TypeError),
    ("scatter_data x NaN", lambda: scatter_data(ax(), with_entry(X, 0, NAN), Y), "x", "nan", ValueError),
    ("plot_line ax a string", lambda: plot_line("ax", A), "ax", "'ax'", TypeError),
    ("plot_line a list", lambda: plot_line(ax(), [3.0, 2.0]), "a", "list", TypeError),
    ("plot_line a (3,)", lambda: plot_line(ax(), torch.zeros(3)), "a", "(3,)", ValueError),
    ("plot_line a NaN", lambda: plot_line(ax(), torch.tensor([NAN, 1.0])), "a", "nan", ValueError),
    ("plot_line xlim one number", lambda: plot_line(ax(), A, xlim=(1.0,)), "xlim", "(1.0,)", ValueError),
    ("plot_loss list", lambda: plot_loss(ax(), [1.0, 0.5]), "losses", "list", TypeError),
    ("plot_loss a History", lambda: plot_loss(ax(), GD), "losses", "History", TypeError),
    ("plot_loss NaN", lambda: plot_loss(ax(), torch.tensor([1.0, NAN])), "losses", "nan", ValueError),
    (
        "plot_loss negative on a log scale",
        lambda: plot_loss(ax(), torch.tensor([1.0, -1.0])),
        "losses",
        "-1.0",
        ValueError,
    ),
    ("plot_loss only zeros on a log scale", lambda: plot_loss(ax(), torch.zeros(3)), "losses", "zeros", ValueError),
    ("plot_loss empty", lambda: plot_loss(ax(), torch.zeros(0)), "losses", "(0,)", ValueError),
    ("plot_loss a matrix", lambda: plot_loss(ax(), torch.ones(2, 3)), "losses", "(2, 3)", ValueError),
    ("plot_loss log='yes'", lambda: plot_loss(ax(), GD.losses_before, log="yes"), "log", "'yes'", TypeError),
    (
        "plot_params too many names",
        lambda: plot_params(ax(), GD, names=("a", "b", "c")),
        "names",
        "('a', 'b', 'c')",
        ValueError,
    ),
    ("plot_params 3 parameters, 2 names", lambda: plot_params(ax(), RUN3), "names", "2", ValueError),
    ("plot_params target (3,)", lambda: plot_params(ax(), GD, target=torch.zeros(3)), "target", "(3,)", ValueError),
    ("plot_params history a tensor", lambda: plot_params(ax(), GD.params), "history", "tensor", TypeError),
    ("plot_loss_contours a1 a number", lambda: plot_loss_contours(ax(), X, Y, 3.0, (0.0, 1.0)), "a1", "3.0", TypeError),
    (
        "plot_loss_contours a1 reversed",
        lambda: plot_loss_contours(ax(), X, Y, (1.0, 0.0), (0.0, 1.0)),
        "a1",
        "(1.0, 0.0)",
        ValueError,
    ),
    (
        "plot_loss_contours levels=0",
        lambda: plot_loss_contours(ax(), X, Y, (0.0, 1.0), (0.0, 1.0), levels=0),
        "levels",
        "0",
        ValueError,
    ),
    (
        "plot_loss_contours num=1",
        lambda: plot_loss_contours(ax(), X, Y, (0.0, 1.0), (0.0, 1.0), num=1),
        "num",
        "1",
        ValueError,
    ),
    (
        "plot_loss_contours a2 to inf",
        lambda: plot_loss_contours(ax(), X, Y, (0.0, 1.0), (0.0, INF)),
        "a2",
        "inf",
        ValueError,
    ),
    (
        "plot_loss_contours 3 columns",
        lambda: plot_loss_contours(ax(), XC, YC, (0.0, 1.0), (0.0, 1.0)),
        "x",
        "(10, 3)",
        ValueError,
    ),
    ("plot_path every=0", lambda: plot_path(ax(), GD, every=0), "every", "0", ValueError),
    ("plot_path every=-1", lambda: plot_path(ax(), GD, every=-1), "every", "-1", ValueError),
    ("plot_path every=1.5", lambda: plot_path(ax(), GD, every=1.5), "every", "1.5", TypeError),
    ("plot_path 3 parameters", lambda: plot_path(ax(), RUN3), "history", "3", ValueError),
    ("mark_point a (3,)", lambda: mark_point(ax(), torch.zeros(3)), "a", "(3,)", ValueError),
    ("mark_point ax None", lambda: mark_point(None, A), "ax", "None", TypeError),
    ("mark_point a list", lambda: mark_point(ax(), [1.0, 2.0]), "a", "list", TypeError),
    # the shape of the loss
    ("hessian_linear_mse x list", lambda: hessian_linear_mse(X.tolist()), "x", "list", TypeError),
    ("hessian_linear_mse x a vector", lambda: hessian_linear_mse(X[:, 0]), "x", "(10,)", ValueError),
    ("hessian_eigenvalues x int", lambda: hessian_eigenvalues(X.long()), "x", "torch.int64", TypeError),
    ("max_stable_lr x all zeros", lambda: max_stable_lr(torch.zeros(10, 2)), "x", "(10, 2)", ValueError),
    ("best_constant_lr x all zeros", lambda: best_constant_lr(torch.zeros(10, 2)), "x", "(10, 2)", ValueError),
    ("condition_number x NaN", lambda: condition_number(with_entry(X, 1, NAN)), "x", "nan", ValueError),
    ("loss_grid num=0", lambda: loss_grid(X, Y, (0.0, 1.0), (0.0, 1.0), num=0), "num", "0", ValueError),
    ("loss_grid a1 a string", lambda: loss_grid(X, Y, "ab", (0.0, 1.0)), "a1", "'ab'", TypeError),
    (
        "loss_grid a1 of three",
        lambda: loss_grid(X, Y, (0.0, 1.0, 2.0), (0.0, 1.0)),
        "a1",
        "(0.0, 1.0, 2.0)",
        ValueError,
    ),
    ("loss_grid a1 NaN", lambda: loss_grid(X, Y, (0.0, NAN), (0.0, 1.0)), "a1", "nan", ValueError),
    ("loss_grid y shorter", lambda: loss_grid(X, Y[:5], (0.0, 1.0), (0.0, 1.0)), "y", "(5,)", ValueError),
    # momentum
    (
        "heavy_ball momentum=1",
        lambda: heavy_ball(linear_mse, A, X, Y, lr=0.1, momentum=1.0, steps=1),
        "momentum",
        "1.0",
        ValueError,
    ),
    (
        "heavy_ball momentum<0",
        lambda: heavy_ball(linear_mse, A, X, Y, lr=0.1, momentum=-0.1, steps=1),
        "momentum",
        "-0.1",
        ValueError,
    ),
    (
        "heavy_ball momentum='0.9'",
        lambda: heavy_ball(linear_mse, A, X, Y, lr=0.1, momentum="0.9", steps=1),
        "momentum",
        "'0.9'",
        TypeError,
    ),
    (
        "heavy_ball momentum=True",
        lambda: heavy_ball(linear_mse, A, X, Y, lr=0.1, momentum=True, steps=1),
        "momentum",
        "True",
        TypeError,
    ),
    (
        "heavy_ball momentum=nan",
        lambda: heavy_ball(linear_mse, A, X, Y, lr=0.1, momentum=NAN, steps=1),
        "momentum",
        "nan",
        ValueError,
    ),
    (
        "heavy_ball steps=0",
        lambda: heavy_ball(linear_mse, A, X, Y, lr=0.1, momentum=0.5, steps=0),
        "steps",
        "0",
        ValueError,
    ),
    (
        "heavy_ball x list",
        lambda: heavy_ball(linear_mse, A, X.tolist(), Y, lr=0.1, momentum=0.5, steps=1),
        "x",
        "list",
        TypeError,
    ),
    # classification
    ("make_two_classes n=1", lambda: make_two_classes(1), "n", "1", ValueError),
    ("make_two_classes seed=None", lambda: make_two_classes(10, seed=None), "seed", "None", TypeError),
    ("make_two_classes spread=0", lambda: make_two_classes(10, spread=0), "spread", "0", ValueError),
    ("make_two_classes spread=inf", lambda: make_two_classes(10, spread=INF), "spread", "inf", ValueError),
    ("make_two_classes spread='1'", lambda: make_two_classes(10, spread="1"), "spread", "'1'", TypeError),
    ("sigmoid list", lambda: sigmoid([0.0, 1.0]), "z", "list", TypeError),
    ("sigmoid int tensor", lambda: sigmoid(torch.tensor([0, 1])), "z", "torch.int64", TypeError),
    ("bce labels -1 and 1", lambda: bce_with_logits(torch.zeros(10), 2 * YC - 1), "y", "-1.0", ValueError),
    ("bce y (10, 1)", lambda: bce_with_logits(torch.zeros(10), YC.unsqueeze(1)), "y", "(10, 1)", ValueError),
    ("bce z list", lambda: bce_with_logits([0.0] * 10, YC), "z", "list", TypeError),
    ("logistic_loss labels -1 and 1", lambda: logistic_loss(W, XC, 2 * YC - 1), "y", "-1.0", ValueError),
    ("logistic_grad labels -1 and 1", lambda: logistic_grad(W, XC, 2 * YC - 1), "y", "-1.0", ValueError),
    ("logistic_loss x list", lambda: logistic_loss(W, XC.tolist(), YC), "x", "list", TypeError),
    ("accuracy labels -1 and 1", lambda: accuracy(W, XC, 2 * YC - 1), "y", "-1.0", ValueError),
    ("accuracy w NaN", lambda: accuracy(torch.tensor([NAN, 0.0, 0.0]), XC, YC), "w", "nan", ValueError),
    ("accuracy w (2,)", lambda: accuracy(torch.zeros(2), XC, YC), "w", "(2,)", ValueError),
    # animations
    ("fit_animation 3-parameter history", lambda: fit_animation(X, Y, RUN3), "history", "3", ValueError),
    ("fit_animation fps=0", lambda: fit_animation(X, Y, GD, fps=0), "fps", "0", ValueError),
    ("fit_animation fps=-5", lambda: fit_animation(X, Y, GD, fps=-5), "fps", "-5", ValueError),
    ("fit_animation fps=2.5", lambda: fit_animation(X, Y, GD, fps=2.5), "fps", "2.5", TypeError),
    ("fit_animation every=0", lambda: fit_animation(X, Y, GD, every=0), "every", "0", ValueError),
    ("fit_animation every=1.5", lambda: fit_animation(X, Y, GD, every=1.5), "every", "1.5", TypeError),
    ("fit_animation history a tensor", lambda: fit_animation(X, Y, GD.params), "history", "tensor", TypeError),
    ("fit_animation x list", lambda: fit_animation(X.tolist(), Y, GD), "x", "list", TypeError),
    ("race_animation batch_size=0", lambda: race_animation(X, Y, GD, SG, batch_size=0), "batch_size", "0", ValueError),
    (
        "race_animation batch_size not the run's",
        lambda: race_animation(X, Y, GD, SG, batch_size=5),
        "batch_size",
        "5",
        ValueError,
    ),
    (
        "race_animation sgd of 3 parameters",
        lambda: race_animation(X, Y, GD, RUN3, batch_size=2),
        "sgd",
        "3",
        ValueError,
    ),
    ("race_animation sgd a string", lambda: race_animation(X, Y, GD, "sgd", batch_size=2), "sgd", "'sgd'", TypeError),
    ("race_animation fps=0", lambda: race_animation(X, Y, GD, SG, batch_size=2, fps=0), "fps", "0", ValueError),
    (
        "race_animation batches past the data",
        lambda: race_animation(X[:5], Y[:5], GD, SG, batch_size=2),
        "sgd",
        "9",
        ValueError,
    ),
    ("boundary_animation labels -1 and 1", lambda: boundary_animation(XC, 2 * YC - 1, RUN3), "y", "-1.0", ValueError),
    ("boundary_animation 2-parameter history", lambda: boundary_animation(XC, YC, GD), "history", "2", ValueError),
    ("boundary_animation fps=0", lambda: boundary_animation(XC, YC, RUN3, fps=0), "fps", "0", ValueError),
    ("boundary_animation box=0", lambda: boundary_animation(XC, YC, RUN3, box=0), "box", "0", ValueError),
    (
        "boundary_animation diverged history",
        lambda: boundary_animation(XC, YC, History(RUN3.params * float("inf"), RUN3.losses_before, RUN3.batches, 0.1)),
        "history.params",
        "inf",
        ValueError,
    ),
    (
        "boundary_animation float64 history",
        lambda: boundary_animation(XC, YC, History(RUN3.params.double(), RUN3.losses_before, RUN3.batches, 0.1)),
        "history.params",
        "float64",
        TypeError,
    ),
    ("boundary_animation box=nan", lambda: boundary_animation(XC, YC, RUN3, box=NAN), "box", "nan", ValueError),
    ("Movie with no frames", lambda: movie(frames=[]), "frames", "[]", ValueError),
    ("Movie fps=0", lambda: movie(fps=0), "fps", "0", ValueError),
    ("Movie fig a string", lambda: movie(fig="fig"), "fig", "'fig'", TypeError),
    ("Movie update None", lambda: movie(update=None), "update", "None", TypeError),
    ("encode_mp4 a string", lambda: encode_mp4("movie.mp4"), "movie", "'movie.mp4'", TypeError),
    ("encode_mp4 a Figure", lambda: encode_mp4(Figure()), "movie", "Figure", TypeError),
    ("video_html alt None", lambda: video_html(movie(), alt=None, caption="c"), "alt", "None", TypeError),
    ("video_html caption empty", lambda: video_html(movie(), alt="a", caption=""), "caption", "''", ValueError),
    ("video_html movie a Figure", lambda: video_html(Figure(), alt="a", caption="c"), "movie", "Figure", TypeError),
    # explorer
    ("explorer_data x list", lambda: explorer_data(X.tolist(), Y), "x", "list", TypeError),
    (
        "explorer_data seeds with None",
        lambda: explorer_data(X, Y, batch_sizes=(1, 10), seeds=(None,)),
        "seeds",
        "None",
        TypeError,
    ),
    ("explorer_data batch size 0", lambda: explorer_data(X, Y, batch_sizes=(0, 10)), "batch_sizes", "0", ValueError),
    ("explorer_data steps=0", lambda: explorer_data(X, Y, batch_sizes=(1, 10), steps=0), "steps", "0", ValueError),
    ("explorer_data a0 NaN", lambda: explorer_data(X, Y, batch_sizes=(1, 10), a0=(NAN, 0.0)), "a0", "nan", ValueError),
    ("explorer_data lrs a number", lambda: explorer_data(X, Y, batch_sizes=(1, 10), lrs=0.1), "lrs", "0.1", TypeError),
    ("explorer_data lrs NaN", lambda: explorer_data(X, Y, batch_sizes=(1, 10), lrs=(NAN,)), "lrs", "nan", ValueError),
    (
        "explorer_html caption None",
        lambda: explorer_html(X, Y, batch_sizes=(1, 10), caption=None),
        "caption",
        "None",
        TypeError,
    ),
    # networks
    ("load_digits_split test_fraction=0", lambda: load_digits_split(test_fraction=0), "test_fraction", "0", ValueError),
    (
        "load_digits_split test_fraction='0.2'",
        lambda: load_digits_split(test_fraction="0.2"),
        "test_fraction",
        "'0.2'",
        TypeError,
    ),
    (
        "load_digits_split test_fraction=True",
        lambda: load_digits_split(test_fraction=True),
        "test_fraction",
        "True",
        TypeError,
    ),
    (
        "load_digits_split no test example",
        lambda: load_digits_split(test_fraction=1e-5),
        "test_fraction",
        "1e-05",
        ValueError,
    ),
    ("load_digits_split seed=None", lambda: load_digits_split(seed=None), "seed", "None", TypeError),
    ("load_digits_split on='gpu'", lambda: load_digits_split(on="gpu"), "on", "'gpu'", ValueError),
    ("layer_shapes an int", lambda: layer_shapes(64), "sizes", "64", TypeError),
    ("layer_shapes a width 0", lambda: layer_shapes((64, 0, 10)), "sizes", "0", ValueError),
    ("layer_shapes a float width", lambda: layer_shapes((64, 32.0, 10)), "sizes", "32.0", TypeError),
    ("layer_shapes a string", lambda: layer_shapes("64"), "sizes", "'64'", TypeError),
    ("count_params one width", lambda: count_params((64,)), "sizes", "(64,)", ValueError),
    ("unflatten wrong length", lambda: unflatten(P, (64, 5, 10)), "params", f"({P.numel()},)", ValueError),
    ("unflatten list", lambda: unflatten(P.tolist(), SIZES), "params", "list", TypeError),
    ("init_params seed=None", lambda: init_params(SIZES, seed=None), "seed", "None", TypeError),
    ("init_params on='tpu0'", lambda: init_params(SIZES, seed=0, on="tpu0"), "on", "'tpu0'", ValueError),
    ("init_params a negative width", lambda: init_params((64, -1, 10), seed=0), "sizes", "-1", ValueError),
    ("mlp_logits x too narrow", lambda: mlp_logits(P, XD[:, :32], SIZES), "x", "(5, 32)", ValueError),
    ("mlp_logits float64 x", lambda: mlp_logits(P, XD.double(), SIZES), "x", "torch.float64", TypeError),
    ("mlp_logits x NaN", lambda: mlp_logits(P, with_entry(XD, 7, NAN), SIZES), "x", "nan", ValueError),
    ("mlp_logits x numpy", lambda: mlp_logits(P, XD.numpy(), SIZES), "x", "numpy.ndarray", TypeError),
    ("mlp_loss labels, not one-hot", lambda: mlp_loss(P, XD, LABELS, sizes=SIZES), "y", "(5,)", TypeError),
    (
        "mlp_loss sizes of another network",
        lambda: mlp_loss(P, XD, YD, sizes=(64, 10)),
        "params",
        f"({P.numel()},)",
        ValueError,
    ),
    (
        "softmax_cross_entropy rows not summing to 1",
        lambda: softmax_cross_entropy(torch.zeros(5, 10), 2 * YD),
        "y",
        "2.0",
        ValueError,
    ),
    (
        "softmax_cross_entropy 9 classes",
        lambda: softmax_cross_entropy(torch.zeros(5, 10), YD[:, :9]),
        "y",
        "(5, 9)",
        ValueError,
    ),
    ("predict params NaN", lambda: predict(with_entry(P, 0, NAN), XD, SIZES), "params", "nan", ValueError),
    (
        "confusion_matrix a list",
        lambda: confusion_matrix([0, 1], torch.tensor([0, 1]), 2),
        "predicted",
        "list",
        TypeError,
    ),
    ("confusion_matrix classes=0", lambda: confusion_matrix(LABELS, LABELS, 0), "classes", "0", ValueError),
    ("confusion_matrix classes=10.0", lambda: confusion_matrix(LABELS, LABELS, 10.0), "classes", "10.0", TypeError),
    (
        "confusion_matrix float labels",
        lambda: confusion_matrix(LABELS.float(), LABELS, 10),
        "predicted",
        "torch.float32",
        TypeError,
    ),
    ("confusion_matrix label past classes", lambda: confusion_matrix(LABELS, LABELS, 9), "predicted", "9", ValueError),
    ("confusion_matrix lengths differ", lambda: confusion_matrix(LABELS, LABELS[:4], 10), "true", "(4,)", ValueError),
    # update rules
    ("Momentum beta=1.0", lambda: Momentum(beta=1.0), "beta", "1.0", ValueError),
    ("Momentum beta=-0.1", lambda: Momentum(beta=-0.1), "beta", "-0.1", ValueError),
    ("Momentum beta=nan", lambda: Momentum(beta=NAN), "beta", "nan", ValueError),
    ("Momentum beta='0.9'", lambda: Momentum(beta="0.9"), "beta", "'0.9'", TypeError),
    ("Momentum beta=True", lambda: Momentum(beta=True), "beta", "True", TypeError),
    ("Momentum beta a tensor", lambda: Momentum(beta=torch.tensor(0.9)), "beta", "tensor", TypeError),
    ("Momentum nesterov=1", lambda: Momentum(0.9, nesterov=1), "nesterov", "1", TypeError),
    ("RMSProp alpha=1.5", lambda: RMSProp(alpha=1.5), "alpha", "1.5", ValueError),
    ("RMSProp eps=0", lambda: RMSProp(eps=0.0), "eps", "0.0", ValueError),
    ("RMSProp eps=inf", lambda: RMSProp(eps=INF), "eps", "inf", ValueError),
    ("Adam beta1=1.0", lambda: Adam(beta1=1.0), "beta1", "1.0", ValueError),
    ("Adam beta2=nan", lambda: Adam(beta2=NAN), "beta2", "nan", ValueError),
    ("Adam eps=None", lambda: Adam(eps=None), "eps", "None", TypeError),
    ("Adam bias_correction='yes'", lambda: Adam(bias_correction="yes"), "bias_correction", "'yes'", TypeError),
    (
        "train rule the class Momentum",
        lambda: gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=1, rule=Momentum),
        "rule",
        "Momentum",
        TypeError,
    ),
    (
        "sgd rule the class Adam",
        lambda: sgd(linear_mse, A, X, Y, lr=0.1, batch_size=2, epochs=1, seed=0, rule=Adam),
        "rule",
        "Adam",
        TypeError,
    ),
    (
        "train rule a string",
        lambda: gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=1, rule="adam"),
        "rule",
        "'adam'",
        TypeError,
    ),
    (
        "train rule torch.optim.Adam",
        lambda: gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=1, rule=torch.optim.Adam),
        "rule",
        "Adam",
        TypeError,
    ),
    (
        "train rule a torch optimiser",
        lambda: gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=1, rule=torch.optim.SGD([A.clone()], lr=0.1)),
        "rule",
        "SGD",
        TypeError,
    ),
    ("Adam().init a list", lambda: Adam().init([0.0, 0.0]), "params", "list", TypeError),
    (
        "Momentum.step grad a list",
        lambda: Momentum(0.9).step([1.0, 2.0], Momentum(0.9).init(A), 0.1),
        "grad",
        "list",
        TypeError,
    ),
    ("Momentum.step with Adam's state", lambda: Momentum(0.9).step(A, Adam().init(A), 0.1), "state", "3", ValueError),
    ("Adam.step without a state", lambda: Adam().step(A, None, 0.1), "state", "None", TypeError),
    ("Plain.step lr=0", lambda: Plain().step(A, (), 0), "lr", "0", ValueError),
    ("RMSProp.step lr a string", lambda: RMSProp().step(A, RMSProp().init(A), "0.1"), "lr", "'0.1'", TypeError),
    (
        "Momentum.step grad of another shape",
        lambda: Momentum(0.9).step(torch.ones(3), Momentum(0.9).init(A), 0.1),
        "grad",
        "(3,)",
        ValueError,
    ),
    # learning-rate schedules
    ("constant lr=0", lambda: constant(0.0, 10), "lr", "0.0", ValueError),
    ("constant steps=0", lambda: constant(0.1, 0), "steps", "0", ValueError),
    ("constant steps=10.0", lambda: constant(0.1, 10.0), "steps", "10.0", TypeError),
    ("constant lr='0.1'", lambda: constant("0.1", 10), "lr", "'0.1'", TypeError),
    ("step_decay gamma=1.5", lambda: step_decay(0.1, 10, step_size=2, gamma=1.5), "gamma", "1.5", ValueError),
    ("step_decay gamma=0", lambda: step_decay(0.1, 10, step_size=2, gamma=0), "gamma", "0", ValueError),
    ("step_decay gamma='0.5'", lambda: step_decay(0.1, 10, step_size=2, gamma="0.5"), "gamma", "'0.5'", TypeError),
    ("step_decay gamma=True", lambda: step_decay(0.1, 10, step_size=2, gamma=True), "gamma", "True", TypeError),
    ("step_decay step_size=0", lambda: step_decay(0.1, 10, step_size=0, gamma=0.5), "step_size", "0", ValueError),
    ("step_decay step_size=2.5", lambda: step_decay(0.1, 10, step_size=2.5, gamma=0.5), "step_size", "2.5", TypeError),
    ("exponential gamma=nan", lambda: exponential(0.1, 10, gamma=NAN), "gamma", "nan", ValueError),
    ("exponential lr=-0.1", lambda: exponential(-0.1, 10, gamma=0.9), "lr", "-0.1", ValueError),
    ("exponential steps=True", lambda: exponential(0.1, True, gamma=0.9), "steps", "True", TypeError),
    ("inverse_time t0=0", lambda: inverse_time(0.1, 10, t0=0), "t0", "0", ValueError),
    ("inverse_time t0=inf", lambda: inverse_time(0.1, 10, t0=INF), "t0", "inf", ValueError),
    ("inverse_time steps=10.0", lambda: inverse_time(0.1, 10.0, t0=5), "steps", "10.0", TypeError),
    ("cosine lr_min above lr", lambda: cosine(0.1, 10, lr_min=0.2), "lr_min", "0.2", ValueError),
    ("cosine lr_min=-0.01", lambda: cosine(0.1, 10, lr_min=-0.01), "lr_min", "-0.01", ValueError),
    ("cosine lr_min='0'", lambda: cosine(0.1, 10, lr_min="0"), "lr_min", "'0'", TypeError),
    ("cosine lr_min=nan", lambda: cosine(0.1, 10, lr_min=NAN), "lr_min", "nan", ValueError),
    ("cosine steps=0", lambda: cosine(0.1, 0), "steps", "0", ValueError),
    ("cosine steps=2.5", lambda: cosine(0.1, 2.5), "steps", "2.5", TypeError),
    # choosing the learning rate
    (
        "sgd_lr_grid x list",
        lambda: sgd_lr_grid(X.tolist(), Y, A, lrs=[0.1], batch_size=2, epochs=1, seed=0),
        "x",
        "list",
        TypeError,
    ),
    (
        "sgd_lr_grid params0 list",
        lambda: sgd_lr_grid(X, Y, [0.0, 0.0], lrs=[0.1], batch_size=2, epochs=1, seed=0),
        "params0",
        "list",
        TypeError,
    ),
    (
        "sgd_lr_grid y shorter",
        lambda: sgd_lr_grid(X, Y[:9], A, lrs=[0.1], batch_size=2, epochs=1, seed=0),
        "y",
        "(9,)",
        ValueError,
    ),
    (
        "sgd_lr_grid params0 (3,)",
        lambda: sgd_lr_grid(X, Y, torch.zeros(3), lrs=[0.1], batch_size=2, epochs=1, seed=0),
        "params0",
        "(3,)",
        ValueError,
    ),
    (
        "sgd_lr_grid no examples",
        lambda: sgd_lr_grid(X[:0], Y[:0], A, lrs=[0.1], batch_size=1, epochs=1, seed=0),
        "x",
        "(0, 2)",
        ValueError,
    ),
    (
        "sgd_lr_grid y NaN",
        lambda: sgd_lr_grid(X, with_entry(Y, 1, NAN), A, lrs=[0.1], batch_size=2, epochs=1, seed=0),
        "y",
        "nan",
        ValueError,
    ),
    (
        "sgd_lr_grid lrs a number",
        lambda: sgd_lr_grid(X, Y, A, lrs=0.1, batch_size=2, epochs=1, seed=0),
        "lrs",
        "0.1",
        TypeError,
    ),
    (
        "sgd_lr_grid lrs empty",
        lambda: sgd_lr_grid(X, Y, A, lrs=[], batch_size=2, epochs=1, seed=0),
        "lrs",
        "[]",
        ValueError,
    ),
    (
        "sgd_lr_grid lrs with 0",
        lambda: sgd_lr_grid(X, Y, A, lrs=[0.1, 0.0], batch_size=2, epochs=1, seed=0),
        "lrs",
        "0.0",
        ValueError,
    ),
    (
        "sgd_lr_grid lrs with NaN",
        lambda: sgd_lr_grid(X, Y, A, lrs=[NAN], batch_size=2, epochs=1, seed=0),
        "lrs",
        "nan",
        ValueError,
    ),
    (
        "sgd_lr_grid lrs of strings",
        lambda: sgd_lr_grid(X, Y, A, lrs=["0.1"], batch_size=2, epochs=1, seed=0),
        "lrs",
        "'0.1'",
        TypeError,
    ),
    (
        "sgd_lr_grid lrs with True",
        lambda: sgd_lr_grid(X, Y, A, lrs=[True], batch_size=2, epochs=1, seed=0),
        "lrs",
        "True",
        TypeError,
    ),
    (
        "sgd_lr_grid lrs a (2, 2) tensor",
        lambda: sgd_lr_grid(X, Y, A, lrs=torch.full((2, 2), 0.1), batch_size=2, epochs=1, seed=0),
        "lrs",
        "(2, 2)",
        ValueError,
    ),
    (
        "sgd_lr_grid batch_size=0",
        lambda: sgd_lr_grid(X, Y, A, lrs=[0.1], batch_size=0, epochs=1, seed=0),
        "batch_size",
        "0",
        ValueError,
    ),
    (
        "sgd_lr_grid batch_size>n",
        lambda: sgd_lr_grid(X, Y, A, lrs=[0.1], batch_size=11, epochs=1, seed=0),
        "batch_size",
        "11",
        ValueError,
    ),
    (
        "sgd_lr_grid epochs=1.0",
        lambda: sgd_lr_grid(X, Y, A, lrs=[0.1], batch_size=2, epochs=1.0, seed=0),
        "epochs",
        "1.0",
        TypeError,
    ),
    (
        "sgd_lr_grid seed=None",
        lambda: sgd_lr_grid(X, Y, A, lrs=[0.1], batch_size=2, epochs=1, seed=None),
        "seed",
        "None",
        TypeError,
    ),
    ("excess_loss params list", lambda: excess_loss(X, Y, [1.0, 2.0]), "params", "list", TypeError),
    ("excess_loss params of ints", lambda: excess_loss(X, Y, torch.tensor([1, 2])), "params", "torch.int64", TypeError),
    ("excess_loss params (4, 3)", lambda: excess_loss(X, Y, torch.zeros(4, 3)), "params", "(4, 3)", ValueError),
    ("excess_loss params a number", lambda: excess_loss(X, Y, torch.tensor(1.0)), "params", "()", ValueError),
    ("excess_loss y shorter", lambda: excess_loss(X, Y[:9], A), "y", "(9,)", ValueError),
    ("excess_loss x numpy", lambda: excess_loss(X.numpy(), Y, A), "x", "numpy.ndarray", TypeError),
    ("excess_loss no examples", lambda: excess_loss(X[:0], Y[:0], A), "x", "(0, 2)", ValueError),
    ("excess_loss x NaN", lambda: excess_loss(with_entry(X, 2, NAN), Y, A), "x", "nan", ValueError),
    # generalisation
    ("make_curve n=1", lambda: make_curve(1), "n", "1", ValueError),
    ("make_curve n=60.0", lambda: make_curve(60.0), "n", "60.0", TypeError),
    ("make_curve noise=-0.3", lambda: make_curve(10, noise=-0.3), "noise", "-0.3", ValueError),
    ("make_curve noise=nan", lambda: make_curve(10, noise=NAN), "noise", "nan", ValueError),
    ("make_curve noise='0.3'", lambda: make_curve(10, noise="0.3"), "noise", "'0.3'", TypeError),
    ("make_curve noise=True", lambda: make_curve(10, noise=True), "noise", "True", TypeError),
    ("make_curve seed=None", lambda: make_curve(10, seed=None), "seed", "None", TypeError),
    ("make_curve seed=1.5", lambda: make_curve(10, seed=1.5), "seed", "1.5", TypeError),
    ("make_curve seed='0'", lambda: make_curve(10, seed="0"), "seed", "'0'", TypeError),
    ("split_indices seed=None", lambda: split_indices(10, validation=2, test=2, seed=None), "seed", "None", TypeError),
    ("split_indices seed=0.5", lambda: split_indices(10, validation=2, test=2, seed=0.5), "seed", "0.5", TypeError),
    (
        "split_indices validation=0",
        lambda: split_indices(10, validation=0, test=2, seed=0),
        "validation",
        "0",
        ValueError,
    ),
    (
        "split_indices nothing left to train",
        lambda: split_indices(10, validation=5, test=5, seed=0),
        "test",
        "5",
        ValueError,
    ),
    ("split_indices test=0.2", lambda: split_indices(10, validation=2, test=0.2, seed=0), "test", "0.2", TypeError),
    ("split_indices n=True", lambda: split_indices(True, validation=1, test=1, seed=0), "n", "True", TypeError),
    ("poly_features x list", lambda: poly_features([0.1, 0.2], 3), "x", "list", TypeError),
    ("poly_features x (n, 2) from make_line", lambda: poly_features(X, 3), "x", "(10, 2)", ValueError),
    ("poly_features x outside [-1, 1]", lambda: poly_features(torch.tensor([0.0, 2.0]), 3), "x", "2", ValueError),
    ("poly_features x NaN", lambda: poly_features(torch.tensor([0.0, NAN]), 3), "x", "nan", ValueError),
    ("poly_features x of ints", lambda: poly_features(torch.tensor([0, 1]), 3), "x", "torch.int64", TypeError),
    ("poly_features degree=-1", lambda: poly_features(CX, -1), "degree", "-1", ValueError),
    ("poly_features degree=3.0", lambda: poly_features(CX, 3.0), "degree", "3.0", TypeError),
    ("ridge_mse a list", lambda: ridge_mse([0.0] * 4, F, CY, 0.1), "a", "list", TypeError),
    ("ridge_mse a of another degree", lambda: ridge_mse(torch.zeros(3), F, CY, 0.1), "a", "(3,)", ValueError),
    (
        "ridge_mse float64 a, float32 x",
        lambda: ridge_mse(torch.zeros(4, dtype=torch.float64), F, CY, 0.1),
        "a",
        "torch.float64",
        TypeError,
    ),
    ("ridge_mse y shorter", lambda: ridge_mse(torch.zeros(4), F, CY[:5], 0.1), "y", "(5,)", ValueError),
    ("ridge_mse x the raw inputs", lambda: ridge_mse(torch.zeros(4), CX, CY, 0.1), "x", "(10,)", ValueError),
    (
        "ridge_mse weight_decay='0.1'",
        lambda: ridge_mse(torch.zeros(4), F, CY, "0.1"),
        "weight_decay",
        "'0.1'",
        TypeError,
    ),
    ("ridge_mse weight_decay=-1", lambda: ridge_mse(torch.zeros(4), F, CY, -1.0), "weight_decay", "-1.0", ValueError),
    ("ridge_grad weight_decay=nan", lambda: ridge_grad(torch.zeros(4), F, CY, NAN), "weight_decay", "nan", ValueError),
    (
        "ridge_grad weight_decay=True",
        lambda: ridge_grad(torch.zeros(4), F, CY, True),
        "weight_decay",
        "True",
        TypeError,
    ),
    (
        "ridge_grad float64 a, float32 x",
        lambda: ridge_grad(torch.zeros(4, dtype=torch.float64), F, CY, 0.1),
        "a",
        "torch.float64",
        TypeError,
    ),
    ("ridge_grad y NaN", lambda: ridge_grad(torch.zeros(4), F, with_entry(CY, 0, NAN), 0.1), "y", "nan", ValueError),
    ("ridge_fit no examples", lambda: ridge_fit(F[:0], CY[:0]), "x", "(0, 4)", ValueError),
    ("ridge_fit no examples with decay", lambda: ridge_fit(F[:0], CY[:0], 0.1), "x", "(0, 4)", ValueError),
    ("ridge_fit y shorter", lambda: ridge_fit(F, CY[:5]), "y", "(5,)", ValueError),
    ("ridge_fit y (10, 1)", lambda: ridge_fit(F, CY.unsqueeze(1)), "y", "(10, 1)", ValueError),
    ("ridge_fit float64 y, float32 x", lambda: ridge_fit(F, CY.double()), "y", "torch.float64", TypeError),
    ("ridge_fit float64 y, float32 x, decay", lambda: ridge_fit(F, CY.double(), 0.1), "y", "torch.float64", TypeError),
    ("ridge_fit x numpy", lambda: ridge_fit(F.numpy(), CY), "x", "numpy.ndarray", TypeError),
    ("ridge_fit x NaN", lambda: ridge_fit(with_entry(F, 5, NAN), CY), "x", "nan", ValueError),
    ("ridge_fit weight_decay=inf", lambda: ridge_fit(F, CY, INF), "weight_decay", "inf", ValueError),
    ("early_stop val_losses list", lambda: early_stop([3.0, 2.0, 2.5], 1), "val_losses", "list", TypeError),
    ("early_stop val_losses empty", lambda: early_stop(torch.tensor([]), 3), "val_losses", "(0,)", ValueError),
    ("early_stop val_losses (5, 1)", lambda: early_stop(VAL.unsqueeze(1), 1), "val_losses", "(5, 1)", ValueError),
    ("early_stop val_losses NaN", lambda: early_stop(with_entry(VAL, 2, NAN), 1), "val_losses", "nan", ValueError),
    ("early_stop patience=0", lambda: early_stop(VAL, 0), "patience", "0", ValueError),
    ("early_stop patience=2.0", lambda: early_stop(VAL, 2.0), "patience", "2.0", TypeError),
    ("early_stop patience=True", lambda: early_stop(VAL, True), "patience", "True", TypeError),
    # the noise of SGD
    ("example_gradients a list", lambda: example_gradients(X, Y, [0.0, 0.0]), "a", "list", TypeError),
    ("example_gradients x numpy", lambda: example_gradients(X.numpy(), Y, A), "x", "numpy.ndarray", TypeError),
    ("example_gradients y shorter", lambda: example_gradients(X, Y[:9], A), "y", "(9,)", ValueError),
    ("example_gradients a (3,)", lambda: example_gradients(X, Y, torch.zeros(3)), "a", "(3,)", ValueError),
    ("example_gradients no examples", lambda: example_gradients(X[:0], Y[:0], A), "x", "(0, 2)", ValueError),
    ("gradient_covariance y NaN", lambda: gradient_covariance(X, with_entry(Y, 0, NAN), A), "y", "nan", ValueError),
    ("gradient_covariance a inf", lambda: gradient_covariance(X, Y, torch.tensor([INF, 0.0])), "a", "inf", ValueError),
    ("minibatch_covariance batch_size=0", lambda: minibatch_covariance(X, Y, A, 0), "batch_size", "0", ValueError),
    ("minibatch_covariance batch_size>n", lambda: minibatch_covariance(X, Y, A, 11), "batch_size", "11", ValueError),
    ("minibatch_covariance batch_size=2.0", lambda: minibatch_covariance(X, Y, A, 2.0), "batch_size", "2.0", TypeError),
    ("minibatch_covariance y a list", lambda: minibatch_covariance(X, Y.tolist(), A, 2), "y", "list", TypeError),
    (
        "minibatch_covariance y a number",
        lambda: minibatch_covariance(X, torch.tensor(1.0), A, 1),
        "y",
        "()",
        ValueError,
    ),
    (
        "sample_minibatch_gradients seed=None",
        lambda: sample_minibatch_gradients(X, Y, A, 2, draws=3, seed=None),
        "seed",
        "None",
        TypeError,
    ),
    (
        "sample_minibatch_gradients seed=1.5",
        lambda: sample_minibatch_gradients(X, Y, A, 2, draws=3, seed=1.5),
        "seed",
        "1.5",
        TypeError,
    ),
    (
        "sample_minibatch_gradients draws=0",
        lambda: sample_minibatch_gradients(X, Y, A, 2, draws=0, seed=0),
        "draws",
        "0",
        ValueError,
    ),
    (
        "sample_minibatch_gradients batch_size=0",
        lambda: sample_minibatch_gradients(X, Y, A, 0, draws=3, seed=0),
        "batch_size",
        "0",
        ValueError,
    ),
    ("batch_indices n=0", lambda: batch_indices(0, 1, 5, [0]), "n", "0", ValueError),
    ("batch_indices batch_size not dividing n", lambda: batch_indices(10, 3, 5, [0]), "batch_size", "3", ValueError),
    ("batch_indices steps=0", lambda: batch_indices(10, 2, 0, [0]), "steps", "0", ValueError),
    ("batch_indices no seeds", lambda: batch_indices(10, 2, 5, []), "seeds", "[]", ValueError),
    ("batch_indices seeds one int", lambda: batch_indices(10, 2, 5, 0), "seeds", "0", TypeError),
    ("batch_indices seeds with None", lambda: batch_indices(10, 2, 5, [0, None]), "seeds", "None", TypeError),
    ("batch_indices seeds with 1.5", lambda: batch_indices(10, 2, 5, [1.5]), "seeds", "1.5", TypeError),
    ("batch_indices seeds a string", lambda: batch_indices(10, 2, 5, "0"), "seeds", "'0'", TypeError),
    (
        "batch_indices reshuffle='no'",
        lambda: batch_indices(10, 2, 5, [0], reshuffle="no"),
        "reshuffle",
        "'no'",
        TypeError,
    ),
    ("sgd_paths batches a list", lambda: sgd_paths(X, Y, A, lr=0.1, batches=BI.tolist()), "batches", "list", TypeError),
    (
        "sgd_paths batches of floats",
        lambda: sgd_paths(X, Y, A, lr=0.1, batches=BI.float()),
        "batches",
        "torch.float32",
        TypeError,
    ),
    (
        "sgd_paths batches (steps, b)",
        lambda: sgd_paths(X, Y, A, lr=0.1, batches=BI[:, 0]),
        "batches",
        "(5, 2)",
        ValueError,
    ),
    (
        "sgd_paths batch index past n",
        lambda: sgd_paths(X, Y, A, lr=0.1, batches=with_entry(BI, 3, 10)),
        "batches",
        "10",
        ValueError,
    ),
    (
        "sgd_paths batch index negative",
        lambda: sgd_paths(X, Y, A, lr=0.1, batches=with_entry(BI, 3, -1)),
        "batches",
        "-1",
        ValueError,
    ),
    (
        "sgd_paths empty batches",
        lambda: sgd_paths(X, Y, A, lr=0.1, batches=BI[:, :, :0]),
        "batches",
        "(5, 1, 0)",
        ValueError,
    ),
    ("sgd_paths no steps", lambda: sgd_paths(X, Y, A, lr=0.1, batches=BI[:0]), "batches", "(0, 1, 2)", ValueError),
    ("sgd_paths lr=0", lambda: sgd_paths(X, Y, A, lr=0, batches=BI), "lr", "0", ValueError),
    ("sgd_paths lr='0.1'", lambda: sgd_paths(X, Y, A, lr="0.1", batches=BI), "lr", "'0.1'", TypeError),
    ("sgd_paths lr a list", lambda: sgd_paths(X, Y, A, lr=[0.1] * 5, batches=BI), "lr", "list", TypeError),
    (
        "sgd_paths lr of the wrong length",
        lambda: sgd_paths(X, Y, A, lr=torch.full((4,), 0.1), batches=BI),
        "lr",
        "(4,)",
        ValueError,
    ),
    (
        "sgd_paths lr with a 0",
        lambda: sgd_paths(X, Y, A, lr=with_entry(torch.full((5,), 0.1), 3, 0.0), batches=BI),
        "lr",
        "0.0",
        ValueError,
    ),
    (
        "sgd_paths lr with NaN",
        lambda: sgd_paths(X, Y, A, lr=with_entry(torch.full((5,), 0.1), 3, NAN), batches=BI),
        "lr",
        "nan",
        ValueError,
    ),
    ("sgd_paths a0 list", lambda: sgd_paths(X, Y, [0.0, 0.0], lr=0.1, batches=BI), "a0", "list", TypeError),
    ("sgd_paths a0 (3,)", lambda: sgd_paths(X, Y, torch.zeros(3), lr=0.1, batches=BI), "a0", "(3,)", ValueError),
    ("noise_ball x list", lambda: noise_ball(X.tolist(), Y, lr=0.1, batch_size=2), "x", "list", TypeError),
    ("noise_ball y NaN", lambda: noise_ball(X, with_entry(Y, 0, NAN), lr=0.1, batch_size=2), "y", "nan", ValueError),
    ("noise_ball y shorter", lambda: noise_ball(X, Y[:9], lr=0.1, batch_size=2), "y", "(9,)", ValueError),
    ("noise_ball no examples", lambda: noise_ball(X[:0], Y[:0], lr=0.1, batch_size=1), "x", "(0, 2)", ValueError),
    ("noise_ball batch_size=0", lambda: noise_ball(X, Y, lr=0.1, batch_size=0), "batch_size", "0", ValueError),
    ("noise_ball batch_size=2.0", lambda: noise_ball(X, Y, lr=0.1, batch_size=2.0), "batch_size", "2.0", TypeError),
    ("noise_ball lr=nan", lambda: noise_ball(X, Y, lr=NAN, batch_size=2), "lr", "nan", ValueError),
    (
        "noise_ball lr above the stability bound",
        lambda: noise_ball(X, Y, lr=5.0, batch_size=2),
        "lr",
        "5.0",
        ValueError,
    ),
    ("running_average params list", lambda: running_average([[0.0, 1.0]]), "params", "list", TypeError),
    ("running_average params a number", lambda: running_average(torch.tensor(1.0)), "params", "()", ValueError),
    ("running_average no steps", lambda: running_average(torch.zeros(0, 2)), "params", "(0, 2)", ValueError),
    (
        "running_average start past the end",
        lambda: running_average(torch.zeros(5, 2), start=5),
        "start",
        "5",
        ValueError,
    ),
    ("running_average start=-1", lambda: running_average(torch.zeros(5, 2), start=-1), "start", "-1", ValueError),
    ("running_average start=1.0", lambda: running_average(torch.zeros(5, 2), start=1.0), "start", "1.0", TypeError),
    (
        "running_average params NaN",
        lambda: running_average(with_entry(torch.zeros(5, 2), 3, NAN)),
        "params",
        "nan",
        ValueError,
    ),
    # a rule of one's own: what init and step return is checked once, against the protocol
    ("train rule.step returning the step alone", lambda: train_with(StepOnly()), "rule.step", "tensor", TypeError),
    ("train rule.step of another shape", lambda: train_with(Widening()), "rule.step", "(3,)", ValueError),
    ("train rule.step returning a list state", lambda: train_with(ListState()), "rule.step", "list", TypeError),
    ("train rule.init returning a tensor", lambda: train_with(TensorInit()), "rule.init", "tensor", TypeError),
    # state tuples: their items, not only their length
    ("Momentum.step state with None", lambda: Momentum(0.9).step(A, (None,), 0.1), "state[0]", "None", TypeError),
    (
        "Adam.step state with a mis-shaped count",
        lambda: Adam().step(A, (torch.zeros(2), torch.zeros(2), torch.zeros(2)), 0.1),
        "state[2]",
        "(2,)",
        ValueError,
    ),
    (
        "RMSProp.step state a list in a tuple",
        lambda: RMSProp().step(A, ([0.0, 0.0],), 0.1),
        "state[0]",
        "list",
        TypeError,
    ),
    (
        "History batches of strings",
        lambda: History(GD.params[:3], GD.losses_before[:2], ("a", "b"), 0.1),
        "batches",
        "'a'",
        TypeError,
    ),
    # torch.optim's names for the rules' arguments
    ("Momentum(momentum=0.9)", lambda: Momentum(momentum=0.9), "momentum", "0.9", TypeError),
    ("Adam(lr=0.01)", lambda: Adam(lr=0.01), "lr", "0.01", TypeError),
    ("RMSProp(lr=0.01)", lambda: RMSProp(lr=0.01), "lr", "0.01", TypeError),
    ("Momentum(0.9, lr=0.1)", lambda: Momentum(0.9, lr=0.1), "lr", "0.1", TypeError),
    ("Adam(betas=(0.9, 0.99))", lambda: Adam(betas=(0.9, 0.99)), "betas", "(0.9, 0.99)", TypeError),
    ("Adam(amsgrad=True)", lambda: Adam(amsgrad=True), "amsgrad", "True", TypeError),
    ("Plain(lr=0.1)", lambda: Plain(lr=0.1), "lr", "0.1", TypeError),
    (
        "sgd(momentum=0.9)",
        lambda: sgd(linear_mse, A, X, Y, lr=0.1, batch_size=2, epochs=1, seed=0, momentum=0.9),
        "momentum",
        "0.9",
        TypeError,
    ),
    (
        "gd(weight_decay=0.1)",
        lambda: gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=1, weight_decay=0.1),
        "weight_decay",
        "0.1",
        TypeError,
    ),
    (
        "train(betas=(0.9, 0.99))",
        lambda: train(linear_mse, A, X, Y, lr=0.1, batches=[torch.arange(10)], betas=(0.9, 0.99)),
        "betas",
        "(0.9, 0.99)",
        TypeError,
    ),
    # sizes that cannot fit in memory, refused before anything is allocated
    ("make_line n=10**12", lambda: make_line(10**12), "n", "1000000000000", ValueError),
    ("make_curve n=10**12", lambda: make_curve(10**12), "n", "1000000000000", ValueError),
    ("make_two_classes n=10**12", lambda: make_two_classes(10**12), "n", "1000000000000", ValueError),
    ("epoch_batches n=10**12", lambda: epoch_batches(10**12, 1, 1, seed=0), "n", "1000000000000", ValueError),
    (
        "sgd epochs=10**13",
        lambda: sgd(linear_mse, A, X, Y, lr=0.1, batch_size=2, epochs=10**13, seed=0),
        "epochs",
        "10000000000000",
        ValueError,
    ),
    (
        "gd steps=10**13",
        lambda: gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=10**13),
        "steps",
        "10000000000000",
        ValueError,
    ),
    (
        "loss_grid a 10**6 x 10**6 grid",
        lambda: loss_grid(X, Y, (0.0, 1.0), (0.0, 1.0), num=10**6),
        "num",
        "1000000",
        ValueError,
    ),
    (
        "plot_loss_contours a 10**6 x 10**6 grid",
        lambda: plot_loss_contours(ax(), X, Y, (0.0, 1.0), (0.0, 1.0), num=10**6),
        "num",
        "1000000",
        ValueError,
    ),
    ("constant steps=10**13", lambda: constant(0.1, 10**13), "steps", "10000000000000", ValueError),
    ("batch_indices steps=10**13", lambda: batch_indices(10, 2, 10**13, [0]), "steps", "10000000000000", ValueError),
    (
        "sample_minibatch_gradients draws=10**12",
        lambda: sample_minibatch_gradients(X, Y, A, 2, draws=10**12, seed=0),
        "draws",
        "1000000000000",
        ValueError,
    ),
    (
        "sgd_lr_grid epochs=10**13",
        lambda: sgd_lr_grid(X, Y, A, lrs=[0.1], batch_size=2, epochs=10**13, seed=0),
        "epochs",
        "10000000000000",
        ValueError,
    ),
    (
        "split_indices n=10**13",
        lambda: split_indices(10**13, validation=2, test=2, seed=0),
        "n",
        "10000000000000",
        ValueError,
    ),
    ("poly_features degree=10**12", lambda: poly_features(CX, 10**12), "degree", "1000000000000", ValueError),
    ("init_params a 10**6 x 10**6 layer", lambda: init_params((10**6, 10**6), seed=0), "sizes", "1000000", ValueError),
    (
        "confusion_matrix classes=10**7",
        lambda: confusion_matrix(LABELS, LABELS, 10**7),
        "classes",
        "10000000",
        ValueError,
    ),
    (
        "explorer_data steps=10**12",
        lambda: explorer_data(X, Y, batch_sizes=(1, 10), steps=10**12),
        "steps",
        "1000000000000",
        ValueError,
    ),
    # devices: every kind is checked as CUDA is
    ("init_params on='mps'", lambda: init_params(SIZES, seed=0, on="mps"), "on", "'mps'", ValueError),
    ("init_params on='xpu'", lambda: init_params(SIZES, seed=0, on="xpu"), "on", "'xpu'", ValueError),
    ("load_digits_split on='ipu'", lambda: load_digits_split(on="ipu"), "on", "'ipu'", ValueError),
    ("init_params on='meta'", lambda: init_params(SIZES, seed=0, on="meta"), "on", "'meta'", ValueError),
    ("init_params on='cuda:7'", lambda: init_params(SIZES, seed=0, on="cuda:7"), "on", "'cuda:7'", ValueError),
    # numbers that overflow or underflow: refused with the reason, never returned as nan or 0.0
    ("max_stable_lr x.T @ x overflows", lambda: max_stable_lr(X * 1e20), "x", "1e+20", ValueError),
    ("hessian_linear_mse x.T @ x overflows", lambda: hessian_linear_mse(X * 1e20), "x", "1e+20", ValueError),
    ("condition_number x.T @ x overflows", lambda: condition_number(X * 1e20), "x", "1e+20", ValueError),
    ("ridge_fit x.T @ x overflows", lambda: ridge_fit(F * 1e20, CY, 0.1), "x", "e+20", ValueError),
    (
        "noise_ball x.T @ x overflows in float64",
        lambda: noise_ball(X.double() * 1e160, Y, lr=0.1, batch_size=2),
        "x",
        "e+160",
        ValueError,
    ),
    ("mse_grad that overflows", lambda: mse_grad(torch.ones(2), X * 1e20, Y), "x and a", "nan", ValueError),
    ("ridge_grad that overflows", lambda: ridge_grad(torch.ones(4), F * 1e20, CY, 0.1), "x and a", "nan", ValueError),
    (
        "logistic_grad that overflows",
        lambda: logistic_grad(torch.zeros(3), XC * 1e38, YC),
        "x and w",
        "inf",
        ValueError,
    ),
    (
        "plot_loss_contours a loss that overflows",
        lambda: plot_loss_contours(ax(), X * 1e20, Y, (0.0, 1.0), (0.0, 1.0), num=3),
        "x and y",
        "inf",
        ValueError,
    ),
    ("exponential rates that underflow", lambda: exponential(0.1, 1000, gamma=0.1), "steps", "1000", ValueError),
    (
        "step_decay rates that underflow",
        lambda: step_decay(0.1, 10000, step_size=10, gamma=0.01),
        "steps",
        "10000",
        ValueError,
    ),
    (
        "sgd_paths a rate of 0",
        lambda: sgd_paths(X, Y, A, lr=torch.tensor([0.1, 0.1, 0.0, 0.1, 0.1]), batches=BI),
        "lr",
        "0.0 at step 2",
        ValueError,
    ),
    # singular problems: said, with the reason
    (
        "explorer_data every input equal",
        lambda: explorer_data(torch.stack([torch.full((10,), 0.5), torch.ones(10)], 1), Y, batch_sizes=(1, 10)),
        "x",
        "0.5",
        ValueError,
    ),
    (
        "ridge_fit intercept column of zeros",
        lambda: ridge_fit(torch.cat([F[:, :-1], torch.zeros(10, 1)], 1), CY, 0.1),
        "x",
        "zeros",
        ValueError,
    ),
    # items inside containers, and values shown as given
    ("explorer_data a0 of a string", lambda: explorer_data(X, Y, a0=("a", 1)), "a0", "'a'", TypeError),
    ("explorer_data a0 with None", lambda: explorer_data(X, Y, a0=(None, 1.0)), "a0", "None", TypeError),
    ("make_line a a (1, 2) array", lambda: make_line(10, np.array([[3.0, 2.0]])), "a", "(1, 2)", ValueError),
    ("batch_indices seeds a set", lambda: batch_indices(10, 2, 5, {0, 1}), "seeds", "set", TypeError),
    ("plot_params names with None", lambda: plot_params(ax(), GD, names=("a", None)), "names", "None", TypeError),
    ("Movie frames with a string", lambda: movie(frames=[0, "1"]), "frames", "'1'", TypeError),
    ("layer_shapes sizes with None", lambda: layer_shapes((64, None, 10)), "sizes", "None", TypeError),
    (
        "sgd_lr_grid lrs with None",
        lambda: sgd_lr_grid(X, Y, A, lrs=[0.1, None], batch_size=2, epochs=1, seed=0),
        "lrs",
        "None",
        TypeError,
    ),
    (
        "poly_features x just above 1",
        lambda: poly_features(torch.tensor([0.0, 1.0000001]), 3),
        "x",
        "1.0000001",
        ValueError,
    ),
]


def check_message(message: str, arg: str, given: str) -> None:
    """``arg``, then "must", then "got", then ``given``: the argument, what was expected, what was given."""
    named = re.search(rf"(?<![\w.]){re.escape(arg)}(?!\w)", message)
    assert named, f"the message does not name the argument {arg!r}: {message!r}"
    must = message.find(" must ", named.start())
    assert must > 0, f"the message does not say what {arg} must be: {message!r}"
    got = message.find("got ", must)
    assert got > 0, f"the message does not say what was given (no 'got' after 'must'): {message!r}"
    assert given in message[got:], f"the message does not show what was given ({given!r}) after 'got': {message!r}"


# The modules whose every public function the table tries; a module added to it must bring its cases.
TABLED = {
    "data",
    "losses",
    "training",
    "plots",
    "animation",
    "explorer",
    "stability",
    "momentum",
    "classification",
    "networks",
    "updates",
    "generalisation",
    "tuning",
    "noise",
    "schedules",
}


def test_the_table_covers_the_public_api_of_its_modules():
    from lesson_code import _EXPORTS

    called = {name for case in CASES for name in case[1].__code__.co_names} | {"Movie"}  # Movie: through movie()
    public = {name for name, module in _EXPORTS.items() if module in TABLED}
    public |= {
        name
        for name, value in vars(schedules).items()  # not re-exported: imported from lesson_code.schedules
        if inspect.isfunction(value) and value.__module__ == schedules.__name__ and not name.startswith("_")
    }
    public -= {"DivergenceError", "Digits", "device", "EarlyStop", "Split"}  # nothing to pass them that could be wrong
    assert public <= called, f"no bad input tried for {sorted(public - called)}"
    assert len(CASES) >= 100


@pytest.mark.parametrize(
    ("call", "arg", "given", "error"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_input_is_refused_clearly(call, arg, given, error):
    with pytest.raises(Exception) as raised:
        call()
    assert type(raised.value) is error, f"expected {error.__name__}, got {type(raised.value).__name__}: {raised.value}"
    check_message(str(raised.value), arg, given)


FIXES = {"list": "pass torch.tensor(", "numpy.ndarray": "pass torch.from_numpy(", "torch.int64": ".float()"}
NOT_DATA = ("ax", "batches", "predicted", "rule.init", "rule.step", "state[0]")  # a list there is not data
DATA_OF_A_WRONG_TYPE = [case for case in CASES if case[3] in FIXES and case[2] not in NOT_DATA]


@pytest.mark.parametrize(
    ("call", "arg", "given", "error"),
    [case[1:] for case in DATA_OF_A_WRONG_TYPE],
    ids=[case[0] for case in DATA_OF_A_WRONG_TYPE],
)
def test_a_wrong_type_of_data_says_what_to_pass_instead(call, arg, given, error):
    with pytest.raises(error) as raised:
        call()
    assert FIXES[given] in str(raised.value), f"no {FIXES[given]!r} in {str(raised.value)!r}"


def test_mixed_float32_and_float64_is_refused_with_the_fix():
    with pytest.raises(TypeError) as raised:
        gradient_descent(linear_mse, A, X.double(), Y.double(), lr=0.1, steps=1)
    assert "pass params0.double()" in str(raised.value)
    with pytest.raises(TypeError) as raised:
        least_squares(X, Y.double())
    assert "pass y.float()" in str(raised.value)


# -- the edge cases that must work, and give the right numbers ------------------------------


def test_an_exact_fit_gives_the_exact_parameters():
    x = torch.tensor([[-1.0, 1.0], [0.0, 1.0], [0.5, 1.0], [2.0, 1.0]], dtype=torch.float64)
    y = x @ torch.tensor([3.0, -2.0], dtype=torch.float64)  # y = 3x - 2 exactly, no noise
    best = least_squares(x, y)
    torch.testing.assert_close(best, torch.tensor([3.0, -2.0], dtype=torch.float64), rtol=0, atol=1e-12)
    assert float(linear_mse(best, x, y)) < 1e-24


def test_contours_of_an_exact_fit_are_drawn_although_the_least_loss_is_zero():
    x = torch.tensor([[-1.0, 1.0], [1.0, 1.0]])
    y = x @ torch.tensor([1.0, 0.5])  # the grid below passes through the exact fit (1, 0.5), loss 0
    _, _, loss = loss_grid(x, y, (0.0, 2.0), (-0.5, 1.5), num=5)
    assert float(loss.min()) == 0.0
    contours = plot_loss_contours(ax(), x, y, (0.0, 2.0), (-0.5, 1.5), num=5, levels=4)
    levels = contours.levels
    assert len(levels) == 4 and levels[0] > 0 and np.all(np.diff(levels) > 0)
    assert math.isclose(levels[-1], float(loss.max()), rel_tol=1e-6)


def test_a_loss_curve_that_reaches_zero_is_drawn_on_a_log_scale():
    losses = torch.tensor([4.0, 1.0, 0.25, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning either
        line = plot_loss(ax(), losses)
    np.testing.assert_array_equal(line.get_ydata(), losses.numpy())
    assert line.axes.get_yscale() == "log"


def test_one_example_is_enough():
    x, y = torch.tensor([[2.0, 1.0]]), torch.tensor([3.0])
    a0 = torch.zeros(2)
    run = gradient_descent(linear_mse, a0, x, y, lr=0.05, steps=1)
    # by hand: the gradient is 2 x^T (x a - y) = 2 (2, 1) (0 - 3) = (-12, -6)
    torch.testing.assert_close(run.final, torch.tensor([0.6, 0.3]))
    one = sgd(linear_mse, a0, x, y, lr=0.05, batch_size=1, epochs=3, seed=0)
    full = gradient_descent(linear_mse, a0, x, y, lr=0.05, steps=3)
    assert torch.equal(one.params, full.params)
    assert [b.tolist() for b in epoch_batches(1, 1, 2, seed=0)] == [[0], [0]]
    assert steps_per_epoch(1, 1) == 1
    # one example and one parameter: the exact fit y / x
    torch.testing.assert_close(least_squares(torch.tensor([[2.0]]), torch.tensor([3.0])), torch.tensor([1.5]))
    assert max_stable_lr(torch.tensor([[2.0]])) == pytest.approx(2 / (2 * 4.0))  # H = 2 x^2 = 8


def test_a_batch_of_all_the_data_is_gradient_descent():
    x, y = make_line(12, seed=3)
    a0 = torch.tensor([-1.0, 1.0])
    full = sgd(linear_mse, a0, x, y, lr=0.1, batch_size=12, epochs=4, seed=5)
    gd = gradient_descent(linear_mse, a0, x, y, lr=0.1, steps=4)
    torch.testing.assert_close(full.params, gd.params, rtol=1e-6, atol=1e-6)
    assert all(sorted(b.tolist()) == list(range(12)) for b in full.batches)
    assert steps_per_epoch(12, 12) == 1


def test_mixed_float32_and_float64_in_mse_works_in_float64():
    y_hat, y = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 2.5], dtype=torch.float64)
    loss = mse(y_hat, y)
    assert loss.dtype == torch.float64 and float(loss) == 0.25


def test_float64_throughout_works_and_agrees_with_float32():
    x, y = make_line(20, seed=0)
    a0 = torch.tensor([-1.0, 1.0])
    run32 = gradient_descent(linear_mse, a0, x, y, lr=0.1, steps=10)
    run64 = gradient_descent(linear_mse, a0.double(), x.double(), y.double(), lr=0.1, steps=10)
    assert run64.params.dtype == torch.float64
    torch.testing.assert_close(run64.params.float(), run32.params, rtol=1e-5, atol=1e-5)
    assert loss_path(linear_mse, run64, x.double(), y.double()).dtype == torch.float64


def test_whole_numbers_from_numpy_are_counts_and_seeds():
    assert torch.equal(make_line(np.int64(10), seed=np.int64(4))[0], make_line(10, seed=4)[0])
    assert steps_per_epoch(np.int64(10), np.int32(3)) == 4


def test_a_diverging_run_still_says_so():
    x, y = make_line(20, seed=0)
    run = gradient_descent(linear_mse, torch.zeros(2), x, y, lr=100.0, steps=200, raise_on_divergence=False)
    assert run.diverged_at is not None
    path = loss_path(linear_mse, run, x, y)
    assert not math.isfinite(float(path[-1]))  # the parameters that overflowed are not refused
    xc, yc = make_two_classes(20, seed=0)
    assert not math.isfinite(float(logistic_loss(torch.tensor([INF, 0.0, 0.0]), xc, yc)))
    assert float(logistic_loss(torch.zeros(3), xc, yc)) == pytest.approx(math.log(2))  # sigma(0) = 1/2


def test_an_animation_with_fewer_steps_than_every_shows_the_start_and_the_end():
    run = gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=3)
    assert list(fit_animation(X, Y, run, every=10).frames) == [0, 3]


def test_the_argument_checks_accept_a_device_by_name():
    assert init_params(SIZES, seed=0, on="cpu").device.type == "cpu"
    assert torch.equal(init_params(SIZES, seed=0, on="cpu"), P)


def test_mlp_loss_is_a_loss_fn_on_one_example():
    loss = partial(mlp_loss, sizes=SIZES)(P, XD[:1], YD[:1])
    expected = torch.nn.functional.cross_entropy(mlp_logits(P, XD[:1], SIZES), LABELS[:1])
    torch.testing.assert_close(loss, expected)


def test_large_finite_data_whose_sum_overflows_is_not_taken_for_infinite():
    y = torch.full((3,), 3e38)  # finite in float32, but the sum, 9e38, is not
    assert float(mse(y, y)) == 0.0
    with pytest.raises(ValueError, match="y must be finite, got inf at index 2"):
        mse(y, with_entry(y, 2, INF))


def test_a_torch_optimiser_for_rule_is_not_told_to_call_it():
    for rule in (torch.optim.Adam, torch.optim.SGD([A.clone()], lr=0.1)):
        with pytest.raises(TypeError) as raised:
            gradient_descent(linear_mse, A, X, Y, lr=0.1, steps=1, rule=rule)
        assert "call it" not in str(raised.value) and "lesson_code.updates" in str(raised.value)


# -- edge cases of the update rules, schedules, grid, generalisation and noise ----------------


def test_every_schedule_starts_at_lr_and_a_run_of_one_step_is_that_rate():
    for rates in (
        constant(0.3, 1),
        step_decay(0.3, 1, step_size=5, gamma=0.5),
        exponential(0.3, 1, gamma=0.5),
        inverse_time(0.3, 1, t0=2),
        cosine(0.3, 1),
        cosine(0.3, 1, lr_min=0.1),
    ):
        assert rates.tolist() == [0.3]  # step 0: gamma ** 0 = 1, 1 / (1 + 0) = 1, (1 + cos 0) / 2 = 1
    assert step_decay(0.3, 4, step_size=10, gamma=0.5).tolist() == [0.3] * 4  # no decay before step_size steps
    x, y = X.double(), Y.double()
    one = sgd_paths(x, y, A, lr=cosine(0.3, 1), batches=batch_indices(10, 10, 1, [0]))
    by_hand = A.double() - 0.3 * 2 / 10 * x.T @ (x @ A.double() - y)  # one full-batch step from A
    torch.testing.assert_close(one[-1, 0], by_hand, rtol=1e-12, atol=1e-12)


def test_a_batch_of_all_the_data_has_no_noise_and_takes_the_steps_of_gradient_descent():
    x, y = make_line(12, seed=3)
    a = torch.tensor([0.5, -0.5])
    assert torch.equal(minibatch_covariance(x, y, a, 12), torch.zeros(2, 2, dtype=torch.float64))
    full = mse_grad(a.double(), x.double(), y.double())  # the hand-derived gradient of the MSE on all the data
    torch.testing.assert_close(
        sample_minibatch_gradients(x, y, a, 12, draws=3, seed=0), full.expand(3, -1), rtol=1e-12, atol=1e-12
    )
    batches = batch_indices(12, 12, 4, [0, 1])
    assert all(sorted(batch.tolist()) == list(range(12)) for batch in batches.reshape(-1, 12))
    paths = sgd_paths(x, y, a, lr=0.1, batches=batches)
    gd = gradient_descent(linear_mse, a.double(), x.double(), y.double(), lr=0.1, steps=4)
    for run in range(2):
        torch.testing.assert_close(paths[:, run], gd.params, rtol=1e-12, atol=1e-12)


def test_one_example_has_no_gradient_noise():
    x, y, a = torch.tensor([[2.0, 1.0]]), torch.tensor([3.0]), torch.zeros(2)
    torch.testing.assert_close(example_gradients(x, y, a), torch.tensor([[-12.0, -6.0]], dtype=torch.float64))
    assert torch.equal(minibatch_covariance(x, y, a, 1), torch.zeros(2, 2, dtype=torch.float64))
    assert torch.equal(gradient_covariance(x, y, a), torch.zeros(2, 2, dtype=torch.float64))


def test_the_smallest_split_the_shortest_curve_and_the_last_start():
    split = split_indices(3, validation=1, test=1, seed=0)
    assert sorted(torch.cat(split).tolist()) == [0, 1, 2] and all(len(part) == 1 for part in split)
    assert early_stop(torch.tensor([2.0]), 5) == (0, 0)
    path = torch.arange(10.0).reshape(5, 2)
    assert torch.equal(running_average(path, start=4), path[4:].double())
    torch.testing.assert_close(running_average(path)[-1], path.double().mean(dim=0))


def test_degree_0_is_the_intercept_alone_and_its_ridge_fit_is_the_mean():
    features = poly_features(CX.double(), 0)
    assert torch.equal(features, torch.ones(10, 1, dtype=torch.float64))
    for alpha in (0.0, 0.5):  # the intercept is not decayed: the best constant is the mean
        torch.testing.assert_close(ridge_fit(features, CY.double(), alpha), CY.double().mean().reshape(1))


def test_mixed_float32_and_float64_in_the_noise_and_grid_functions_work_in_float64():
    a = torch.tensor([0.5, -0.5])
    mixed = example_gradients(X, Y.double(), a)
    assert mixed.dtype == torch.float64
    assert torch.equal(mixed, example_gradients(X.double(), Y.double(), a.double()))
    grid = sgd_lr_grid(X, Y.double(), a, lrs=[0.1], batch_size=10, epochs=2, seed=0)
    gd = gradient_descent(linear_mse, a.double(), X.double(), Y.double(), lr=0.1, steps=2)
    torch.testing.assert_close(grid[:, 0], gd.params, rtol=1e-12, atol=1e-12)  # batches of all: no shuffling matters
    at_best = excess_loss(X, Y, least_squares(X.double(), Y.double()))  # two solves agree to rounding: ~1e-30
    assert at_best.dtype == torch.float64 and at_best.shape == () and 0 <= float(at_best) < 1e-20


def test_seeds_from_numpy_and_a_range_are_the_same_seeds():
    assert torch.equal(batch_indices(10, 2, 6, np.arange(3)), batch_indices(10, 2, 6, range(3)))
    assert torch.equal(make_curve(10, seed=np.int64(2))[1], make_curve(10, seed=2)[1])
    assert torch.equal(
        split_indices(10, validation=2, test=2, seed=np.int32(1)).train,
        split_indices(10, validation=2, test=2, seed=1).train,
    )


def test_a_rule_steps_by_hand_from_its_init():
    g = torch.tensor([1.0, -2.0])
    step, state = Momentum(0.9).step(g, Momentum(0.9).init(A), 0.1)
    torch.testing.assert_close(step, -0.1 * g)  # the velocity starts at zero
    step, _ = Momentum(0.9).step(g, state, 0.1)
    torch.testing.assert_close(step, 0.9 * (-0.1 * g) - 0.1 * g)
    step, _ = Adam().step(g, Adam().init(A), 0.1)  # bias-corrected first step: -lr * g / (|g| + eps)
    torch.testing.assert_close(step, -0.1 * g / (g.abs() + 1e-8))
    assert Plain().step(g, Plain().init(A), 0.1)[0].tolist() == pytest.approx([-0.1, 0.2])


# -- one rule for array-likes: settings given together are any ordered sequence ------------------


def test_settings_given_together_are_any_ordered_sequence():
    """Lists, tuples, ranges and 1-D tensors or NumPy arrays give the same results (see lesson_code.checks)."""
    for a in ([3.0, 2.0], np.array([3.0, 2.0]), torch.tensor([3.0, 2.0]), np.array([3, 2])):
        assert torch.equal(make_line(10, a, seed=0)[1], make_line(10, (3.0, 2.0), seed=0)[1])
    for seeds in ([0, 1, 2], np.arange(3), torch.arange(3), range(3)):
        assert torch.equal(batch_indices(10, 2, 4, seeds), batch_indices(10, 2, 4, (0, 1, 2)))
    for sizes in ([64, 4, 10], np.array([64, 4, 10]), torch.tensor([64, 4, 10])):
        assert layer_shapes(sizes) == layer_shapes(SIZES) and torch.equal(init_params(sizes, seed=0, on="cpu"), P)
    for lrs in ([0.1, 0.3], np.array([0.1, 0.3]), torch.tensor([0.1, 0.3], dtype=torch.float64)):
        grid = sgd_lr_grid(X, Y, A, lrs=lrs, batch_size=5, epochs=2, seed=0)
        assert torch.equal(grid, sgd_lr_grid(X, Y, A, lrs=(0.1, 0.3), batch_size=5, epochs=2, seed=0))
    for span in ([0.0, 1.0], np.array([0.0, 1.0]), torch.tensor([0.0, 1.0])):
        assert torch.equal(loss_grid(X, Y, span, span, num=3)[2], loss_grid(X, Y, (0.0, 1.0), (0.0, 1.0), num=3)[2])
        assert list(plot_line(ax(), A, xlim=span).get_xdata()) == [0.0, 1.0]
    small = {"batch_sizes": (5, 10), "steps": 2}
    reference = explorer_data(X, Y, lrs=(0.1, 0.3), seeds=(0, 1), a0=(-1.0, 1.0), **small)
    for lrs, seeds, a0 in (
        (np.array([0.1, 0.3]), np.arange(2), np.array([-1.0, 1.0])),
        (torch.tensor([0.1, 0.3], dtype=torch.float64), torch.arange(2), torch.tensor([-1.0, 1.0])),
    ):
        assert explorer_data(X, Y, lrs=lrs, seeds=seeds, a0=a0, **small) == reference
    assert len(plot_params(ax(), GD, names=np.array(["slope", "intercept"]))) == 2


def test_data_given_as_a_list_or_an_array_is_refused_with_the_fix_everywhere():
    """Data and parameters are tensors only: the table holds a list or an array of them for every module."""
    refused = {case[0].split()[0] for case in DATA_OF_A_WRONG_TYPE}
    assert len(refused) >= 25, sorted(refused)
