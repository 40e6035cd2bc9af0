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

from lesson_code.checks import check_count, check_tensor


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
    *, test_fraction: float = 0.25, seed: int = 0, on: torch.device | None = None,
) -> Digits:
    """The 1797 handwritten digits of scikit-learn (no download), shuffled and split from ``seed``."""
    from sklearn.datasets import load_digits

    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0  # (1797, 64): intensities 0..16 -> [0, 1]
    labels = torch.tensor(data.target, dtype=torch.long)  # (1797,)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    n_test = round(test_fraction * len(labels))
    test, train = order[:n_test], order[n_test:]
    on = on if on is not None else device()
    one_hot = torch.nn.functional.one_hot(labels, 10).float()
    return Digits(x[train].to(on), one_hot[train].to(on), labels[train].to(on),
                  x[test].to(on), one_hot[test].to(on), labels[test].to(on))


def _check_sizes(sizes: Sequence[int]) -> list[int]:
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {tuple(sizes)}")
    return [check_count("layer width", s, 1) for s in sizes]


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
    check_tensor("params", params)
    shapes = layer_shapes(sizes)
    expected = sum(math.prod(shape) for shape in shapes)
    if params.shape != (expected,):
        raise ValueError(f"params must be a vector of {expected} numbers for sizes {tuple(sizes)}, "
                         f"got shape {tuple(params.shape)}")
    pieces = params.split([math.prod(shape) for shape in shapes])
    return [piece.view(shape) for piece, shape in zip(pieces, shapes, strict=True)]


def init_params(sizes: Sequence[int], *, seed: int, on: torch.device | None = None) -> Tensor:
    r"""A starting parameter vector: each weight uniform on $\pm 1/\sqrt{\text{fan-in}}$, each bias 0."""
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
    if x.ndim != 2 or x.shape[1] != sizes[0]:
        raise ValueError(f"x must have shape (n, {sizes[0]}), got {tuple(x.shape)}")
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
    """
    check_tensor("z", z)
    check_tensor("y", y)
    if z.shape != y.shape or z.ndim != 2 or z.shape[0] == 0:
        raise ValueError(f"z and y must have shape (n, classes), got {tuple(z.shape)} and {tuple(y.shape)}")
    return (torch.logsumexp(z, dim=1) - (y * z).sum(dim=1)).mean()


def mlp_loss(params: Tensor, x: Tensor, y: Tensor, *, sizes: Sequence[int]) -> Tensor:
    """The softmax cross-entropy of the network; ``partial(mlp_loss, sizes=s)`` is a ``loss_fn``."""
    return softmax_cross_entropy(mlp_logits(params, x, sizes), y)


def predict(params: Tensor, x: Tensor, sizes: Sequence[int]) -> Tensor:
    """The class with the highest score for each example: ``(n,)``."""
    with torch.no_grad():
        return mlp_logits(params, x, sizes).argmax(dim=1)


def confusion_matrix(predicted: Tensor, true: Tensor, classes: int) -> Tensor:
    """``(classes, classes)`` counts: entry ``[t, p]`` counts the examples of class ``t`` predicted ``p``."""
    if predicted.shape != true.shape or predicted.ndim != 1:
        raise ValueError(f"predicted and true must be label vectors of one shape, got "
                         f"{tuple(predicted.shape)} and {tuple(true.shape)}")
    if predicted.dtype.is_floating_point or true.dtype.is_floating_point:
        raise TypeError("predicted and true must hold integer class labels")
    check_count("classes", classes, 1)
    if len(true) and (min(int(predicted.min()), int(true.min())) < 0
                      or max(int(predicted.max()), int(true.max())) >= classes):
        raise ValueError(f"labels must lie in 0..{classes - 1}")
    flat = true.cpu() * classes + predicted.cpu()
    return torch.bincount(flat, minlength=classes * classes).reshape(classes, classes)
