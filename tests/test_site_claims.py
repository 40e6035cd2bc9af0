"""Claims that span pages or need the built text: the intro lists every chapter, two chapters that
report the same run agree, and the numbers changed for "after k steps" are the loss after k steps,
recomputed in float64 NumPy without lesson_code."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import numpy as np
import pytest
from pages import NUMBER, article, number_after, prose

pytestmark = pytest.mark.build

# the chapters whose sentences this file checks on the built pages
CHECKED_CHAPTERS = (
    "book/regression",
    "book/mse",
    "book/gradient-descent",
    "book/sgd",
    "book/learning-rate",
    "book/explorer",
)


def links(site: Path, docname: str) -> set[str]:
    """The pages (and anchors) an article links to, as paths relative to the site: ``book/mse.html#x``."""
    base = f"{docname}.html"
    found = set()
    for a in article(site, docname).find_all("a", href=True):
        parts = urlsplit(urljoin(base, a["href"]))
        if not parts.scheme:
            found.add(parts.path + (f"#{parts.fragment}" if parts.fragment else ""))
    return found


# -- the data and the runs, in float64 NumPy ------------------------------------------------------


def book_data(n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The book's data drawn again from its recipe: x ~ U[-1, 1), y = 3x + 2 + U[0, 1), as float64 arrays."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    inputs = torch.rand(n, generator=generator) * 2 - 1
    noise = torch.rand(n, generator=generator)
    x = np.stack([inputs.double().numpy(), np.ones(n)], axis=1)
    return x, 3 * x[:, 0] + 2 + noise.double().numpy()


def losses_after(x: np.ndarray, y: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """Entry k: the loss on all the data after k steps of gradient descent from (-1, 1)."""
    a = np.array([-1.0, 1.0])
    losses = [np.mean((x @ a - y) ** 2)]
    for _ in range(steps):
        a = a - lr * 2 / len(y) * x.T @ (x @ a - y)
        losses.append(np.mean((x @ a - y) ** 2))
    return np.array(losses)


def curvatures(x: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(2 / len(x) * x.T @ x)


# -- the tests ------------------------------------------------------------------------------------


def test_the_intro_links_every_page_of_the_toc(site, docnames):
    linked = {target.split("#")[0] for target in links(site, "book/intro")}
    missing = [d for d in docnames[1:] if f"{d}.html" not in linked]
    assert not missing, f"the intro's list of chapters misses {missing}: it should come from _toc.yml"


@pytest.mark.parametrize("docname", ("book/intro", *CHECKED_CHAPTERS))
def test_the_chapter_links_the_notation_table(site, docname):
    assert "book/glossary.html#notation" in links(site, docname), f"{docname} does not link the notation table"


def test_the_notation_table_is_on_the_glossary_page(site):
    table = article(site, "book/glossary").find(id="notation")
    assert table is not None and table.find("table"), "the glossary has no notation table under #notation"
    text = " ".join(table.get_text(" ").split())
    for code in ("lr", "batch_size", "loss_path", "losses_before", "hessian_linear_mse", "condition_number"):
        assert code in text, f"the notation table does not name {code}"


def test_learning_rate_losses_are_after_100_steps(site):
    x, y = book_data()
    text = prose(site, "book/learning-rate")
    match = re.search(
        r"After 100 steps the loss is "
        + NUMBER
        + r" with learning rate 0\.01 , "
        + NUMBER
        + r" with 0\.3 , and "
        + NUMBER
        + r" with 0\.9",
        text,
    )
    assert match, "the sentence 'After 100 steps the loss is ... with learning rate 0.01, ...' is missing"
    for shown, lr in zip(match.groups(), (0.01, 0.3, 0.9), strict=True):
        path = losses_after(x, y, lr, 100)
        digits = len(shown.split(".")[1])
        assert float(shown) == pytest.approx(path[100], abs=0.6 * 10**-digits), f"lr {lr}: not the loss after 100 steps"
    after_99 = losses_after(x, y, 0.01, 99)[99]
    assert abs(float(match.group(1)) - after_99) > 0.01, "lr 0.01 shows the loss after 99 steps"
    bound = 2 / curvatures(x)[1]
    above = losses_after(x, y, 1.05 * bound, 100)
    shown = number_after(text, "the loss is already")
    assert shown == pytest.approx(above[100], rel=0.01) and shown != pytest.approx(above[99], rel=0.01)


def test_the_explorer_and_the_learning_rate_chapter_report_the_same_runs(site):
    explorer, chapter = prose(site, "book/explorer"), prose(site, "book/learning-rate")
    slow_explorer = number_after(explorer, "after the same 100 steps the loss is still")
    slow_chapter = number_after(chapter, "After 100 steps the loss is")
    assert slow_explorer == pytest.approx(slow_chapter, abs=0.006), (slow_explorer, slow_chapter)
    zigzag_explorer = float(re.search(r"creeps up again, to " + NUMBER + " after 100 steps", explorer).group(1))
    zigzag_chapter = number_after(chapter, "after 100 steps its loss is")
    assert zigzag_explorer == pytest.approx(zigzag_chapter, abs=0.006), (zigzag_explorer, zigzag_chapter)
    x, y = book_data()
    assert zigzag_chapter == pytest.approx(losses_after(x, y, 1.0, 100)[100], abs=0.006)


def test_learning_rate_advice_agrees_with_the_best_constant_rate(site):
    x, y = book_data()
    low, high = curvatures(x)
    text = prose(site, "book/learning-rate")
    assert "keeps the largest" not in text, "the advice to keep the largest rate that does not diverge is back"
    best = number_after(text, "For our data the best constant rate is")
    assert best == pytest.approx(2 / (low + high), abs=0.0006)
    assert best < 2 / high


def test_gradient_descent_slope_component_is_twice_a_mean(site):
    text = prose(site, "book/gradient-descent")
    assert "twice the mean of the errors weighted by their inputs" in text
    x, y = book_data()
    errors = x @ np.array([-1.0, 1.0]) - y
    shown = re.search(r"the gradient is \( " + NUMBER + " , " + NUMBER, text)
    assert shown, "the sentence with the gradient at (-1, 1) is missing"
    assert float(shown.group(1)) == pytest.approx(2 * np.mean(errors * x[:, 0]), abs=0.0001)
    assert float(shown.group(2)) == pytest.approx(2 * np.mean(errors), abs=0.0001)
    below_1 = int(np.argmax(losses_after(x, y, 0.1, 100) < 1))
    match = re.search(r"After ([0-9]+) steps the loss is below 1 for the first time", text)
    assert match and int(match.group(1)) == below_1


def test_mse_exercise_2_tells_the_guess_from_the_best_line(site):
    x, y = book_data()
    guess = x @ np.array([-1.0, 1.0])
    growth = np.mean((guess - 10 * y) ** 2) / np.mean((guess - y) ** 2)
    text = prose(site, "book/mse")
    assert number_after(text, "its mean squared error grows by a factor of") == pytest.approx(growth, abs=0.06)
    assert number_after(text, "and its mean squared error by") == 100


def test_explorer_exercise_2_counts_the_examples_it_speaks_of(site):
    x, _ = book_data()
    larger = int(np.sum(2 * (x[:, 0] ** 2 + 1) > curvatures(x)[1]))
    match = re.search(r"for ([0-9]+) of the ([0-9]+) examples", prose(site, "book/explorer"))
    assert match and (int(match.group(1)), int(match.group(2))) == (larger, len(x))


def test_figures_name_the_palette_by_its_own_names(site, docnames):
    """The palette (lesson_code.plots) is Okabe-Ito, whose names the book uses (#D55E00 vermilion, #E69F00
    orange): no colour of it is red, so no caption, alt text or video label on any page may say red."""
    from lesson_code.plots import BATCH_COLOR, DATA_COLOR, FIT_COLOR, GUESS_COLOR, SGD_COLOR

    assert FIT_COLOR == "#D55E00" and BATCH_COLOR == "#E69F00"
    assert "#FF0000" not in {BATCH_COLOR, DATA_COLOR, GUESS_COLOR, SGD_COLOR}
    for docname in docnames:
        body = article(site, docname)
        descriptions = [img.get("alt", "") for img in body.find_all("img")]
        descriptions += [video.get("aria-label", "") for video in body.find_all("video")]
        descriptions += [caption.get_text(" ") for caption in body.find_all("figcaption")]
        for text in descriptions:
            assert not re.search(r"\bred\b", text, re.I), f"{docname} calls a colour red: {text[:120]!r}"


# -- sentences rewritten after a float64 review, recomputed on the built pages ----------------------


def sgd_excess(x: np.ndarray, y: np.ndarray, lrs: np.ndarray, batch_size: int, epochs: int, seed: int) -> np.ndarray:
    """Entry (e, j): (a - a*)^T (X^T X / n) (a - a*) after e epochs of SGD from (-1, 1) at learning rate lrs[j].

    The batch indices are the book's (shuffled by torch from ``seed``); the steps are NumPy float64.
    """
    from lesson_code import epoch_batches

    best = np.linalg.lstsq(x, y, rcond=None)[0]
    half_hessian = x.T @ x / len(y)
    a = np.tile([-1.0, 1.0], (len(lrs), 1))
    batches = [b.numpy() for b in epoch_batches(len(y), batch_size, epochs, seed=seed)]
    per_epoch = len(batches) // epochs
    out = []
    with np.errstate(over="ignore", invalid="ignore"):
        for k, batch in enumerate([None, *batches]):
            if batch is not None:
                xb, yb = x[batch], y[batch]
                a = a - lrs[:, None] * (2 / len(yb) * (a @ xb.T - yb) @ xb)
            if k % per_epoch == 0:
                gap = a - best
                out.append(np.einsum("ji,ik,jk->j", gap, half_hessian, gap))
    excess = np.array(out)
    return np.where(np.isfinite(excess), excess, np.inf)


def test_gradient_descent_without_the_reset_swings_and_never_settles(site):
    x, y = book_data()
    text = prose(site, "book/gradient-descent")
    assert "as if the learning rate kept increasing" not in text
    a, summed, losses = np.array([-1.0, 1.0]), np.zeros(2), []
    for _ in range(1000):
        losses.append(np.mean((x @ a - y) ** 2))
        summed = summed + 2 / len(y) * x.T @ (x @ a - y)
        a = a - 0.1 * summed
    losses = np.array(losses)
    floor = np.mean((x @ np.linalg.lstsq(x, y, rcond=None)[0] - y) ** 2)
    assert number_after(text, "the loss never gets below") == pytest.approx(losses.min(), abs=0.00006)
    assert number_after(text, "in the last 500 steps up to") == pytest.approx(losses[500:].max(), abs=0.006)
    assert losses.min() > floor and losses[500:].max() > 10 * floor and losses.max() < 2 * losses[0]


def test_sgd_batches_of_one_hover_and_tuned_short_budgets_favour_mini_batches(site):
    x, y = book_data()
    text = prose(site, "book/sgd")
    hover = np.mean([sgd_excess(x, y, np.array([0.1]), 1, 10, seed)[1:, 0] for seed in range(5)], axis=0)
    match = re.search(r"they stay between " + NUMBER + " and " + NUMBER + " above it, and end " + NUMBER, text)
    assert match, "the sentence on batches of one at lr 0.1 is missing"
    low, high, end = (float(g) for g in match.groups())
    assert (low, high, end) == pytest.approx((hover.min(), hover.max(), hover[-1]), abs=0.00006)
    assert hover[-1] > hover.min() and hover[5:].mean() > 0.5 * hover[:5].mean()
    lrs = 0.1 * 2.0 ** (np.arange(-28, 15) / 4)
    after_5 = {
        b: np.mean([sgd_excess(x, y, lrs, b, 5, seed)[5] for seed in range(5)], axis=0).min()
        for b in (1, 5, 10, 25, 100)
    }
    match = re.search(
        r"the full batch is still " + NUMBER + r" above the best loss, and every mini-batch size ends "
        r"closer, between " + NUMBER + " and " + NUMBER,
        text,
    )
    assert match, "the sentence on 5 epochs at each batch size's best rate is missing"
    full, low, high = (float(g) for g in match.groups())
    minis = [after_5[b] for b in (1, 5, 10, 25)]
    assert full == pytest.approx(after_5[100], rel=0.05) and after_5[100] > max(minis)
    assert (low, high) == pytest.approx((min(minis), max(minis)), rel=0.05)


def test_learning_rate_0_9_and_0_3_converge_alike(site):
    x, y = book_data()
    text = prose(site, "book/learning-rate")
    assert "in the long run the larger rate gains nothing" not in text
    best = np.linalg.lstsq(x, y, rcond=None)[0]
    half_hessian = x.T @ x / len(y)

    def excess(lr: float) -> np.ndarray:
        a, out = np.array([-1.0, 1.0]), []
        for _ in range(121):
            out.append((a - best) @ half_hessian @ (a - best))
            a = a - lr * 2 / len(y) * x.T @ (x @ a - y)
        return np.array(out)

    slow, fast = excess(0.3), excess(0.9)
    overtake = int(np.nonzero(slow >= fast)[0].max()) + 1
    ahead = number_after(text, "After 20 steps 0.9 is ahead by a factor of")
    assert ahead == pytest.approx(slow[20] / fast[20], abs=0.06)
    assert number_after(text, "erases only at step") == overtake
    assert number_after(text, "when both are within") == pytest.approx(max(slow[overtake], fast[overtake]), rel=0.5)


def test_explorer_batches_of_one_end_near_the_cross_with_every_seed(site):
    x, y = book_data()
    ends = []
    for seed in range(3):
        excess = sgd_excess(x, y, np.array([0.1]), 1, 1, seed)[-1, 0]
        ends.append(excess + np.mean((x @ np.linalg.lstsq(x, y, rcond=None)[0] - y) ** 2))
    text = prose(site, "book/explorer")
    match = re.search(r"the run ends near the cross, at a loss between " + NUMBER + " and " + NUMBER, text)
    assert match, "the sentence on the three seeds of batches of one is missing"
    assert (float(match.group(1)), float(match.group(2))) == pytest.approx((min(ends), max(ends)), abs=0.00006)
    assert number_after(text, "one epoch , the loss is") == pytest.approx(ends[0], abs=0.00006)
