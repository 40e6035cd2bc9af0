"""The training loops: against least squares, against each other, and against PyTorch's own tools."""

import math
import re

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from lesson_code import (
    DivergenceError,
    RMSProp,
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


# -- a run that stops being finite says so, wherever it happens, and says what went first ----------


def test_divergence_on_the_last_update_is_reported(data):
    x, y = data
    # lr = 1e10: two steps leave parameters near 1e21, finite in float32, whose loss (near 1e42) is not
    run = gradient_descent(linear_mse, A0, x, y, lr=1e10, steps=2, raise_on_divergence=False)
    path = loss_path(linear_mse, run, x, y)  # computed apart from the run: its last entry is what a reader sees
    assert torch.isfinite(run.params).all() and not math.isfinite(float(path[-1]))
    assert run.diverged_at == run.steps == 2
    with pytest.raises(DivergenceError, match="after the last step, 2 of 2"):
        gradient_descent(linear_mse, A0, x, y, lr=1e10, steps=2)


def test_a_run_stops_exactly_when_its_parameters_or_its_loss_stop_being_finite(data):
    x, y = data
    for steps in (1, 2, 3, 5, 8, 13, 40):  # whatever the last step, the record says what the loss path shows
        run = gradient_descent(linear_mse, A0, x, y, lr=3.0, steps=steps, raise_on_divergence=False)
        finite = bool(torch.isfinite(run.params).all()) and all(
            math.isfinite(float(v)) for v in loss_path(linear_mse, run, x, y)
        )
        assert (run.diverged_at is None) == finite, steps


def test_a_nan_gradient_on_a_one_step_run_is_reported_as_the_gradient():
    x, y = make_line(10, seed=0)

    def loss_with_a_kink(a, x, y):  # sqrt(|a|) has no finite derivative at a = 0
        return linear_mse(a, x, y) + a.abs().sqrt().sum()

    run = gradient_descent(loss_with_a_kink, torch.zeros(2), x, y, lr=0.1, steps=1, raise_on_divergence=False)
    assert run.diverged_at == 1 and not torch.isfinite(run.final).all()
    with pytest.raises(DivergenceError) as raised:
        gradient_descent(loss_with_a_kink, torch.zeros(2), x, y, lr=0.1, steps=1)
    message = str(raised.value)
    assert "the gradient stopped being finite at step 0" in message
    assert "the learning rate is not the cause" in message and "too large" not in message


def test_a_loss_that_is_not_finite_at_the_start_does_not_blame_the_learning_rate():
    x, y = make_line(10, seed=0)
    with pytest.raises(DivergenceError) as raised:  # (1e20)^2 overflows float32 before any update
        gradient_descent(linear_mse, torch.ones(2), x * 1e20, y, lr=1e-6, steps=5)
    message = str(raised.value)
    assert "at the start, before any update" in message and "the learning rate played no part" in message


def test_an_eps_that_rounds_to_zero_is_reported_as_the_rules_step():
    x, y = make_line(10, seed=0)
    x = torch.stack([x[:, 0], torch.zeros(10)], dim=1)  # the second weight's gradient is exactly 0
    # float32 rounds eps = 1e-50 to 0, and RMSProp then divides 0 by 0 for the second weight
    assert float(torch.tensor(1e-50)) == 0.0
    with pytest.raises(DivergenceError) as raised:
        gradient_descent(linear_mse, torch.zeros(2), x, y, lr=0.1, steps=3, rule=RMSProp(eps=1e-50))
    message = str(raised.value)
    assert "the step of the update rule RMSProp stopped being finite at step 0" in message and "eps" in message


def test_a_large_learning_rate_is_named_as_the_likely_cause(data):
    x, y = data
    with pytest.raises(DivergenceError, match="the learning rate is too large"):
        gradient_descent(linear_mse, A0, x, y, lr=3.0, steps=200)


def test_a_float64_run_keeps_float64_losses():
    x, y = make_line(10, seed=0)
    x, y = x.double(), y.double() * 1e20  # losses near 1e40: finite in float64, beyond float32's 3.4e38
    run = gradient_descent(linear_mse, torch.zeros(2, dtype=torch.float64), x, y, lr=0.01, steps=3)
    assert run.diverged_at is None and run.losses_before.dtype == torch.float64
    by_hand = torch.stack([((x @ a - y) ** 2).mean() for a in run.params[:-1]])  # the MSE, written out
    assert torch.isfinite(run.losses_before).all() and float(run.losses_before.min()) > 3.5e38
    torch.testing.assert_close(run.losses_before, by_hand, rtol=1e-15, atol=0)


def test_a_rule_of_ones_own_that_keeps_the_protocol_takes_the_plain_steps(data):
    x, y = data

    class Halved:  # the plain step at half the rate: init -> state, step -> (step, state)
        def init(self, params):
            return ()

        def step(self, grad, state, lr):
            return -lr / 2 * grad, state

    ours = gradient_descent(linear_mse, A0, x, y, lr=0.2, steps=5, rule=Halved())
    plain = gradient_descent(linear_mse, A0, x, y, lr=0.1, steps=5)
    torch.testing.assert_close(ours.params, plain.params)


def test_a_rule_that_returns_the_step_alone_is_refused_with_the_protocol(data):
    x, y = data

    class StepOnly:
        def init(self, params):
            return ()

        def step(self, grad, state, lr):
            return -lr * grad  # no state: unpacking this would add a number to every parameter

    with pytest.raises(TypeError, match=re.escape("step, state = rule.step(grad, state, lr)")):
        gradient_descent(linear_mse, A0, x, y, lr=0.1, steps=2, rule=StepOnly())
