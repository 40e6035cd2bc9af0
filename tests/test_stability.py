"""The Hessian of the linear MSE, the learning-rate bound and the loss grid, checked independently."""

from __future__ import annotations

import pytest
import torch

from lesson_code import (
    condition_number,
    gradient_descent,
    hessian_eigenvalues,
    hessian_linear_mse,
    least_squares,
    linear_mse,
    loss_grid,
    make_line,
    max_stable_lr,
)


@pytest.fixture()
def line():
    return make_line(n=100, a=(3.0, 2.0), seed=0)


def test_hessian_equals_autograd(line):
    x, y = line
    x, y = x.double(), y.double()
    a = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    expected = torch.autograd.functional.hessian(lambda a: linear_mse(a, x, y), a)
    torch.testing.assert_close(hessian_linear_mse(x), expected)


def test_hessian_of_a_wider_input_equals_autograd():
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(40, 4, generator=generator, dtype=torch.float64)
    y = torch.randn(40, generator=generator, dtype=torch.float64)
    a = torch.randn(4, generator=generator, dtype=torch.float64)
    expected = torch.autograd.functional.hessian(lambda a: ((x @ a - y) ** 2).mean(), a)
    torch.testing.assert_close(hessian_linear_mse(x), expected)


def test_bound_and_condition_number_from_numpy_eigenvalues(line):
    x, _ = line
    h = (2.0 / len(x)) * (x.double().numpy().T @ x.double().numpy())
    import numpy as np

    eig = np.linalg.eigvalsh(h)
    assert max_stable_lr(x) == pytest.approx(2.0 / eig[-1], rel=1e-5)
    assert condition_number(x) == pytest.approx(eig[-1] / eig[0], rel=1e-5)
    torch.testing.assert_close(hessian_eigenvalues(x).double(), torch.from_numpy(eig), rtol=1e-5, atol=1e-6)


def test_bound_agrees_with_experiment(line):
    x, y = line
    a0 = torch.tensor([-1.0, 1.0])
    bound = max_stable_lr(x)
    below = gradient_descent(linear_mse, a0, x, y, lr=0.95 * bound, steps=2000, raise_on_divergence=False)
    above = gradient_descent(linear_mse, a0, x, y, lr=1.05 * bound, steps=2000, raise_on_divergence=False)
    assert below.diverged_at is None
    torch.testing.assert_close(below.final, least_squares(x, y), rtol=1e-4, atol=1e-4)
    assert above.diverged_at is not None


def test_bound_agrees_with_experiment_on_scaled_inputs():
    x, y = make_line(n=50, seed=1)
    x = x * torch.tensor([5.0, 1.0])  # a steeper bowl: the bound must move with it
    a0 = torch.zeros(2)
    bound = max_stable_lr(x)
    assert bound < 0.5
    assert (
        gradient_descent(linear_mse, a0, x, y, lr=0.95 * bound, steps=3000, raise_on_divergence=False).diverged_at
        is None
    )
    assert (
        gradient_descent(linear_mse, a0, x, y, lr=1.05 * bound, steps=3000, raise_on_divergence=False).diverged_at
        is not None
    )


def test_condition_number_of_a_singular_hessian_is_infinite():
    x = torch.ones(10, 2)  # two identical columns
    assert condition_number(x) == float("inf")


def test_loss_grid_matches_linear_mse(line):
    x, y = line
    a1, a2, loss = loss_grid(x, y, (-1.0, 5.0), (0.0, 4.0), num=7)
    assert a1.shape == a2.shape == loss.shape == (7, 7)
    for i, j in ((0, 0), (3, 5), (6, 2)):
        a = torch.tensor([float(a1[i, j]), float(a2[i, j])])
        assert float(loss[i, j]) == pytest.approx(float(linear_mse(a, x, y)), rel=1e-5)
    assert float(a1[0, -1]) == pytest.approx(5.0) and float(a2[-1, 0]) == pytest.approx(4.0)


def test_bad_input_is_refused(line):
    x, y = line
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        hessian_linear_mse([[1.0, 1.0]])
    with pytest.raises(ValueError, match="shape"):
        max_stable_lr(torch.ones(5))
    with pytest.raises(ValueError, match="low < high"):
        loss_grid(x, y, (2.0, 1.0), (0.0, 1.0))
    with pytest.raises(ValueError, match="num"):
        loss_grid(x, y, (0.0, 1.0), (0.0, 1.0), num=1)


def test_best_constant_lr_beats_its_neighbours_in_an_experiment():
    from lesson_code import best_constant_lr

    x, y = make_line(n=100, seed=0)
    x = x.clone()
    x[:, 0] += 2.0  # a stretched bowl
    x, y = x.double(), y.double()
    a0 = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    best = least_squares(x, y)

    def error_after(lr: float) -> float:
        return float((gradient_descent(linear_mse, a0, x, y, lr=lr, steps=150).final - best).norm())

    eta = best_constant_lr(x)
    assert error_after(eta) < error_after(0.8 * eta)
    assert error_after(eta) < error_after(1.2 * eta)
    # and the worst-case contraction per step is (kappa - 1) / (kappa + 1)
    kappa = condition_number(x)
    assert error_after(eta) <= ((kappa - 1) / (kappa + 1)) ** 150 * float((a0 - best).norm()) * 1.0001
