"""Gradient descent and mini-batch SGD: one loop, two ways of choosing examples.

Both return a `History` and never plot.
Taught in {ref}`ch-gradient-descent` and {ref}`ch-sgd`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from lesson_code.checks import check_count, check_positive, check_tensor
from lesson_code.updates import Plain, UpdateRule, check_rule

LossFn = Callable[[Tensor, Tensor, Tensor], Tensor]
"""``loss_fn(params, x, y)``: a scalar loss of the parameters on the examples ``x, y``."""


class DivergenceError(ValueError):
    """The loss stopped being finite: the learning rate is too large for the data."""


@dataclass(frozen=True)
class History:
    """What a training run did, step by step.

    Attributes:
        params: ``(k + 1, p)``: the parameters before each of the ``k`` steps, and after the last.
        losses_before: ``(k,)``: ``losses_before[j]`` is the loss of ``params[j]`` on the examples of
            step ``j``, computed *before* update ``j``. There is no entry for the parameters after the
            last step: for the loss there, and on all the data, use `loss_path` (its entry ``k``).
        batches: ``k`` index tensors: which examples each step used.
        lr: the learning rate.
        diverged_at: the step at which the loss stopped being finite, or ``None``.
    """

    params: Tensor
    losses_before: Tensor
    batches: tuple[Tensor, ...]
    lr: float
    diverged_at: int | None = None

    @property
    def steps(self) -> int:
        """The number of steps taken."""
        return len(self.losses_before)

    @property
    def losses(self) -> Tensor:
        """Not an attribute: the name did not say which loss it held. See `losses_before` and `loss_path`."""
        raise AttributeError(
            "History has no 'losses': history.losses_before[j] is the loss on step j's batch *before* update j, "
            "so losses_before[-1] is one step short of the end; for the loss after the last step, "
            "on all the data, use loss_path(loss_fn, history, x, y)[-1]"
        )

    @property
    def final(self) -> Tensor:
        """The parameters after the last step."""
        return self.params[-1]


def _check_data(params0: Tensor, x: Tensor, y: Tensor) -> int:
    check_tensor("params0", params0)
    check_tensor("x", x)
    check_tensor("y", y)
    if params0.ndim != 1:
        raise ValueError(f"params0 must be a vector of shape (p,), got shape {tuple(params0.shape)}")
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(
            f"x and y must hold the same number of examples along dim 0, "
            f"got shapes {tuple(x.shape)} and {tuple(y.shape)}"
        )
    return x.shape[0]


def epoch_batches(n: int, batch_size: int, epochs: int, *, seed: int) -> list[Tensor]:
    """Indices of the mini-batches of ``epochs`` passes over ``n`` examples.

    Each epoch shuffles the examples with ``torch.randperm`` (sampling without
    replacement) and cuts the order into consecutive batches of ``batch_size``;
    the last batch of an epoch is smaller when ``batch_size`` does not divide ``n``.
    This is the order ``torch.utils.data.DataLoader(..., shuffle=True, generator=g)``
    draws for ``g = torch.Generator().manual_seed(seed)``. Its ``RandomSampler`` also draws
    from ``g`` for its own bookkeeping (a 64-bit base seed for workers before each epoch,
    and one permutation it throws away after it), so we draw and drop the same numbers
    to stay in step with it.
    """
    check_count("n", n, 1)
    check_count("batch_size", batch_size, 1, n)
    check_count("epochs", epochs, 1)
    generator = torch.Generator().manual_seed(seed)
    batches: list[Tensor] = []
    for _ in range(epochs):
        torch.empty((), dtype=torch.int64).random_(generator=generator)  # the DataLoader's base seed
        order = torch.randperm(n, generator=generator)
        torch.randperm(n, generator=generator)  # the permutation RandomSampler draws and slices to nothing
        batches.extend(order.split(batch_size))
    return batches


def train(
    loss_fn: LossFn,
    params0: Tensor,
    x: Tensor,
    y: Tensor,
    *,
    lr: float,
    batches: Sequence[Tensor],
    rule: UpdateRule | None = None,
    raise_on_divergence: bool = True,
) -> History:
    r"""Take one step $a \leftarrow a - \eta \nabla L_B(a)$ for each batch $B$ of indices.

    The gradient of ``loss_fn`` on the examples of the batch comes from autograd
    (``loss.backward()``).
    An update ``rule`` from `lesson_code.updates` (`Momentum`, `RMSProp`, `Adam`) turns each gradient into
    the step instead; the default, `Plain`, is the step $-\eta \nabla L_B(a)$ above.
    If the loss stops being finite, the run stops there: it raises `DivergenceError`
    naming the step, or with ``raise_on_divergence=False`` returns the steps taken so
    far with ``diverged_at`` set.
    """
    _check_data(params0, x, y)
    lr = check_positive("lr", lr)
    rule = Plain() if rule is None else check_rule(rule)
    a = params0.detach().clone().requires_grad_(True)
    state = rule.init(a.detach())
    params, losses = [a.detach().clone()], []
    for step, batch in enumerate(batches):
        loss = loss_fn(a, x[batch], y[batch])
        if not torch.isfinite(loss):
            if raise_on_divergence:
                raise DivergenceError(
                    f"the loss stopped being finite at step {step} of {len(batches)} "
                    f"(lr = {lr:g}): the learning rate is too large for this data"
                )
            return History(torch.stack(params), torch.tensor(losses), tuple(batches[:step]), lr, step)
        loss.backward()
        with torch.no_grad():
            step_taken, state = rule.step(a.grad.clone(), state, lr)
            a += step_taken
            a.grad.zero_()
        params.append(a.detach().clone())
        losses.append(loss.item())
    return History(torch.stack(params), torch.tensor(losses), tuple(batches), lr)


def gradient_descent(
    loss_fn: LossFn,
    params0: Tensor,
    x: Tensor,
    y: Tensor,
    *,
    lr: float,
    steps: int,
    rule: UpdateRule | None = None,
    raise_on_divergence: bool = True,
) -> History:
    r"""Full-batch gradient descent: ``steps`` updates $a \leftarrow a - \eta \nabla L(a)$ on all the data.

    Taught in {ref}`ch-gradient-descent`.
    """
    n = _check_data(params0, x, y)
    check_count("steps", steps, 1)
    everything = torch.arange(n)
    return train(loss_fn, params0, x, y, lr=lr, batches=[everything] * steps, rule=rule,
                 raise_on_divergence=raise_on_divergence)


def sgd(
    loss_fn: LossFn,
    params0: Tensor,
    x: Tensor,
    y: Tensor,
    *,
    lr: float,
    batch_size: int,
    epochs: int,
    seed: int,
    rule: UpdateRule | None = None,
    raise_on_divergence: bool = True,
) -> History:
    r"""Mini-batch stochastic gradient descent: $a \leftarrow a - \eta \nabla L_B(a)$, batch by batch.

    Each epoch visits every example once, in an order shuffled from ``seed``
    (see `epoch_batches`); an epoch of ``n`` examples takes ``ceil(n / batch_size)`` steps.
    Taught in {ref}`ch-sgd`.
    """
    n = _check_data(params0, x, y)
    check_count("batch_size", batch_size, 1, n)
    batches = epoch_batches(n, batch_size, epochs, seed=seed)
    return train(loss_fn, params0, x, y, lr=lr, batches=batches, rule=rule,
                 raise_on_divergence=raise_on_divergence)


def steps_per_epoch(n: int, batch_size: int) -> int:
    """How many mini-batch steps one pass over ``n`` examples takes: ``ceil(n / batch_size)``."""
    return math.ceil(check_count("n", n, 1) / check_count("batch_size", batch_size, 1, n))


def loss_path(loss_fn: LossFn, history: History, x: Tensor, y: Tensor) -> Tensor:
    """The loss on all of ``x, y`` at every parameter vector the run passed through: ``(k + 1,)``.

    Entry ``j`` is the loss after ``j`` steps: entry 0 at the start, entry ``k`` after the last step.
    """
    with torch.no_grad():
        return torch.stack([loss_fn(a, x, y) for a in history.params])


def least_squares(x: Tensor, y: Tensor) -> Tensor:
    r"""The exact minimiser of $\frac{1}{n}\lVert X a - y\rVert^2$, from ``torch.linalg.lstsq``.

    It solves the normal equations $X^\top X a = X^\top y$.
    """
    check_tensor("x", x)
    check_tensor("y", y)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"x must be (n, p) and y (n,), got {tuple(x.shape)} and {tuple(y.shape)}")
    return torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1)
