r"""Update rules: how one gradient becomes one step of the parameters.

`train` computes the gradient $g = \nabla L_B(a)$ of each batch and asks an update rule for the step,
$a \leftarrow a + \text{step}$; the rule keeps whatever it remembers between steps (a velocity,
running averages) in a state it is handed back.
`Plain` is the step of gradient descent and SGD, $-\eta g$; the others are the rules of
``torch.optim.SGD(momentum=..., nesterov=...)``, ``torch.optim.RMSprop`` and ``torch.optim.Adam``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

from lesson_code.checks import check_between, check_bool, check_positive, check_tensor, describe
from lesson_code.torch_names import book_names

State = tuple[Tensor, ...]
"""What a rule remembers between steps: tensors of the parameters' shape, and a step count."""


def _check_init(params: object) -> Tensor:
    return check_tensor("params", params, finite=False)


def _check_step(rule: object, grad: object, state: object, lr: object, kinds: str) -> State:
    """Check what `step` is handed: a gradient tensor, the state of this rule, and a learning rate above 0.

    ``kinds`` has one letter per item of the state: ``"p"`` for a tensor shaped like the parameters, ``"t"`` for
    a step count of shape ``()``. Only types and shapes: a diverging run's gradient may be infinite."""
    check_tensor("grad", grad, finite=False)
    length = len(kinds)
    expected = f"what {type(rule).__name__}.init(params) returns, " + (f"a tuple of {length}" if length else "()")
    if not isinstance(state, tuple):
        raise TypeError(
            f"state must be {expected}, got {describe(state)}: "
            "start with state = rule.init(params), then pass on the state that step returns"
        )
    if len(state) != length:
        raise ValueError(
            f"state must be {expected}, got {len(state)} item{'s' if len(state) != 1 else ''}: "
            "the state of another rule? Start with state = rule.init(params)"
        )
    for i, (item, kind) in enumerate(zip(state, kinds, strict=True)):
        if not isinstance(item, Tensor):
            raise TypeError(f"state[{i}] must be a tensor, as {expected}, got {describe(item)}")
        want = tuple(state[0].shape) if kind == "p" else ()
        if i == 0 and tuple(item.shape) != tuple(grad.shape):  # type: ignore[union-attr]
            raise ValueError(
                f"grad must have the shape of the parameters, {tuple(item.shape)}, got shape {tuple(grad.shape)}"
            )  # type: ignore[union-attr]
        if tuple(item.shape) != want:
            raise ValueError(f"state[{i}] must have shape {want}, as {expected}, got shape {tuple(item.shape)}")
    check_positive("lr", lr)
    return state


class UpdateRule(Protocol):
    """Turns a gradient, and what the rule remembers, into a step: ``step, state = rule.step(grad, state, lr)``."""

    def init(self, params: Tensor) -> State:
        """The state before the first step, for parameters shaped like ``params``."""
        ...

    def step(self, grad: Tensor, state: State, lr: float) -> tuple[Tensor, State]:
        """The step to add to the parameters, and the state after it."""
        ...


@book_names()
@dataclass(frozen=True)
class Plain:
    r"""The plain step $-\eta g$: gradient descent on all the data, SGD on a mini-batch."""

    def init(self, params: Tensor) -> State:
        _check_init(params)
        return ()

    def step(self, grad: Tensor, state: State, lr: float) -> tuple[Tensor, State]:
        _check_step(self, grad, state, lr, "")
        return -lr * grad, state


@book_names(momentum="beta")
@dataclass(frozen=True)
class Momentum:
    r"""Heavy-ball momentum $\beta$: $v \leftarrow \beta v - \eta g$, step $v$ (Polyak 1964).

    With ``nesterov=True`` the step looks ahead by one more velocity: step $\beta v - \eta g$ with the new $v$
    (Nesterov 1983, in the form of Sutskever et al. 2013 that ``torch.optim.SGD(nesterov=True)`` uses).
    The velocity starts at zero, so with $\beta = 0$ both are `Plain`.
    ``torch.optim.SGD(momentum=beta)`` keeps $b = -v/\eta$ instead of $v$: the same steps for a fixed $\eta$.
    Taught in {ref}`ch-loss-surface`.
    """

    beta: float
    nesterov: bool = False

    def __post_init__(self) -> None:
        check_between("beta (the momentum)", self.beta, 0.0, 1.0)
        check_bool("nesterov", self.nesterov)

    def init(self, params: Tensor) -> State:
        return (torch.zeros_like(_check_init(params)),)

    def step(self, grad: Tensor, state: State, lr: float) -> tuple[Tensor, State]:
        (velocity,) = _check_step(self, grad, state, lr, "p")
        velocity = self.beta * velocity - lr * grad
        step = self.beta * velocity - lr * grad if self.nesterov else velocity
        return step, (velocity,)


@book_names()
@dataclass(frozen=True)
class RMSProp:
    r"""Per-parameter step sizes (Tieleman and Hinton 2012): $s \leftarrow \alpha s + (1 - \alpha) g^2$,
    step $-\eta\, g / (\sqrt{s} + \epsilon)$, elementwise.

    The running average $s$ of squared gradients starts at zero, as in ``torch.optim.RMSprop``.
    """

    alpha: float = 0.99
    eps: float = 1e-8

    def __post_init__(self) -> None:
        check_between("alpha", self.alpha, 0.0, 1.0)
        check_positive("eps", self.eps)

    def init(self, params: Tensor) -> State:
        return (torch.zeros_like(_check_init(params)),)

    def step(self, grad: Tensor, state: State, lr: float) -> tuple[Tensor, State]:
        (square_avg,) = _check_step(self, grad, state, lr, "p")
        square_avg = self.alpha * square_avg + (1 - self.alpha) * grad * grad
        return -lr * grad / (square_avg.sqrt() + self.eps), (square_avg,)


