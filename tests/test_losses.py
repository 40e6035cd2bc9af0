"""The mean squared error and its hand-derived gradient, checked against definitions and autograd."""

import pytest
import torch
from oracles import central_differences

from lesson_code import linear_mse, make_line, mse, mse_grad


def test_mse_matches_its_definition_on_small_numbers():
    y_hat = torch.tensor([1.0, 2.0, 4.0])
    y = torch.tensor([0.0, 2.0, 1.0])
    assert mse(y_hat, y).item() == pytest.approx((1 + 0 + 9) / 3)


def test_mse_is_zero_only_for_a_perfect_prediction_and_symmetric():
    y = torch.tensor([0.5, -1.0, 3.0])
    assert mse(y, y).item() == 0
    y_hat = y + torch.tensor([0.1, -0.2, 0.3])
    assert mse(y_hat, y) > 0
    assert mse(y_hat, y) == mse(y, y_hat)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hand_gradient_equals_autograd(seed):
    x, y = make_line(n=50, seed=seed)
    a = torch.randn(2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    x, y = x.double(), y.double()
    a_auto = a.clone().requires_grad_(True)
    linear_mse(a_auto, x, y).backward()
    torch.testing.assert_close(mse_grad(a, x, y), a_auto.grad, rtol=1e-12, atol=1e-12)


def test_hand_gradient_equals_central_differences():
    x, y = make_line(n=30, seed=4)
    x, y = x.double(), y.double()
    a = torch.tensor([0.3, -0.7], dtype=torch.float64)
    numeric = central_differences(lambda v: linear_mse(v, x, y), a)
    torch.testing.assert_close(mse_grad(a, x, y), numeric, rtol=1e-6, atol=1e-8)


def test_gradient_vanishes_at_the_least_squares_solution():
    x, y = make_line(n=80, seed=9)
    x, y = x.double(), y.double()
    a_star = torch.linalg.solve(x.T @ x, x.T @ y)  # the normal equations, solved directly
    assert mse_grad(a_star, x, y).abs().max() < 1e-12


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="same shape"):
        mse(torch.zeros(3), torch.zeros(4))
    x, y = make_line(n=10)
    with pytest.raises(ValueError, match=r"y must have shape \(10,\)"):
        mse_grad(torch.zeros(2), x, y[:9])
    with pytest.raises(ValueError, match=r"a must have shape \(2,\)"):
        mse_grad(torch.zeros(3), x, y)


def test_non_finite_data_is_refused():
    x, y = make_line(n=10)
    y[3] = float("nan")
    with pytest.raises(ValueError, match="y must be finite"):
        mse_grad(torch.zeros(2), x, y)
    x, y = make_line(n=10)
    with pytest.raises(TypeError, match="a must be a torch.Tensor"):
        mse_grad([0.0, 0.0], x, y)
