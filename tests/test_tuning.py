"""The learning-rate grid: the same steps as `sgd`, and the excess loss as a difference of losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lesson_code import linear_mse, make_line, sgd
from lesson_code.tuning import excess_loss, sgd_lr_grid


@pytest.fixture
def line64():
    x, y = make_line(n=40, a=(3.0, 2.0), seed=3)
    return x.double(), y.double()


@pytest.mark.parametrize("batch_size", [1, 7, 40])
def test_each_run_takes_the_steps_of_sgd(line64, batch_size):
    x, y = line64
    a0 = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    lrs = [0.01, 0.1, 0.3]
    grid = sgd_lr_grid(x, y, a0, lrs=lrs, batch_size=batch_size, epochs=3, seed=5)
    per_epoch = -(-40 // batch_size)
    for j, lr in enumerate(lrs):
        # autograd's gradient, one run at a time: an independent computation of the same steps
        run = sgd(linear_mse, a0, x, y, lr=lr, batch_size=batch_size, epochs=3, seed=5)
        torch.testing.assert_close(grid[:, j], run.params[::per_epoch], rtol=1e-12, atol=1e-12)


def test_full_batch_is_gradient_descent_in_closed_form(line64):
    x, y = line64
    xn, yn = x.numpy(), y.numpy()
    a0 = np.array([0.5, -2.0])
    hessian = 2 / len(yn) * xn.T @ xn
    best = np.linalg.solve(xn.T @ xn, xn.T @ yn)
    lr = 0.2
    grid = sgd_lr_grid(x, y, torch.tensor(a0), lrs=[lr], batch_size=40, epochs=6, seed=0)
    for k in range(7):  # a_k - a* = (I - lr H)^k (a_0 - a*)
        expected = best + np.linalg.matrix_power(np.eye(2) - lr * hessian, k) @ (a0 - best)
        np.testing.assert_allclose(grid[k, 0].numpy(), expected, rtol=1e-12, atol=1e-12)


def test_a_run_above_the_stability_bound_diverges_alone(line64):
    x, y = line64
    bound = 2 / np.linalg.eigvalsh(2 / 40 * x.numpy().T @ x.numpy()).max()
    grid = sgd_lr_grid(
        x, y, torch.zeros(2, dtype=torch.float64), lrs=[0.5 * bound, 6 * bound], batch_size=40, epochs=400, seed=0
    )  # |1 - 6 * 2| = 11 per step: overflows
    assert torch.isfinite(grid[-1, 0]).all()
    assert torch.isnan(grid[-1, 1]).all()
    assert torch.isinf(excess_loss(x, y, grid[-1])[1])


def test_excess_loss_is_the_difference_of_losses(line64):
    x, y = line64
    xn, yn = x.numpy(), y.numpy()
    best = np.linalg.lstsq(xn, yn, rcond=None)[0]
    rng = np.random.default_rng(0)
    params = best + rng.normal(scale=0.3, size=(5, 2))
    direct = np.array([np.mean((xn @ a - yn) ** 2) - np.mean((xn @ best - yn) ** 2) for a in params])
    np.testing.assert_allclose(excess_loss(x, y, torch.tensor(params)).numpy(), direct, rtol=1e-9)
    assert float(excess_loss(x, y, torch.tensor(best))) == pytest.approx(0.0, abs=1e-20)


def test_excess_loss_keeps_its_digits_in_float32_data():
    x, y = make_line(n=100, a=(3.0, 2.0), seed=0)  # float32
    xn, yn = x.double().numpy(), y.double().numpy()
    best = np.linalg.lstsq(xn, yn, rcond=None)[0]
    near = best + np.array([1e-3, -2e-3])
    expected = np.mean((xn @ (near - best)) ** 2)
    assert float(excess_loss(x, y, torch.tensor(near))) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"lrs": []}, "lrs"),
        ({"lrs": [0.1, -0.1]}, "lrs"),
        ({"lrs": [float("nan")]}, "lrs"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 41}, "batch_size"),
        ({"epochs": 0}, "epochs"),
    ],
)
def test_bad_input_is_named(line64, kwargs, words):
    x, y = line64
    args = {"lrs": [0.1], "batch_size": 4, "epochs": 1, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=words):
        sgd_lr_grid(x, y, torch.zeros(2, dtype=torch.float64), **args)


def test_a_start_of_the_wrong_shape_is_named(line64):
    x, y = line64
    with pytest.raises(ValueError, match="params0"):
        sgd_lr_grid(x, y, torch.zeros(3, dtype=torch.float64), lrs=[0.1], batch_size=4, epochs=1, seed=0)
    with pytest.raises(TypeError, match="params0"):
        sgd_lr_grid(x, y, [0.0, 0.0], lrs=[0.1], batch_size=4, epochs=1, seed=0)


def test_excess_loss_refuses_a_list(line64):
    x, y = line64
    with pytest.raises(TypeError, match="params"):
        excess_loss(x, y, [1.0, 2.0])
