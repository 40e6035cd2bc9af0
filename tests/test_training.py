"""The training loops: against least squares, against each other, and against PyTorch's own tools."""

import math

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from lesson_code import (
    DivergenceError,
    epoch_batches,
    gradient_descent,
    least_squares,
    linear_mse,
    loss_path,
    make_line,
    mse,
    mse_grad,
    sgd,
    steps_per_epoch,
)

A0 = torch.tensor([-1.0, 1.0])


@pytest.fixture(scope="module")
def data():
    return make_line(n=100, a=(3.0, 2.0), seed=0)


def test_least_squares_solves_the_normal_equations(data):
    x, y = data
    a = least_squares(x, y).double()
    xd, yd = x.double(), y.double()
    torch.testing.assert_close(xd.T @ xd @ a, xd.T @ yd, rtol=1e-5, atol=1e-4)


def test_gradient_descent_reaches_least_squares(data):
    x, y = data
    history = gradient_descent(linear_mse, A0, x, y, lr=0.1, steps=2000)
    torch.testing.assert_close(history.final, least_squares(x, y), rtol=0, atol=1e-4)


def test_each_step_is_the_hand_derived_update(data):
    x, y = data
    history = gradient_descent(linear_mse, A0, x, y, lr=0.1, steps=5)
    for before, after in zip(history.params[:-1], history.params[1:], strict=True):
        torch.testing.assert_close(after, before - 0.1 * mse_grad(before, x, y), rtol=1e-6, atol=1e-6)
    assert history.params.shape == (6, 2) and history.losses_before.shape == (5,)
    torch.testing.assert_close(history.losses_before[0], mse(x @ A0, y))
    torch.testing.assert_close(history.losses_before[-1], mse(x @ history.params[-2], y))


def test_the_loss_after_the_last_step_comes_from_loss_path(data):
    """``losses_before`` stops one step short; ``loss_path`` has the loss after every step, the last included."""
    x, y = data
    history = gradient_descent(linear_mse, A0, x, y, lr=0.1, steps=5)
    path = loss_path(linear_mse, history, x, y)
    assert path.shape == (6,)
    torch.testing.assert_close(path[:-1], history.losses_before)
    torch.testing.assert_close(path[-1], mse(x @ history.final, y))
    with pytest.raises(AttributeError, match="losses_before.*loss_path"):
        history.losses  # noqa: B018 - the old name explains itself


def test_gradient_descent_shrinks_the_error_by_the_predicted_factor(data):
    """On a quadratic, the error along each eigenvector of the Hessian shrinks by |1 - lr * lambda| per step."""
    x, y = (t.double() for t in data)
    hessian = 2 / len(y) * x.T @ x
    eigenvalues, eigenvectors = torch.linalg.eigh(hessian)
    a_star = torch.linalg.solve(x.T @ x, x.T @ y)
    lr, steps = 0.1, 30
    history = gradient_descent(linear_mse, A0.double(), x, y, lr=lr, steps=steps)
    start = eigenvectors.T @ (A0.double() - a_star)
    end = eigenvectors.T @ (history.final - a_star)
    torch.testing.assert_close(end, start * (1 - lr * eigenvalues) ** steps, rtol=1e-8, atol=1e-10)


def test_loss_never_increases_for_a_small_learning_rate(data):
    x, y = data
    losses = gradient_descent(linear_mse, A0, x, y, lr=0.1, steps=100).losses_before
    assert torch.all(losses[1:] <= losses[:-1] + 1e-7)


def test_sgd_with_the_full_batch_takes_the_gradient_descent_steps(data):
    x, y = data
    full = sgd(linear_mse, A0, x, y, lr=0.1, batch_size=100, epochs=50, seed=3)
    gd = gradient_descent(linear_mse, A0, x, y, lr=0.1, steps=50)
    # Only the order of the sum inside the mean differs: float32 rounding.
    torch.testing.assert_close(full.params, gd.params, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("n", "batch_size"), [(100, 10), (100, 32), (7, 3), (5, 1)])
