"""Many parameters, one vector: a softmax classifier and a small multilayer perceptron for the 8x8 digits.

The book's training loop updates one parameter vector.
A network keeps its weights in that vector, in the order and shapes ``torch.nn.Linear``
uses, and `unflatten` cuts it into weight matrices and bias vectors when the network runs.
Taught in {ref}`ch-scaling-up`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from lesson_code.checks import (
    check_between,
    check_count,
    check_device,
    check_fits,
    check_items,
    check_same_dtype,
    check_seed,
    check_shape,
    check_tensor,
    describe,
)


def device() -> torch.device:
    """The one place the book chooses where tensors live: the GPU if there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class Digits:
    """The 8x8 digits, split into training and test examples.

    Attributes:
        x_train, x_test: ``(n, 64)`` pixel intensities scaled to ``[0, 1]``.
        y_train, y_test: ``(n, 10)`` one-hot targets: row ``i`` has a 1 in the column of its digit.
        labels_train, labels_test: ``(n,)`` the digits themselves, 0 to 9.
    """

    x_train: Tensor
    y_train: Tensor
    labels_train: Tensor
    x_test: Tensor
    y_test: Tensor
    labels_test: Tensor


def load_digits_split(
    *,
    test_fraction: float = 0.25,
    seed: int = 0,
    on: torch.device | None = None,
) -> Digits:
    """The 1797 handwritten digits of scikit-learn (no download), shuffled and split from ``seed``."""
    check_between("test_fraction", test_fraction, 0.0, 1.0, include_low=False)
    seed = check_seed("seed", seed)
    on = check_device("on", on)
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0  # (1797, 64): intensities 0..16 -> [0, 1]
    labels = torch.tensor(data.target, dtype=torch.long)  # (1797,)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    n_test = round(test_fraction * len(labels))
    if not 0 < n_test < len(labels):
        raise ValueError(
            f"test_fraction must leave at least one example in each part, got {test_fraction!r} "
            f"({n_test} of {len(labels)} examples for testing)"
        )
    test, train = order[:n_test], order[n_test:]
    on = on if on is not None else device()
    one_hot = torch.nn.functional.one_hot(labels, 10).float()
    return Digits(
        x[train].to(on),
        one_hot[train].to(on),
        labels[train].to(on),
        x[test].to(on),
        one_hot[test].to(on),
        labels[test].to(on),
    )


def _check_sizes(sizes: Sequence[int]) -> list[int]:
    items = check_items("sizes", sizes, "a sequence of layer widths such as (64, 32, 10)")
    if len(items) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {tuple(items)}")
    return [check_count(f"sizes[{i}]", s, 1) for i, s in enumerate(items)]


def layer_shapes(sizes: Sequence[int]) -> list[tuple[int, ...]]:
    """The shapes of the weights and biases for layer widths ``sizes``, as ``torch.nn.Linear`` keeps them.

    ``(64, 32, 10)`` gives ``[(32, 64), (32,), (10, 32), (10,)]``.
    """
    sizes = _check_sizes(sizes)
    shapes: list[tuple[int, ...]] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        shapes += [(fan_out, fan_in), (fan_out,)]
    return shapes


def count_params(sizes: Sequence[int]) -> int:
    """How many numbers the network with layer widths ``sizes`` has."""
    return sum(math.prod(shape) for shape in layer_shapes(sizes))


def unflatten(params: Tensor, sizes: Sequence[int]) -> list[Tensor]:
    """Cut the parameter vector into the weights and biases of `layer_shapes` (views, no copies)."""
    check_tensor("params", params, finite=False)  # a diverging run's parameters overflow: its loss says so
    shapes = layer_shapes(sizes)
    expected = sum(math.prod(shape) for shape in shapes)
    if params.shape != (expected,):
        raise ValueError(
            f"params must be a vector of {expected} numbers for sizes {tuple(sizes)}, got shape {tuple(params.shape)}"
        )
    pieces = params.split([math.prod(shape) for shape in shapes])
    return [piece.view(shape) for piece, shape in zip(pieces, shapes, strict=True)]


def init_params(sizes: Sequence[int], *, seed: int, on: torch.device | None = None) -> Tensor:
    r"""A starting parameter vector: each weight uniform on $\pm 1/\sqrt{\text{fan-in}}$, each bias 0."""
    check_fits("sizes", tuple(_check_sizes(sizes)), 2 * count_params(sizes), itemsize=4, what="float32 parameters")
    seed = check_seed("seed", seed)
    on = check_device("on", on)
    generator = torch.Generator().manual_seed(seed)
    pieces = []
    for shape in layer_shapes(sizes):
        if len(shape) == 2:
            bound = 1 / math.sqrt(shape[1])
            pieces.append((torch.rand(shape, generator=generator) * 2 - 1).mul(bound).reshape(-1))
        else:
            pieces.append(torch.zeros(shape))
    return torch.cat(pieces).to(on if on is not None else device())


