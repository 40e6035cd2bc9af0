"""The noise of SGD: covariance of mini-batch gradients, the noise ball, averaging.

Oracles: enumeration of every batch, autograd, lesson_code.train, the definition of a mean,
and measurement by simulation.
"""

from __future__ import annotations

import itertools

import pytest
import torch

from lesson_code import DivergenceError, epoch_batches, excess_loss, linear_mse, make_line, train
from lesson_code.noise import (
    NOISE_BALL_TOLERANCE,
    batch_indices,
    example_gradients,
    minibatch_covariance,
    noise_ball,
    running_average,
    sample_minibatch_gradients,
    sgd_paths,
)


@pytest.fixture(scope="module")
def small() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x, y = make_line(n=7, a=(3.0, 2.0), seed=3)
    return x.double(), y.double(), torch.tensor([-1.0, 1.0], dtype=torch.float64)


def test_example_gradients_are_autograd_gradients(small) -> None:
    x, y, a = small
    for i in range(len(y)):
        point = a.clone().requires_grad_(True)
        linear_mse(point, x[i : i + 1], y[i : i + 1]).backward()
        torch.testing.assert_close(example_gradients(x, y, a)[i], point.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch_size", range(1, 8))
def test_minibatch_covariance_is_the_covariance_over_every_batch(small, batch_size: int) -> None:
    """Enumerate all C(n, b) batches without replacement; each is equally likely."""
    x, y, a = small
    every = []
    for batch in itertools.combinations(range(len(y)), batch_size):
        point = a.clone().requires_grad_(True)
        linear_mse(point, x[list(batch)], y[list(batch)]).backward()
        every.append(point.grad)
    grads = torch.stack(every)  # (C(n, b), p)
    centred = grads - grads.mean(dim=0)
    enumerated = centred.T @ centred / len(grads)
    torch.testing.assert_close(minibatch_covariance(x, y, a, batch_size), enumerated, rtol=1e-10, atol=1e-12)


def test_full_batch_has_no_noise(small) -> None:
    x, y, a = small
    assert torch.equal(minibatch_covariance(x, y, a, len(y)), torch.zeros(2, 2, dtype=torch.float64))


def test_sampled_gradients_match_the_formula() -> None:
    x, y = make_line(n=100, seed=0)
    a = torch.tensor([-1.0, 1.0])
    grads = sample_minibatch_gradients(x, y, a, 10, draws=20000, seed=1)
    exact = minibatch_covariance(x, y, a, 10)
    # each variance is estimated from 20000 draws: a relative standard error of about 1%
    torch.testing.assert_close(grads.var(dim=0), exact.diagonal(), rtol=0.05, atol=0)
    assert len(set(tuple(row.tolist()) for row in grads[:50])) == 50  # different batches, different gradients


def test_reshuffled_batches_are_the_batches_of_sgd() -> None:
    batches = batch_indices(20, 5, 13, [0, 7], reshuffle=True)
    assert batches.shape == (13, 2, 5)
    for run, seed in enumerate((0, 7)):
        expected = torch.stack(epoch_batches(20, 5, 4, seed=seed))[:13]
        assert torch.equal(batches[:, run], expected)


def test_independent_batches_hold_distinct_examples() -> None:
    batches = batch_indices(10, 4, 200, [0], reshuffle=False)[:, 0]
    assert all(len(set(b.tolist())) == 4 for b in batches)
    assert len({tuple(sorted(b.tolist())) for b in batches}) > 100  # many different batches


def test_sgd_paths_take_the_steps_of_train() -> None:
    x, y = make_line(n=20, seed=2)
    x, y = x.double(), y.double()
    a0 = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    batches = batch_indices(20, 4, 30, [0, 1], reshuffle=False)
    paths = sgd_paths(x, y, a0, lr=0.2, batches=batches)
    for run in range(2):
        history = train(linear_mse, a0, x, y, lr=0.2, batches=list(batches[:, run]))
        torch.testing.assert_close(paths[:, run], history.params, rtol=1e-12, atol=1e-12)


def test_sgd_paths_follow_a_schedule_step_by_step() -> None:
    x, y = make_line(n=20, seed=2)
    a0 = torch.tensor([-1.0, 1.0])
    batches = batch_indices(20, 5, 12, [3])
    rates = torch.linspace(0.3, 0.01, 12, dtype=torch.float64)
    paths = sgd_paths(x, y, a0, lr=rates, batches=batches)
    a = a0.double()
    for k in range(12):  # one train step per rate, from where the last one ended
        a = train(linear_mse, a, x.double(), y.double(), lr=float(rates[k]), batches=[batches[k, 0]]).final
        torch.testing.assert_close(paths[k + 1, 0], a, rtol=1e-12, atol=1e-12)


def test_excess_loss_is_the_difference_of_losses() -> None:
    x, y = make_line(n=50, seed=4)
    x64, y64 = x.double(), y.double()
    a_star = torch.linalg.solve(x64.T @ x64, x64.T @ y64)  # the normal equations
    points = torch.tensor([[-1.0, 1.0], [3.0, 2.5], [2.9, 2.4]], dtype=torch.float64)
    difference = torch.stack([linear_mse(a, x64, y64) - linear_mse(a_star, x64, y64) for a in points])
    torch.testing.assert_close(excess_loss(x, y, points), difference, rtol=1e-9, atol=1e-13)
    assert float(excess_loss(x, y, a_star)) < 1e-25
    diverged = torch.tensor([[float("nan"), 1.0], [float("inf"), 0.0]])
    assert excess_loss(x, y, diverged).tolist() == [float("inf"), float("inf")]


def test_running_average_is_the_mean_of_the_iterates() -> None:
    params = torch.randn(9, 3, 2, generator=torch.Generator().manual_seed(0))
    averages = running_average(params, start=2)
    assert averages.shape == (7, 3, 2)
    for k in range(7):
        torch.testing.assert_close(averages[k], params[2 : 3 + k].double().mean(dim=0), rtol=1e-12, atol=1e-12)


def test_noise_ball_small_rate_limit() -> None:
    """For a small rate the prediction is (lr / 4) tr C, the trace of the mini-batch covariance at the minimum."""
    x, y = make_line(n=100, seed=0)
    a_star = torch.linalg.lstsq(x.double(), y.double().unsqueeze(1)).solution.squeeze(1)
    trace = float(minibatch_covariance(x, y, a_star, 5).trace())
    assert noise_ball(x, y, lr=1e-6, batch_size=5) == pytest.approx(1e-6 / 4 * trace, rel=1e-5)
    assert noise_ball(x, y, lr=0.1, batch_size=100) == 0.0


@pytest.mark.parametrize("batch_size", [1, 10])
def test_noise_ball_prediction_matches_measurement(batch_size: int) -> None:
    """Independent batches at lr 0.1: the settled mean excess loss is within the chapter's tolerance."""
    x, y = make_line(n=100, seed=0)
    a_star = torch.linalg.lstsq(x.double(), y.double().unsqueeze(1)).solution.squeeze(1)
    batches = batch_indices(100, batch_size, 3000, range(20), reshuffle=False)
    paths = sgd_paths(x, y, a_star, lr=0.1, batches=batches)
    measured = float(excess_loss(x, y, paths[500:]).mean())
    predicted = noise_ball(x, y, lr=0.1, batch_size=batch_size)
    assert abs(measured / predicted - 1) < NOISE_BALL_TOLERANCE, (measured, predicted)


def test_bad_input_is_refused() -> None:
    x, y = make_line(n=10, seed=0)
    with pytest.raises(ValueError, match="batch_size must divide n"):
        batch_indices(10, 3, 5, [0])
    with pytest.raises(ValueError, match="seeds"):
        batch_indices(10, 2, 5, [])
    with pytest.raises(ValueError, match="stability bound"):
        noise_ball(x, y, lr=5.0, batch_size=1)
    with pytest.raises(ValueError, match="lr must be"):
        sgd_paths(x, y, torch.zeros(2), lr=torch.ones(4), batches=batch_indices(10, 2, 5, [0]))
    with pytest.raises(TypeError, match="batches must be int64"):
        sgd_paths(x, y, torch.zeros(2), lr=0.1, batches=torch.zeros(5, 1, 2))
    with pytest.raises(ValueError, match=r"params \(\.\.\., p\), got .*\(4, 3\)"):
        excess_loss(x, y, torch.zeros(4, 3))
    with pytest.raises(ValueError, match="batch_size must be 1..10"):
        minibatch_covariance(x, y, torch.zeros(2), 11)


def test_sgd_paths_that_stop_being_finite_raise_like_train() -> None:
    x, y = make_line(n=10, seed=0)
    batches = batch_indices(10, 2, 500, [0, 1])
    with pytest.raises(DivergenceError, match=r"run \d stopped being finite after step \d+ of 500 \(lr = 10"):
        sgd_paths(x, y, torch.zeros(2), lr=10.0, batches=batches)
    # the same run, step by step through train in float64, stops being finite too: the error is the run's
    first = batches[:, 0]
    with pytest.raises(DivergenceError):
        train(linear_mse, torch.zeros(2, dtype=torch.float64), x.double(), y.double(), lr=10.0, batches=list(first))
