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

from lesson_code.checks import (
    all_finite,
    check_bool,
    check_count,
    check_examples,
    check_fits,
    check_history,
    check_loss_fn,
    check_positive,
    check_same_dtype,
    check_seed,
    check_shape,
    check_tensor,
    describe,
)
from lesson_code.divergence import DivergenceError, final_problem, loss_problem, update_problem
from lesson_code.torch_names import refuse_torch_run_names
from lesson_code.updates import (
    Plain,
    UpdateRule,
    check_rule,
    check_rule_state,
    check_rule_step,
)

LossFn = Callable[[Tensor, Tensor, Tensor], Tensor]
"""``loss_fn(params, x, y)``: a scalar loss of the parameters on the examples ``x, y``."""


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
        diverged_at: ``None``, or the number of steps taken when the run stopped being finite: the loss of
            ``params[diverged_at]`` (the last row) is not finite, or those parameters themselves are not.
    """

    params: Tensor
    losses_before: Tensor
    batches: tuple[Tensor, ...]
    lr: float
    diverged_at: int | None = None

    def __post_init__(self) -> None:
        check_tensor("params", self.params, finite=False, ndim=2)  # a diverged run's last parameters may overflow
        steps = self.params.shape[0] - 1
        check_tensor("losses_before", self.losses_before, ndim=1, finite=False)  # a run stops after a loss of inf
        check_shape(
            "losses_before", self.losses_before, (steps,), f", one loss per step of params {tuple(self.params.shape)}"
        )
        if not isinstance(self.batches, tuple) or len(self.batches) != steps:
            raise ValueError(
                f"batches must be a tuple of {steps} index tensors, one per step, got {describe(self.batches)}"
            )
        if steps:
            _check_batch_items(self.batches)
        check_positive("lr", self.lr)
        if self.diverged_at is not None and check_count("diverged_at", self.diverged_at, 0) != steps:
            raise ValueError(f"diverged_at must be the number of steps taken, {steps}, got {self.diverged_at}")

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
    check_tensor("params0", params0, ndim=1)
    n = check_examples(x, y)
    check_same_dtype("params0", params0, "x", x)
    return n


def _check_batches(batches: Sequence[Tensor], n: int) -> None:
    """Each batch a non-empty vector of indices into the ``n`` examples."""
    if isinstance(batches, (Tensor, str, bytes)) or not isinstance(batches, Sequence):
        raise TypeError(
            f"batches must be a sequence of index tensors, one per step, such as "
            f"epoch_batches(...) returns, got {describe(batches)}"
        )
    if len(batches) == 0:
        raise ValueError(f"batches must hold at least one batch, got {describe(batches)}")
    _check_batch_items(batches)
    every = torch.cat([batch.to(torch.int64) for batch in batches])
    outside = (every < 0) | (every >= n)
    if outside.any():
        first = int(outside.nonzero()[0, 0])
        step = int((torch.tensor([len(b) for b in batches]).cumsum(0) <= first).sum())
        raise ValueError(
            f"batches must hold indices 0..{n - 1} of the {n} examples, got index {int(every[first])} at step {step}"
        )


def _check_batch_items(batches: Sequence[Tensor]) -> None:
    """Each batch a non-empty vector of integer indices."""
    for step, batch in enumerate(batches):
        if not isinstance(batch, Tensor):
            raise TypeError(
                f"batches must hold index tensors, got {describe(batch)} at step {step}: pass torch.tensor(...)"
            )
        if batch.dtype not in (torch.int64, torch.int32, torch.int16, torch.int8):
            raise TypeError(f"batches must hold tensors of integer indices, got dtype {batch.dtype} at step {step}")
        if batch.ndim != 1 or len(batch) == 0:
            raise ValueError(
                f"batches must hold non-empty vectors of indices, got shape {tuple(batch.shape)} at step {step}"
            )


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
    n = check_count("n", n, 1)
    batch_size = check_count("batch_size", batch_size, 1, n)
    epochs = check_count("epochs", epochs, 1)
    check_fits("n", n, 3 * n, what="int64 indices")
    check_fits("epochs", epochs, epochs * (n + 20 * steps_per_epoch(n, batch_size)), what="indices and batch records")
    seed = check_seed("seed", seed)
    generator = torch.Generator().manual_seed(seed)
    batches: list[Tensor] = []
    for _ in range(epochs):
        torch.empty((), dtype=torch.int64).random_(generator=generator)  # the DataLoader's base seed
        order = torch.randperm(n, generator=generator)
        torch.randperm(n, generator=generator)  # the permutation RandomSampler draws and slices to nothing
        batches.extend(order.split(batch_size))
    return batches


@refuse_torch_run_names
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
    If a number of the run stops being finite (the loss before a step, or the parameters after it, or the loss on
    all of ``x, y`` after the last step), the run stops there: it raises `DivergenceError`, which says what went
    first and why it likely did, or with ``raise_on_divergence=False`` returns the steps taken so far with
    ``diverged_at`` set. The losses keep the dtype of the run's loss.
    A ``rule`` of one's own is checked once, on the first step: ``step, state = rule.step(grad, state, lr)``.
    """
    loss_fn = check_loss_fn(loss_fn)
    n = _check_data(params0, x, y)
    lr = check_positive("lr", lr)
    check_bool("raise_on_divergence", raise_on_divergence)
    _check_batches(batches, n)
    rule = Plain() if rule is None else check_rule(rule)
    a = params0.detach().clone().requires_grad_(True)
    state = check_rule_state(rule, rule.init(a.detach()))
    params, losses, dtype = [a.detach().clone()], [], params0.dtype

    def stop(step: int, problem: str) -> History:
        if raise_on_divergence:
            raise DivergenceError(problem)
        return History(torch.stack(params), torch.tensor(losses, dtype=dtype), tuple(batches[:step]), lr, step)

    for step, batch in enumerate(batches):
        loss = loss_fn(a, x[batch], y[batch])
        dtype = torch.promote_types(dtype, loss.dtype) if step else loss.dtype
        if not torch.isfinite(loss):
            return stop(step, loss_problem(loss, step, len(batches), lr))
        loss.backward()
        with torch.no_grad():
            grad = a.grad.clone()
            result = rule.step(grad, state, lr)
            if step == 0:  # a rule of one's own is checked once
                check_rule_step(rule, result, grad)
            step_taken, state = result
            a += step_taken
            a.grad.zero_()
        params.append(a.detach().clone())
        losses.append(loss.item())
        if not all_finite(a):  # the loss of the next step would say so too, but there is none after the last
            return stop(step + 1, update_problem(grad, step_taken, rule, step, len(batches), lr))
    final = loss_fn(a, x, y)  # on all the data: the last entry of loss_path
    if not torch.isfinite(final):
        return stop(len(batches), final_problem(final, len(batches), lr))
    return History(torch.stack(params), torch.tensor(losses, dtype=dtype), tuple(batches), lr)