def test_every_epoch_visits_every_example_once(n, batch_size):
    batches = epoch_batches(n, batch_size, epochs=3, seed=1)
    per_epoch = math.ceil(n / batch_size)
    assert len(batches) == 3 * per_epoch == 3 * steps_per_epoch(n, batch_size)
    for epoch in range(3):
        seen = torch.cat(batches[epoch * per_epoch : (epoch + 1) * per_epoch])
        assert sorted(seen.tolist()) == list(range(n))
    assert all(len(b) == batch_size for b in batches[: per_epoch - 1])


def test_epochs_are_shuffled_differently_and_reproducibly():
    first = epoch_batches(100, 100, epochs=2, seed=0)
    again = epoch_batches(100, 100, epochs=2, seed=0)
    assert not torch.equal(first[0], first[1])
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))


def test_sgd_takes_the_steps_of_dataloader_and_torch_optim_sgd(data):
    x, y = data
    ours = sgd(linear_mse, A0, x, y, lr=0.1, batch_size=16, epochs=4, seed=7)
    a = A0.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([a], lr=0.1)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(7))
    path = [a.detach().clone()]
    for _ in range(4):
        for xb, yb in loader:
            optimizer.zero_grad()
            mse(xb @ a, yb).backward()
            optimizer.step()
            path.append(a.detach().clone())
    torch.testing.assert_close(torch.stack(path), ours.params, rtol=1e-6, atol=1e-6)


def test_sgd_records_the_batch_each_step_used(data):
    x, y = data
    run = sgd(linear_mse, A0, x, y, lr=0.05, batch_size=10, epochs=2, seed=2)
    batches = epoch_batches(100, 10, epochs=2, seed=2)
    assert run.steps == 20 and len(run.batches) == 20
    assert all(torch.equal(a, b) for a, b in zip(run.batches, batches, strict=True))
    for k in (0, 7, 19):
        b = run.batches[k]
        torch.testing.assert_close(run.losses_before[k], mse(x[b] @ run.params[k], y[b]))


def test_loss_path_scores_every_recorded_parameter_on_all_the_data(data):
    x, y = data
    run = sgd(linear_mse, A0, x, y, lr=0.1, batch_size=10, epochs=1, seed=0)
    path = loss_path(linear_mse, run, x, y)
    assert path.shape == (11,)
    torch.testing.assert_close(path[4], mse(x @ run.params[4], y))


def test_divergence_raises_naming_the_step(data):
    x, y = data
    with pytest.raises(DivergenceError, match=r"stopped being finite at step \d+ of 200 \(lr = 3\)"):
        gradient_descent(linear_mse, A0, x, y, lr=3.0, steps=200)


def test_divergence_can_be_recorded_instead(data):
    x, y = data
    run = gradient_descent(linear_mse, A0, x, y, lr=3.0, steps=200, raise_on_divergence=False)
    assert run.diverged_at is not None and run.diverged_at < 200
    assert run.steps == run.diverged_at
    assert torch.isfinite(run.losses_before).all()
    assert not torch.isfinite(linear_mse(run.final, x, y)) or run.diverged_at == run.steps


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lr": 0.0}, ValueError, "lr must be a finite number above 0"),
        ({"lr": -0.1}, ValueError, "lr must be a finite number above 0"),
        ({"lr": "0.1"}, TypeError, "lr must be a number"),
        ({"batch_size": 0}, ValueError, r"batch_size must be 1\.\.100"),
        ({"batch_size": 101}, ValueError, r"batch_size must be 1\.\.100"),
        ({"epochs": 0}, ValueError, "epochs must be at least 1"),
    ],
)
def test_sgd_refuses_bad_settings(data, kwargs, error, message):
    x, y = data
    settings = {"lr": 0.1, "batch_size": 10, "epochs": 1, "seed": 0} | kwargs
    with pytest.raises(error, match=message):
        sgd(linear_mse, A0, x, y, **settings)


def test_training_refuses_bad_data(data):
    x, y = data
    with pytest.raises(ValueError, match="same number of examples"):
        gradient_descent(linear_mse, A0, x, y[:50], lr=0.1, steps=1)
    bad = y.clone()
    bad[0] = float("inf")
    with pytest.raises(ValueError, match="y must be finite"):
        gradient_descent(linear_mse, A0, x, bad, lr=0.1, steps=1)
    with pytest.raises(ValueError, match="params0 must be a vector"):
        gradient_descent(linear_mse, A0.reshape(1, 2), x, y, lr=0.1, steps=1)
