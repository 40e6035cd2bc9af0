"""Heavy-ball momentum, checked against plain gradient descent, torch.optim.SGD and the closed form."""

from __future__ import annotations

import math

import pytest
import torch

from lesson_code import (
    gradient_descent,
    heavy_ball,
    hessian_eigenvalues,
    least_squares,
    linear_mse,
    make_line,
)


@pytest.fixture()
def far_line():
    x, y = make_line(n=100, seed=0)
    x = x.clone()
    x[:, 0] += 2.0
    return x, y + 6.0


def test_zero_momentum_is_gradient_descent(far_line):
    x, y = far_line
    a0 = torch.tensor([-1.0, 1.0])
    ball = heavy_ball(linear_mse, a0, x, y, lr=0.1, momentum=0.0, steps=30)
    plain = gradient_descent(linear_mse, a0, x, y, lr=0.1, steps=30)
    torch.testing.assert_close(ball.params, plain.params)


def test_same_steps_as_torch_optim_sgd_with_momentum(far_line):
    x, y = far_line
    a0 = torch.tensor([-1.0, 1.0])
    ball = heavy_ball(linear_mse, a0, x, y, lr=0.05, momentum=0.8, steps=25)
    a = a0.clone().requires_grad_(True)
    optimiser = torch.optim.SGD([a], lr=0.05, momentum=0.8)
    for step in range(25):
        optimiser.zero_grad()
        linear_mse(a, x, y).backward()
        optimiser.step()
        torch.testing.assert_close(ball.params[step + 1], a.detach(), rtol=1e-5, atol=1e-5)


def test_optimal_momentum_beats_plain_descent_on_a_stretched_bowl(far_line):
    x, y = far_line
    x, y = x.double(), y.double()
    a0 = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    low, high = (float(v) for v in hessian_eigenvalues(x))
    kappa = high / low
    beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    eta = 4 / (math.sqrt(high) + math.sqrt(low)) ** 2
    best = least_squares(x, y)
    ball = heavy_ball(linear_mse, a0, x, y, lr=eta, momentum=beta, steps=60)
    plain = gradient_descent(linear_mse, a0, x, y, lr=2 / (high + low), steps=60)
    start = float((a0 - best).norm())
    rate = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    # Theory: the error shrinks like rate**k up to a polynomial factor; allow a generous constant.
    assert float((ball.final - best).norm()) < 50 * 60 * rate**60 * start
    assert float((ball.final - best).norm()) < 1e-3 * float((plain.final - best).norm())


def test_bad_momentum_is_refused(far_line):
    x, y = far_line
    with pytest.raises(ValueError, match="momentum"):
        heavy_ball(linear_mse, torch.zeros(2), x, y, lr=0.1, momentum=1.0, steps=5)
    with pytest.raises(ValueError, match="lr"):
        heavy_ball(linear_mse, torch.zeros(2), x, y, lr=0.0, momentum=0.5, steps=5)
