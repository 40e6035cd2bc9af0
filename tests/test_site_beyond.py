"""The numbers in the prose of the chapters after SGD, recomputed independently of lesson_code."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from pages import number_after, page, prose

pytestmark = pytest.mark.build


def book_inputs(n: int = 100, seed: int = 0) -> np.ndarray:
    """The book's inputs drawn again from their recipe with torch's generator, as a float64 (n, 2) array."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    inputs = (torch.rand(n, generator=generator) * 2 - 1).double().numpy()
    return np.stack([inputs, np.ones(n)], axis=1)


def eigenvalues(x: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(2.0 / len(x) * x.T @ x)


def shifted_and_centred(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The loss-surface chapter's inputs moved by +2 (to [1, 3)), and those moved back to mean zero."""
    far = x.copy()
    far[:, 0] += 2.0
    centred = far.copy()
    centred[:, 0] -= far[:, 0].mean()
    return far, centred


def test_learning_rate_bound_matches_numpy(site):
    text = prose(site, "book/learning-rate")
    low, high = eigenvalues(book_inputs())
    bound = number_after(text, "so the largest stable learning rate is", math=True)
    assert bound == pytest.approx(2 / high, abs=0.0005)
    assert number_after(text, "Its eigenvalues are") == pytest.approx(low, abs=0.0005)


def test_condition_numbers_match_numpy(site):
    text = prose(site, "book/loss-surface")
    x = book_inputs()
    far, centred = shifted_and_centred(x)
    cases = (("The book’s data have", x), ("Shifted to inputs in", far), ("centred again,", centred))
    for words, inputs in cases:
        low, high = eigenvalues(inputs)
        assert number_after(text, words, math=True) == pytest.approx(high / low, rel=0.002), words


def test_classification_bayes_accuracy_is_phi_of_root_two(site):
    text = prose(site, "book/classification")
    bayes = 0.5 * (1 + math.erf(1.0))  # Phi(sqrt 2): half the centres' distance, in units of spread
    shown = number_after(text, "on average over new points, is", math=True)
    assert shown == pytest.approx(100 * bayes, abs=0.05)


def test_scaling_up_parameter_counts_match_the_arithmetic(site):
    text = prose(site, "book/scaling-up")
    assert number_after(text, "The softmax classifier, with") == 64 * 10 + 10
    assert number_after(text, "the network with a hidden layer,") == 64 * 32 + 32 + 32 * 10 + 10


# ---- recomputed in float64 NumPy from the recipes of the data and of the batches, not from lesson_code ----


def book_line(n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The book's line y = 3x + 2 + noise, noise uniform on [0, 1): the draws of `book_inputs`, then the noise."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    inputs = (torch.rand(n, generator=generator) * 2 - 1).double().numpy()
    noise = torch.rand(n, generator=generator).double().numpy()
    return np.stack([inputs, np.ones(n)], axis=1), 3.0 * inputs + 2.0 + noise


def shuffled_batches(n: int, batch_size: int, epochs: int, seed: int) -> list[np.ndarray]:
    """The batches of a DataLoader(shuffle=True) with generator seed `seed`: one permutation per epoch, cut up."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(epochs):
        torch.empty((), dtype=torch.int64).random_(generator=generator)
        order = torch.randperm(n, generator=generator).numpy()
        torch.randperm(n, generator=generator)
        out += [order[i : i + batch_size] for i in range(0, n, batch_size)]
    return out


def sgd_excess(x, y, lr, batch_size, epochs, seed, a0=(-1.0, 1.0)) -> float:
    best = np.linalg.solve(x.T @ x, x.T @ y)
    a = np.array(a0)
    for batch in shuffled_batches(len(y), batch_size, epochs, seed):
        a = a - lr * 2 / len(batch) * x[batch].T @ (x[batch] @ a - y[batch])
        if not np.isfinite(a).all():
            return math.inf
    return float(np.mean((x @ (a - best)) ** 2))


def test_the_line_recipe_is_the_books():
    from lesson_code import make_line

    x, y = make_line(n=100, a=(3.0, 2.0), seed=0)
    bx, by = book_line()
    np.testing.assert_allclose(x.double().numpy(), bx, atol=1e-6)
    np.testing.assert_allclose(y.double().numpy(), by, atol=1e-5)


def test_sgd_batch_size_trade_off_matches_numpy(site):
    text = prose(site, "book/sgd")
    x, y = book_line()
    fixed = {b: np.mean([sgd_excess(x, y, 0.1, b, 10, s) for s in range(5)]) for b in (1, 10, 100)}
    shown = number_after(text, "batches of 100 (which is gradient descent) are still")
    assert shown == pytest.approx(fixed[100], rel=2e-3)
    assert number_after(text, "batches of 10 only") == pytest.approx(fixed[10], rel=2e-2)
    assert number_after(text, "above it, and end") == pytest.approx(fixed[1], rel=2e-2)  # batches of one, 10 epochs
    # tuned: every batch size at each rate of the grid, the lowest mean over the seeds
    lrs = 0.1 * 2.0 ** (np.arange(-28, 15) / 4)
    full = [sgd_excess(x, y, lr, 100, 10, 0) for lr in lrs]
    best_full = int(np.argmin(full))
    shown = number_after(text, "The order reverses: the full batch, at learning rate")
    assert shown == pytest.approx(lrs[best_full], abs=6e-4)
    shown = re.search(r"The order reverses: the full batch, at learning rate \S+ , ends (\S+) above", text)
    assert float(shown.group(1)) == pytest.approx(full[best_full], rel=0.05)
    small = [np.mean([sgd_excess(x, y, lr, 1, 10, s) for s in range(5)]) for lr in lrs[:20]]
    assert min(small) > full[best_full], "tuned batches of one beat the tuned full batch: the page says otherwise"
    assert number_after(text, "largest stable rate", math=True) == pytest.approx(2 / eigenvalues(x)[-1], abs=6e-4)


def test_loss_surface_standardised_and_metres_match_numpy(site):
    text = prose(site, "book/loss-surface")
    x = book_inputs()
    far, centred = shifted_and_centred(x)
    variance = far[:, 0].var()
    assert number_after(text, "for the variance") == pytest.approx(variance, abs=6e-4)
    low, high = eigenvalues(centred)
    assert high / low == pytest.approx(1 / variance, rel=1e-6)
    standard = centred.copy()
    standard[:, 0] /= standard[:, 0].std()
    low, high = eigenvalues(standard)
    assert number_after(text, "standardised,", math=True) == pytest.approx(high / low, abs=0.006)
    metres = centred * np.array([1000.0, 1.0])
    low, high = eigenvalues(metres)
    shown = re.search(r"as large as you like: (\S+) for our centred inputs multiplied by 1000", text)
    assert float(shown.group(1)) == pytest.approx(high / low, rel=0.02)  # shown to 2 digits


def test_classification_scores_at_logit_minus_ten_match_the_formulas(site):
    text = prose(site, "book/classification")
    p = 1 / (1 + math.exp(10.0))
    assert number_after(text, "The squared error is") == pytest.approx((1 - p) ** 2, abs=6e-5)
    squared_ratio = re.search(r"The squared error is \S+ , (\S+) times the 0.25", text)
    assert float(squared_ratio.group(1)) == pytest.approx((1 - p) ** 2 / 0.25, abs=0.06)
    cross_ratio = re.search(r"The cross-entropy is \S+ , (\S+) times the (\S+) of hesitating", text)
    assert float(cross_ratio.group(2)) == pytest.approx(math.log(2), abs=0.006)
    assert float(cross_ratio.group(1)) == pytest.approx(math.log1p(math.exp(10)) / math.log(2), abs=0.6)


def test_classification_weights_keep_growing_on_separable_data(site):
    """Logistic SGD on the narrow clouds, in float64 NumPy, with the chapter's batches."""
    import torch

    text = prose(site, "book/classification")
    generator = torch.Generator().manual_seed(0)  # make_two_classes(200, seed=0, spread=0.2)'s recipe
    y = (torch.arange(200) % 2)[torch.randperm(200, generator=generator)].double().numpy()
    centres = (2 * y - 1)[:, None] * np.ones((1, 2))
    points = centres + 0.2 * torch.randn(200, 2, generator=generator).double().numpy()
    x = np.c_[points, np.ones(200)]
    w = np.array([1.0, -2.0, 1.0])
    norms = {}
    for step, batch in enumerate(shuffled_batches(200, 20, 200, 0), start=1):
        z = x[batch] @ w
        w = w - 0.5 / len(batch) * x[batch].T @ (1 / (1 + np.exp(-z)) - y[batch])
        if step in (200, 2000):
            norms[step // 10] = np.linalg.norm(w)
    assert norms[200] > norms[20]
    shown = re.search(r"\\\(\\lVert w \\rVert\\\) is (\S+) after 20 epochs and (\S+) after 200", text)
    assert float(shown.group(1)) == pytest.approx(norms[20], abs=0.006)
    assert float(shown.group(2)) == pytest.approx(norms[200], abs=0.006)


def test_scaling_up_condition_numbers_match_numpy(site):
    from sklearn.datasets import load_digits

    text = prose(site, "book/scaling-up")
    data = load_digits().data / 16.0
    import torch

    order = torch.randperm(1797, generator=torch.Generator().manual_seed(0)).numpy()
    train = data[order[round(0.25 * 1797) :]]
    varies = train.std(axis=0) > 0
    scaled = np.c_[train[:, varies], np.ones(len(train))]
    kept = train[:, varies]
    standard = np.c_[(kept - kept.mean(0)) / kept.std(0, ddof=1), np.ones(len(train))]

    def kappa(a):
        values = np.linalg.eigvalsh(a.T @ a / len(a))
        return values[-1] / values[0]

    shown = number_after(text, "plus a column of ones, its condition number is")
    assert shown == pytest.approx(kappa(scaled), rel=0.01)
    assert number_after(text, "would bring it down to") == pytest.approx(kappa(standard), abs=0.6)
    assert number_after(text, "their mean is") == pytest.approx(train.mean(), abs=0.006)


def test_scaling_up_reports_every_tied_confusion(site):
    """The most frequent confusion, read from the matrix printed on the page: a tie is named as a tie."""
    soup = page(site, "book/scaling-up")
    printed = next(pre.get_text() for pre in soup.find_all("pre") if pre.get_text().lstrip().startswith("tensor([["))
    counts = np.array([[int(v) for v in row.split(",")] for row in re.findall(r"\[([\d,\s]+)\]", printed)])
    assert counts.shape == (10, 10), printed
    off = counts - np.diag(np.diag(counts))
    pairs = list(zip(*np.nonzero(off == off.max()), strict=True))
    text = prose(site, "book/scaling-up")
    for true, said in pairs:
        assert f"a {true} as a {said}" in text, f"the tied confusion {true} -> {said} is not named on the page"
    if len(pairs) > 1:
        assert f"{len(pairs)} confusions tie" in text


def test_scaling_up_training_digits_are_linearly_separable(site):
    """'The softmax loss has no lowest point on the training digits': ten linear scores classify all of them."""
    import torch
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix
    from sklearn.datasets import load_digits

    text = prose(site, "book/scaling-up")
    assert "it has no lowest point at all: some ten linear scores classify every one of them correctly" in text
    data = load_digits()
    order = torch.randperm(1797, generator=torch.Generator().manual_seed(0)).numpy()
    train = order[round(0.25 * 1797) :]
    inputs = np.c_[data.data[train] / 16.0, np.ones(len(train))]  # (n, 65): the pixels and a bias
    labels = data.target[train]
    n, p = inputs.shape
    # one row per example and wrong class k: (w_k - w_label) . x <= -1, over the 10 x 65 weights
    wrong = np.array([[i, k] for i in range(n) for k in range(10) if k != labels[i]])
    rows = np.repeat(np.arange(len(wrong)), 2 * p)
    columns = np.concatenate([wrong[:, 1:] * p, labels[wrong[:, :1]] * p], axis=1)[:, :, None] + np.arange(p)
    values = np.concatenate([inputs[wrong[:, 0]], -inputs[wrong[:, 0]]], axis=1)
    constraints = csr_matrix((values.ravel(), (rows, columns.ravel())), shape=(len(wrong), 10 * p))
    result = linprog(
        np.zeros(10 * p), A_ub=constraints, b_ub=-np.ones(len(wrong)), bounds=(None, None), method="highs-ipm"
    )
    assert result.status == 0, result.message
    scores = inputs @ result.x.reshape(10, p).T
    right = scores[np.arange(n), labels]
    scores[np.arange(n), labels] = -np.inf
    assert (right - scores.max(axis=1)).min() > 0.5, "the weights found do not classify every training digit"


def test_classification_limit_direction_is_near_the_maximum_margin_line(site):
    """The two maximum-margin separators of the narrow clouds, solved as quadratic programs with SciPy."""
    import torch
    from scipy.optimize import minimize

    text = prose(site, "book/classification")
    generator = torch.Generator().manual_seed(0)  # make_two_classes(200, seed=0, spread=0.2)'s recipe
    y = (torch.arange(200) % 2)[torch.randperm(200, generator=generator)].double().numpy()
    points = (2 * y - 1)[:, None] + 0.2 * torch.randn(200, 2, generator=generator).double().numpy()
    signed = (2 * y - 1)[:, None] * np.c_[points, np.ones(200)]  # every row must score >= 1

    def separator(penalise_bias: bool) -> np.ndarray:
        weight = np.array([1.0, 1.0, 1.0 if penalise_bias else 0.0])
        result = minimize(
            lambda v: 0.5 * (weight * v) @ v,
            np.array([1.0, 1.0, 0.0]),
            jac=lambda v: weight * v,
            constraints=[{"type": "ineq", "fun": lambda v: signed @ v - 1, "jac": lambda v: signed}],
            method="SLSQP",
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        assert result.success, result.message
        return result.x[:2]

    free, counted = separator(False), separator(True)
    gap = np.degrees(np.arccos(free @ counted / np.linalg.norm(free) / np.linalg.norm(counted)))
    shown = re.search(r"but here it is within (\S+) degrees of it", text)
    assert shown, "the page no longer compares the limit with the maximum-margin line"
    assert float(shown.group(1)) == pytest.approx(gap, abs=0.06)
