"""The maths of lesson_code.generalisation, against independent oracles: NumPy's Legendre
polynomials and polyfit, Gauss-Legendre quadrature, autograd, an augmented least-squares
problem, and torch.optim.SGD(weight_decay=...)."""

import re
from functools import partial

import numpy as np
import pytest
import torch

from lesson_code import (
    early_stop,
    gradient_descent,
    make_curve,
    poly_features,
    ridge_fit,
    ridge_grad,
    ridge_mse,
    split_indices,
    train,
)

# -- the data and the split ----------------------------------------------------------------


def test_make_curve_is_seeded_and_noise_free_curve_is_the_sine():
    x, y = make_curve(50, seed=3)
    x2, y2 = make_curve(50, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(x, make_curve(50, seed=4)[0])
    assert x.shape == y.shape == (50,)
    assert float(x.min()) >= -1 and float(x.max()) < 1
    x0, y0 = make_curve(50, noise=0.0, seed=3)
    np.testing.assert_allclose(y0.numpy(), np.sin(np.pi * x0.numpy()), atol=1e-6)


def test_make_curve_noise_has_the_stated_spread():
    x, y = make_curve(20000, noise=0.5, seed=0)
    residual = (y - torch.sin(torch.pi * x)).double()
    assert abs(float(residual.mean())) < 0.02
    assert abs(float(residual.std()) - 0.5) < 0.01


@pytest.mark.parametrize(("n", "validation", "test"), [(60, 20, 20), (10, 1, 1), (7, 3, 3)])
def test_split_is_disjoint_complete_and_sized(n, validation, test):
    split = split_indices(n, validation=validation, test=test, seed=0)
    assert (len(split.train), len(split.validation), len(split.test)) == (n - validation - test, validation, test)
    together = torch.cat([split.train, split.validation, split.test])
    assert torch.equal(together.sort().values, torch.arange(n))  # complete, and no index twice
    for a, b in ((split.train, split.validation), (split.train, split.test), (split.validation, split.test)):
        assert not set(a.tolist()) & set(b.tolist())


def test_split_is_seeded():
    first = split_indices(60, validation=20, test=20, seed=5)
    again = split_indices(60, validation=20, test=20, seed=5)
    other = split_indices(60, validation=20, test=20, seed=6)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(first.validation, other.validation)


def test_split_refuses_sets_that_leave_nothing_to_train_on():
    with pytest.raises(ValueError, match="test"):
        split_indices(10, validation=5, test=5, seed=0)
    with pytest.raises(ValueError, match="validation"):
        split_indices(10, validation=0, test=2, seed=0)
    with pytest.raises(TypeError, match="n must be an int"):
        split_indices(10.0, validation=2, test=2, seed=0)


# -- polynomial features -------------------------------------------------------------------


def test_features_are_scaled_legendre_polynomials_with_the_ones_last():
    x = torch.linspace(-1, 1, 41, dtype=torch.float64)
    degree = 9
    expected = np.polynomial.legendre.legvander(x.numpy(), degree) * np.sqrt(2 * np.arange(degree + 1) + 1)
    expected = np.concatenate([expected[:, 1:], expected[:, :1]], axis=1)
    np.testing.assert_allclose(poly_features(x, degree).numpy(), expected, rtol=1e-12, atol=1e-12)
    assert poly_features(x, 0).shape == (41, 1)
    assert torch.equal(poly_features(x, 0)[:, 0], torch.ones(41, dtype=torch.float64))


def test_features_are_orthonormal_for_uniform_inputs():
    # Gauss-Legendre quadrature with 20 nodes integrates polynomials up to degree 39 exactly:
    # E[phi_j phi_k] for x ~ U[-1, 1] is (1/2) * sum_i w_i phi_j(x_i) phi_k(x_i).
    nodes, weights = np.polynomial.legendre.leggauss(20)
    phi = poly_features(torch.tensor(nodes), 15).numpy()
    gram = 0.5 * phi.T @ (weights[:, None] * phi)
    np.testing.assert_allclose(gram, np.eye(16), atol=1e-12)


def test_least_squares_on_the_features_is_numpys_polyfit():
    x, y = make_curve(40, seed=1)
    x, y = x.double(), y.double()
    for degree in (1, 3, 6):
        fitted = poly_features(x, degree) @ ridge_fit(poly_features(x, degree), y)
        reference = np.polyval(np.polyfit(x.numpy(), y.numpy(), degree), x.numpy())
        np.testing.assert_allclose(fitted.numpy(), reference, atol=1e-9)


def test_features_refuse_inputs_outside_the_interval():
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        poly_features(torch.tensor([0.0, 2.0]), 3)
    with pytest.raises(ValueError, match="shape"):
        poly_features(torch.zeros(3, 2), 3)
    with pytest.raises(ValueError, match="degree"):
        poly_features(torch.zeros(3), -1)


# -- the L2-regularised loss ---------------------------------------------------------------


def _problem(degree=6, seed=2):
    x, y = make_curve(25, seed=seed)
    features = poly_features(x.double(), degree)
    a = torch.randn(degree + 1, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return features, y.double(), a


def test_ridge_loss_is_the_mse_plus_half_alpha_times_the_squared_weights_without_intercept():
    x, y, a = _problem()
    alpha = 0.3
    by_hand = sum((float(x[i] @ a) - float(y[i])) ** 2 for i in range(len(y))) / len(y)
    by_hand += alpha / 2 * sum(float(v) ** 2 for v in a[:-1])
    assert float(ridge_mse(a, x, y, alpha)) == pytest.approx(by_hand, rel=1e-12)
    moved = a.clone()
    moved[-1] += 5.0  # the intercept is not penalised: only the data term changes
    assert float(ridge_mse(moved, x, y, alpha) - ridge_mse(moved, x, y, 0.0)) == pytest.approx(
        float(ridge_mse(a, x, y, alpha) - ridge_mse(a, x, y, 0.0)), rel=1e-12
    )


@pytest.mark.parametrize("alpha", [0.0, 0.01, 1.0])
def test_ridge_gradient_is_autograds(alpha):
    x, y, a = _problem()
    a = a.requires_grad_(True)
    # written apart from ridge_mse, so that autograd checks the formula and not only the code
    loss = ((x @ a - y) ** 2).mean() + 0.5 * alpha * (a[:-1] * a[:-1]).sum()
    loss.backward()
    torch.testing.assert_close(ridge_grad(a.detach(), x, y, alpha), a.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 1e-3, 0.5])
def test_ridge_fit_solves_the_augmented_least_squares_problem(alpha):
    # (1/n)|Xa - y|^2 + (alpha/2)|w|^2 = (1/n)|[X; c D] a - [y; 0]|^2 with c = sqrt(n alpha / 2)
    x, y, _ = _problem(degree=12)
    n, p = x.shape
    d = torch.eye(p, dtype=torch.float64)[:-1]  # picks the weights, not the intercept
    stacked = torch.cat([x, (n * alpha / 2) ** 0.5 * d])
    target = torch.cat([y, torch.zeros(p - 1, dtype=torch.float64)])
    expected = np.linalg.lstsq(stacked.numpy(), target.numpy(), rcond=None)[0]
    np.testing.assert_allclose(ridge_fit(x, y, alpha).numpy(), expected, rtol=1e-7, atol=1e-7)


def test_one_step_shrinks_the_weights_then_steps_on_the_data():
    x, y, a = _problem()
    lr, alpha = 0.05, 0.4
    step = train(partial(ridge_mse, weight_decay=alpha), a, x, y, lr=lr, batches=[torch.arange(len(y))])
    data_grad = 2.0 / len(y) * x.T @ (x @ a - y)
    shrink = torch.ones_like(a)
    shrink[:-1] = 1 - lr * alpha
    torch.testing.assert_close(step.final, shrink * a - lr * data_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("alpha", [0.1, 2.0])
def test_the_books_loop_takes_the_steps_of_torch_optim_sgd_with_weight_decay(alpha):
    x, y, a0 = _problem(degree=8)
    x, y, a0 = x.float(), y.float(), a0.float()
    lr, steps = 0.02, 200
    run = gradient_descent(partial(ridge_mse, weight_decay=alpha), a0, x, y, lr=lr, steps=steps)

    w = a0[:-1].clone().requires_grad_(True)
    b = a0[-1:].clone().requires_grad_(True)
    optimiser = torch.optim.SGD([{"params": [w], "weight_decay": alpha}, {"params": [b], "weight_decay": 0.0}], lr=lr)
    for k in range(steps):
        optimiser.zero_grad()
        torch.nn.functional.mse_loss(x @ torch.cat([w, b]), y).backward()
        optimiser.step()
        if k in (0, steps - 1):
            torch.testing.assert_close(torch.cat([w, b]).detach(), run.params[k + 1], rtol=1e-5, atol=1e-5)

    # decaying the intercept too (torch's default, one group) is another loss: the runs part
    c = a0.clone().requires_grad_(True)
    everything = torch.optim.SGD([c], lr=lr, weight_decay=alpha)
    for _ in range(steps):
        everything.zero_grad()
        torch.nn.functional.mse_loss(x @ c, y).backward()
        everything.step()
    assert abs(float(c.detach()[-1]) - float(run.final[-1])) > 1e-3


def test_gradient_descent_with_weight_decay_reaches_the_closed_form():
    x, y, _ = _problem(degree=10)
    alpha = 0.3
    run = gradient_descent(
        partial(ridge_mse, weight_decay=alpha), torch.zeros(11, dtype=torch.float64), x, y, lr=0.05, steps=4000
    )
    torch.testing.assert_close(run.final, ridge_fit(x, y, alpha), rtol=1e-8, atol=1e-8)


def test_weight_decay_must_be_a_finite_non_negative_number():
    x, y, a = _problem()
    with pytest.raises(ValueError, match="weight_decay"):
        ridge_grad(a, x, y, -1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        ridge_fit(x, y, float("nan"))
    with pytest.raises(TypeError, match="weight_decay"):
        ridge_mse(a, x, y, "0.1")


# -- early stopping ------------------------------------------------------------------------


def test_early_stop_keeps_the_lowest_loss_seen_and_stops_after_patience_steps():
    losses = torch.tensor([5.0, 3.0, 2.0, 2.5, 2.2, 2.1, 2.4, 3.0, 1.0])
    assert early_stop(losses, 3) == (2, 5)  # steps 3, 4, 5 bring nothing below 2.0
    assert early_stop(losses, 6) == (8, 8)  # with more patience it sees the late low at step 8
    assert early_stop(torch.tensor([3.0, 2.0, 1.0]), 1) == (2, 2)  # never turns up: runs to the end


def test_early_stop_keeps_the_first_of_tied_lows():
    assert early_stop(torch.tensor([2.0, 1.0, 1.0, 1.0]), 2) == (1, 3)


def test_early_stop_best_is_the_argmin_of_what_it_saw():
    losses = torch.rand(300, generator=torch.Generator().manual_seed(0)).double()
    for patience in (1, 5, 50, 400):
        best, stopped = early_stop(losses, patience)
        assert best == int(losses[: stopped + 1].argmin())
        assert stopped == len(losses) - 1 or stopped - best == patience


def test_early_stop_refuses_bad_input():
    with pytest.raises(ValueError, match="patience"):
        early_stop(torch.tensor([1.0, 2.0]), 0)
    with pytest.raises(ValueError, match="val_losses"):
        early_stop(torch.tensor([]), 3)


# -- the chapter's numbers, recomputed in NumPy float64 without lesson_code ------------------


def _page_text(site) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((site / "book" / "generalisation.html").read_text(encoding="utf-8"), "html.parser")
    return " ".join((soup.find("article") or soup).get_text(" ").split())


def _numbers_after(text: str, words: str, count: int = 1) -> list[float]:
    """The ``count`` numbers that follow ``words`` on the page, skipping words, commas and inline maths."""
    start = text.find(words)
    assert start >= 0, f"the page no longer says {words!r}"
    rest = text[start + len(words) :]
    found = re.findall(r"(?<![\w.])-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?", re.sub(r"\\\(.*?\\\)", " ", rest))
    return [float(v) for v in found[:count]]


def _chapter_draw(seed: int = 0):
    """The chapter's data and split, drawn again from their recipe with torch's generators, in float64."""
    generator = torch.Generator().manual_seed(seed)
    x = (torch.rand(60, generator=generator) * 2 - 1).double().numpy()
    y = np.sin(np.pi * x) + 0.3 * torch.randn(60, generator=generator).double().numpy()
    order = torch.randperm(60, generator=torch.Generator().manual_seed(seed)).numpy()
    return x, y, order[40:], order[:20], order[20:40]  # train, validation, test


def _legendre(x, degree):
    return np.polynomial.legendre.legvander(x, degree) * np.sqrt(2 * np.arange(degree + 1) + 1)


def _ridge(features, y, alpha):
    """argmin (1/n)|Fa - y|^2 + (alpha/2)|a without the constant column|^2, as one augmented least squares."""
    n, p = features.shape
    rows = np.sqrt(n * alpha / 2) * np.eye(p)[1:]  # column 0 of legvander is the constant
    return np.linalg.lstsq(np.vstack([features, rows]), np.concatenate([y, np.zeros(p - 1)]), rcond=None)[0]


@pytest.mark.build
def test_generalisation_page_numbers_match_an_independent_recomputation(site):
    text = _page_text(site)
    x, y, train_idx, val_idx, test_idx = _chapter_draw()
    mse = lambda f, a, idx: float(np.mean((f[idx] @ a - y[idx]) ** 2))  # noqa: E731

    # the degree sweep
    val = []
    for d in range(16):
        f = _legendre(x, d)
        val.append(mse(f, np.linalg.lstsq(f[train_idx], y[train_idx], rcond=None)[0], val_idx))
    best = int(np.argmin(val))
    shown_loss, shown_degree = _numbers_after(text, "to its lowest,", 2)
    assert (shown_degree, shown_loss) == (best, pytest.approx(val[best], abs=5e-5))
    assert _numbers_after(text, "at degree 15 it is")[0] == pytest.approx(val[15], rel=5e-3)

    # weight decay, on the chapter's grid
    f15 = _legendre(x, 15)
    alphas = 10.0 ** np.arange(-6, 1.01, 0.25)
    wd_val = [mse(f15, _ridge(f15[train_idx], y[train_idx], a), val_idx) for a in alphas]
    i = int(np.argmin(wd_val))
    shown_alpha, shown_val = _numbers_after(text, "It is lowest at", 2)
    assert shown_alpha == pytest.approx(alphas[i], rel=5e-3)
    assert shown_val == pytest.approx(wd_val[i], abs=5e-5)

    # early stopping: gradient descent in matrix form at half the stability bound
    h = 2 / 20 * f15[train_idx].T @ f15[train_idx]
    g = 2 / 20 * f15[train_idx].T @ y[train_idx]
    lr = 1 / np.linalg.eigvalsh(h)[-1]
    path = [np.zeros(16)]
    for _ in range(3000):
        path.append(path[-1] - lr * (h @ path[-1] - g))
    path = np.array(path)  # (3001, 16)
    val_path = np.mean((f15[val_idx] @ path.T - y[val_idx, None]) ** 2, axis=0)
    low = int(np.argmin(val_path))
    stop = next((k for k in range(low + 1, 3001) if k - low >= 100), 3000)
    shown_step, shown_low = _numbers_after(text, "The validation loss is lowest after", 2)
    assert (shown_step, shown_low) == (low, pytest.approx(val_path[low], abs=5e-5))
    assert _numbers_after(text, "The patience rule stops at step")[0] == stop
    assert _numbers_after(text, "and then turns up: after 3000 steps it is")[0] == pytest.approx(val_path[-1], abs=5e-4)

    # the test set, once
    f_best = _legendre(x, best)
    tests = [
        mse(f_best, np.linalg.lstsq(f_best[train_idx], y[train_idx], rcond=None)[0], test_idx),
        mse(f15, _ridge(f15[train_idx], y[train_idx], alphas[i]), test_idx),
        mse(f15, path[low], test_idx),
        mse(f15, path[-1], test_idx),
    ]
    shown = _numbers_after(text, "polynomial scores", 4)
    assert shown == pytest.approx(tests, abs=5e-5)
    assert _numbers_after(text, "The true curve itself scores")[0] == pytest.approx(
        float(np.mean((np.sin(np.pi * x[test_idx]) - y[test_idx]) ** 2)), abs=5e-5
    )


def test_ridge_fit_with_an_intercept_column_of_zeros_says_why_it_has_no_single_solution():
    x, y = make_curve(20, seed=0)
    features = poly_features(x.double(), 3)
    features[:, -1] = 0.0  # the undecayed intercept's column: nothing fixes its weight
    with pytest.raises(ValueError, match="x must have a last column that is not all zeros"):
        ridge_fit(features, y.double(), 0.1)
    # any other column may be zero: weight decay fixes its weight at 0, as the oracle without it says
    features = poly_features(x.double(), 3)
    features[:, 0] = 0.0
    fit = ridge_fit(features, y.double(), 0.1)
    assert float(fit[0]) == 0.0
    rest = ridge_fit(features[:, 1:], y.double(), 0.1)
    torch.testing.assert_close(fit[1:], rest)