@book_names(betas="beta1 and beta2")
@dataclass(frozen=True)
class Adam:
    r"""Adam (Kingma and Ba 2015): running averages of the gradient and of its square, corrected for starting at zero.

    $m \leftarrow \beta_1 m + (1 - \beta_1) g$, $s \leftarrow \beta_2 s + (1 - \beta_2) g^2$,
    and at step $t = 1, 2, \dots$ the step $-\eta\, \hat m / (\sqrt{\hat s} + \epsilon)$
    with $\hat m = m / (1 - \beta_1^t)$ and $\hat s = s / (1 - \beta_2^t)$.
    With ``bias_correction=False`` the step uses $m$ and $s$ themselves, which start near zero: the first steps are
    far from what the running averages will say.
    """

    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    bias_correction: bool = True

    def __post_init__(self) -> None:
        check_between("beta1", self.beta1, 0.0, 1.0)
        check_between("beta2", self.beta2, 0.0, 1.0)
        check_positive("eps", self.eps)
        check_bool("bias_correction", self.bias_correction)

    def init(self, params: Tensor) -> State:
        _check_init(params)
        return (torch.zeros_like(params), torch.zeros_like(params), torch.zeros((), dtype=torch.int64))

    def step(self, grad: Tensor, state: State, lr: float) -> tuple[Tensor, State]:
        mean, square_avg, t = _check_step(self, grad, state, lr, "ppt")
        t = t + 1
        mean = self.beta1 * mean + (1 - self.beta1) * grad
        square_avg = self.beta2 * square_avg + (1 - self.beta2) * grad * grad
        if self.bias_correction:
            mean_hat = mean / (1 - self.beta1 ** int(t))
            square_hat = square_avg / (1 - self.beta2 ** int(t))
        else:
            mean_hat, square_hat = mean, square_avg
        return -lr * mean_hat / (square_hat.sqrt() + self.eps), (mean, square_avg, t)


def check_rule(rule: object) -> UpdateRule:
    """``rule`` itself, once it is known to have ``init`` and ``step``; a clear `TypeError` if not."""
    ours = "an update rule of lesson_code.updates, such as Momentum(beta=0.9) or Adam()"
    if isinstance(rule, type):
        if rule.__module__ == __name__:
            raise TypeError(f"rule must be {ours}, got the class {rule.__name__}: call it, {rule.__name__}(...)")
        raise TypeError(
            f"rule must be {ours}, got the class {rule.__module__}.{rule.__name__}: "
            "torch.optim's optimisers run their own loop; pass one of lesson_code.updates' rules"
        )
    if not (callable(getattr(rule, "init", None)) and callable(getattr(rule, "step", None))):
        fix = (
            ": torch.optim's optimisers run their own loop; pass one of lesson_code.updates' rules"
            if isinstance(rule, torch.optim.Optimizer)
            else ""
        )
        raise TypeError(f"rule must be {ours}, or an object with init() and step(), got {describe(rule)}{fix}")
    return rule  # type: ignore[return-value]


PROTOCOL = "state = rule.init(params), then step, state = rule.step(grad, state, lr) for each gradient"
"""How `train` calls a rule, for the messages about a rule of one's own."""


def check_rule_state(rule: UpdateRule, state: object, source: str = "init") -> State:
    """``state`` if it is what ``rule.init`` (or ``rule.step``, with ``source="step"``) must return as the state:
    a tuple (of tensors, for the rules here)."""
    if not isinstance(state, tuple):
        call = "rule.init(params) must return the state" if source == "init" else "rule.step must return a state"
        raise TypeError(
            f"{call}, a tuple (() if the rule keeps nothing), got {describe(state)} from "
            f"{type(rule).__name__}.{source}: the run calls {PROTOCOL}"
        )
    return state


def check_rule_step(rule: UpdateRule, result: object, grad: Tensor) -> tuple[Tensor, State]:
    """``result`` if it is what ``rule.step`` must return: ``(step, state)``, the step a tensor shaped like ``grad``
    that can be added to the parameters. `train` checks the first step of a run, once."""
    name = f"{type(rule).__name__}.step"
    if not isinstance(result, tuple) or len(result) != 2:
        raise TypeError(
            f"rule.step(grad, state, lr) must return a pair (step, state), got {describe(result)} from {name}: "
            f"the run calls {PROTOCOL}"
        )
    step, state = result
    if not isinstance(step, Tensor) or not step.is_floating_point():
        raise TypeError(
            f"rule.step(grad, state, lr) must return (step, state) with step a floating-point tensor shaped like "
            f"grad, {tuple(grad.shape)}, got {describe(step)} as step from {name}"
        )
    if step.shape != grad.shape:
        raise ValueError(
            f"rule.step(grad, state, lr) must return a step shaped like grad, {tuple(grad.shape)}, "
            f"got shape {tuple(step.shape)} from {name}: the step is added to the parameters"
        )
    check_rule_state(rule, state, "step")
    return step, state