@refuse_torch_run_names
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
    steps = check_count("steps", steps, 1)
    check_fits("steps", steps, (steps + 1) * (params0.numel() + 6), what="numbers to record")
    everything = torch.arange(n)
    return train(
        loss_fn, params0, x, y, lr=lr, batches=[everything] * steps, rule=rule, raise_on_divergence=raise_on_divergence
    )


@refuse_torch_run_names
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
    batch_size = check_count("batch_size", batch_size, 1, n)
    epochs = check_count("epochs", epochs, 1)
    seed = check_seed("seed", seed)
    batches = epoch_batches(n, batch_size, epochs, seed=seed)
    return train(loss_fn, params0, x, y, lr=lr, batches=batches, rule=rule, raise_on_divergence=raise_on_divergence)


def steps_per_epoch(n: int, batch_size: int) -> int:
    """How many mini-batch steps one pass over ``n`` examples takes: ``ceil(n / batch_size)``."""
    return math.ceil(check_count("n", n, 1) / check_count("batch_size", batch_size, 1, n))


def loss_path(loss_fn: LossFn, history: History, x: Tensor, y: Tensor) -> Tensor:
    """The loss on all of ``x, y`` at every parameter vector the run passed through: ``(k + 1,)``.

    Entry ``j`` is the loss after ``j`` steps: entry 0 at the start, entry ``k`` after the last step.
    """
    loss_fn = check_loss_fn(loss_fn, grad=False)
    check_history("history", history)
    check_examples(x, y)
    check_same_dtype("x", x, "history.params", history.params)
    with torch.no_grad():
        return torch.stack([loss_fn(a, x, y) for a in history.params])


def least_squares(x: Tensor, y: Tensor) -> Tensor:
    r"""The exact minimiser of $\frac{1}{n}\lVert X a - y\rVert^2$, from ``torch.linalg.lstsq``.

    It solves the normal equations $X^\top X a = X^\top y$.
    """
    check_tensor("x", x, ndim=2, nonempty=True)
    check_tensor("y", y)
    check_shape("y", y, (x.shape[0],), f" to match x of shape {tuple(x.shape)}")
    check_same_dtype("y", y, "x", x)
    return torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1)