def mlp_logits(params: Tensor, x: Tensor, sizes: Sequence[int]) -> Tensor:
    r"""The scores of the network: $h \leftarrow \max(0, h W^\top + b)$ through the hidden layers,
    then $z = h W^\top + b$.

    With ``sizes = (64, 10)`` there is no hidden layer: a softmax classifier.
    Returns ``(n, sizes[-1])``.
    """
    layers = unflatten(params, sizes)
    check_tensor("x", x, ndim=2, nonempty=True)
    check_shape("x", x, ("n", sizes[0]), f" for sizes {tuple(sizes)}")
    check_same_dtype("x", x, "params", params)
    h = x
    for i in range(0, len(layers), 2):
        h = h @ layers[i].T + layers[i + 1]
        if i + 2 < len(layers):
            h = h.clamp(min=0)  # ReLU
    return h


def softmax_cross_entropy(z: Tensor, y: Tensor) -> Tensor:
    r"""Cross-entropy of one-hot targets ``y`` under $\mathrm{softmax}(z)$:
    $\frac{1}{n}\sum_i \bigl[\log\sum_k e^{z_{ik}} - \sum_k y_{ik} z_{ik}\bigr]$.

    ``torch.logsumexp`` subtracts the largest score before exponentiating, so nothing overflows.
    A row whose largest score $m$ is above `SHIFT_ABOVE` in size is computed as
    $\log\sum_k e^{z_{ik} - m} - \sum_k y_{ik} (z_{ik} - m)$ (the row shifted by its largest score, as
    ``torch.nn.functional.cross_entropy`` shifts every row), so that scores offset by a large number (1e8) lose
    no digits to the difference of two nearly equal terms; smaller scores are not shifted, and lose at most
    about $m \cdot 2^{-24}$ (6e-5 at most, in float32).
    """
    check_tensor("z", z)
    _check_targets(z, y)
    return _cross_entropy(z, y)


def _check_targets(z: Tensor, y: Tensor) -> None:
    """``y`` one probability distribution per row of the scores ``z``, such as one-hot targets."""
    check_tensor("z", z, ndim=2, nonempty=True, finite=False)
    if isinstance(y, Tensor) and y.ndim == 1 and not y.is_floating_point():
        raise TypeError(
            f"y must be one-hot targets of shape {tuple(z.shape)}, got class labels: {describe(y)}: "
            f"pass torch.nn.functional.one_hot(y, {z.shape[1]}).float()"
        )
    check_tensor("y", y)
    check_shape("y", y, tuple(z.shape), ", the shape of z: (n, classes)")
    bad = (y < 0).any(dim=1) | ((y.sum(dim=1) - 1).abs() > 1e-4)
    if bad.any():
        row = int(bad.nonzero()[0, 0])
        raise ValueError(
            "y must hold one probability distribution per row (entries >= 0 that sum to 1, such as "
            f"one-hot targets), got row {row} summing to {float(y[row].sum())!r}"
        )


SHIFT_ABOVE = 1024.0
"""Rows of scores whose largest is above this in size are shifted by it before the cross-entropy."""


def _cross_entropy(z: Tensor, y: Tensor) -> Tensor:
    largest = z.detach().amax(dim=1, keepdim=True)
    if bool((largest.abs() > SHIFT_ABOVE).any()):
        z = z - torch.where(largest.abs() > SHIFT_ABOVE, largest, torch.zeros_like(largest))
    return (torch.logsumexp(z, dim=1) - (y * z).sum(dim=1)).mean()


def mlp_loss(params: Tensor, x: Tensor, y: Tensor, *, sizes: Sequence[int]) -> Tensor:
    """The softmax cross-entropy of the network; ``partial(mlp_loss, sizes=s)`` is a ``loss_fn``."""
    z = mlp_logits(params, x, sizes)
    _check_targets(z, y)
    return _cross_entropy(z, y)  # scores that overflowed give a loss that is not finite: the run says it diverged


def predict(params: Tensor, x: Tensor, sizes: Sequence[int]) -> Tensor:
    """The class with the highest score for each example: ``(n,)``."""
    check_tensor("params", params)
    with torch.no_grad():
        return mlp_logits(params, x, sizes).argmax(dim=1)


def confusion_matrix(predicted: Tensor, true: Tensor, classes: int) -> Tensor:
    """``(classes, classes)`` counts: entry ``[t, p]`` counts the examples of class ``t`` predicted ``p``."""
    for name, labels in (("predicted", predicted), ("true", true)):
        check_tensor(name, labels, floating=False, finite=False, ndim=1)
        if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
            raise TypeError(f"{name} must hold integer class labels, got dtype {labels.dtype}: pass {name}.long()")
    check_shape("true", true, tuple(predicted.shape), ", the shape of predicted")
    classes = check_count("classes", classes, 1)
    check_fits("classes", classes, classes * classes, what="int64 counts")
    for name, labels in (("predicted", predicted), ("true", true)):
        outside = (labels < 0) | (labels >= classes)
        if outside.any():
            index = int(outside.nonzero()[0, 0])
            raise ValueError(
                f"{name} must hold labels 0..{classes - 1} (classes = {classes}), "
                f"got {int(labels[index])} at index {index}"
            )
    flat = true.cpu() * classes + predicted.cpu()
    return torch.bincount(flat, minlength=classes * classes).reshape(classes, classes)
