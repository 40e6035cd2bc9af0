"""Learning-rate schedules against torch.optim.lr_scheduler: the same rates, and the same steps."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import pytest
import torch

from lesson_code import make_line, mse
from lesson_code.noise import batch_indices, sgd_paths
from lesson_code.schedules import constant, cosine, exponential, inverse_time, step_decay

STEPS = 60
LR = 0.3

SCHEDULES: dict[str, tuple[torch.Tensor, Callable]] = {
    "constant": (constant(LR, STEPS), lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0)),
    "step": (
        step_decay(LR, STEPS, step_size=7, gamma=0.5),
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5),
    ),
    "exponential": (
        exponential(LR, STEPS, gamma=0.95),
        lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95),
    ),
    "1/t": (
        inverse_time(LR, STEPS, t0=10),
        lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 / (1 + t / 10)),
    ),
    "cosine": (
        cosine(LR, STEPS, lr_min=0.01),
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS, eta_min=0.01),
    ),
}


def torch_run(make_scheduler: Callable, x, y, batches) -> tuple[list[float], torch.Tensor]:
    """SGD with torch.optim.SGD and a scheduler stepped after every optimiser step: (rates, parameters)."""
    a = torch.tensor([-1.0, 1.0], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([a], lr=LR)
    scheduler = make_scheduler(optimizer)
    rates, path = [], [a.detach().clone()]
    for batch in batches:
        rates.append(optimizer.param_groups[0]["lr"])
        loss = mse(x[batch] @ a, y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        path.append(a.detach().clone())
    return rates, torch.stack(path)


@pytest.mark.parametrize("name", SCHEDULES)
def test_same_rates_and_same_steps_as_torch(name: str) -> None:
    rates, make_scheduler = SCHEDULES[name]
    x, y = make_line(n=20, seed=1)
    x, y = x.double(), y.double()
    batches = batch_indices(20, 5, STEPS, [0])
    torch_rates, torch_path = torch_run(make_scheduler, x, y, batches[:, 0])
    torch.testing.assert_close(rates, torch.tensor(torch_rates, dtype=torch.float64), rtol=1e-12, atol=1e-15)
    path = sgd_paths(x, y, torch.tensor([-1.0, 1.0]), lr=rates, batches=batches)[:, 0]
    torch.testing.assert_close(path, torch_path, rtol=1e-10, atol=1e-12)


def test_closed_forms() -> None:
    """A few rates worked out by hand."""
    assert step_decay(1.0, 10, step_size=3, gamma=0.1)[[0, 2, 3, 9]].tolist() == pytest.approx([1, 1, 0.1, 1e-3])
    assert inverse_time(2.0, 21, t0=10)[[0, 10, 20]].tolist() == pytest.approx([2.0, 1.0, 2 / 3])
    assert cosine(1.0, 4)[[0, 2]].tolist() == pytest.approx([1.0, 0.5])
    assert float(exponential(1.0, 3, gamma=0.5)[2]) == 0.25
    assert float(exponential(0.1, 2000, gamma=0.98).sum()) == pytest.approx(0.1 / (1 - 0.98), rel=1e-6)
    assert float(cosine(1.0, 8)[-1]) == pytest.approx((1 + math.cos(math.pi * 7 / 8)) / 2)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="gamma"):
        step_decay(0.1, 10, step_size=2, gamma=1.5)
    with pytest.raises(ValueError, match="lr must be"):
        constant(0.0, 10)
    with pytest.raises(ValueError, match="lr_min"):
        cosine(0.1, 10, lr_min=0.2)
    with pytest.raises(TypeError, match="steps must be an int"):
        inverse_time(0.1, 10.0, t0=5)


@pytest.mark.parametrize(
    ("make", "rate"),
    [
        (lambda steps: exponential(0.1, steps, gamma=0.1), lambda t: 0.1 * 0.1**t),
        (lambda steps: step_decay(0.1, steps, step_size=10, gamma=0.01), lambda t: 0.1 * 0.01 ** (t // 10)),
    ],
)
def test_rates_that_would_round_to_zero_are_refused_naming_the_step(make, rate) -> None:
    first = next(t for t in itertools.count() if rate(t) == 0.0)  # Python's float64 arithmetic, step by step
    assert float(make(first)[-1]) > 0  # the longest schedule that stays above 0 is given
    with pytest.raises(ValueError, match=rf"steps must be at most {first}, got {first + 1}: from step {first} on"):
        make(first + 1)
