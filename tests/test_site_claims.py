"""Claims that span pages or need the built text: the intro lists every chapter, two chapters that
report the same run agree, and the numbers changed for "after k steps" are the loss after k steps,
recomputed in float64 NumPy without lesson_code."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import numpy as np
import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.build

# the chapters whose sentences this file checks on the built pages
CHECKED_CHAPTERS = ("book/regression", "book/mse", "book/gradient-descent", "book/learning-rate", "book/explorer")


def soup_of(site: Path, docname: str) -> BeautifulSoup:
    soup = BeautifulSoup((site / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")
    return soup.find("article") or soup


def prose(site: Path, docname: str) -> str:
    return " ".join(soup_of(site, docname).get_text(" ").split())


NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?\d+)?)"


def number_after(text: str, words: str) -> float:
    match = re.search(re.escape(words) + r"\s*" + NUMBER, text)
    assert match, f"no number after {words!r}"
    return float(match.group(1))


def links(site: Path, docname: str) -> set[str]:
    """The pages (and anchors) an article links to, as paths relative to the site: ``book/mse.html#x``."""
    base = f"{docname}.html"
    found = set()
    for a in soup_of(site, docname).find_all("a", href=True):
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
    table = soup_of(site, "book/glossary").find(id="notation")
    assert table is not None and table.find("table"), "the glossary has no notation table under #notation"
    text = " ".join(table.get_text(" ").split())
    for code in ("lr", "batch_size", "loss_path", "losses_before", "hessian_linear_mse", "condition_number"):
        assert code in text, f"the notation table does not name {code}"


def test_learning_rate_losses_are_after_100_steps(site):
    x, y = book_data()
    text = prose(site, "book/learning-rate")
    match = re.search(r"After 100 steps the loss is " + NUMBER + r" with learning rate 0\.01 , " + NUMBER
                      + r" with 0\.3 , and " + NUMBER + r" with 0\.9", text)
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
        body = soup_of(site, docname)
        descriptions = [img.get("alt", "") for img in body.find_all("img")]
        descriptions += [video.get("aria-label", "") for video in body.find_all("video")]
        descriptions += [caption.get_text(" ") for caption in body.find_all("figcaption")]
        for text in descriptions:
            assert not re.search(r"\bred\b", text, re.I), f"{docname} calls a colour red: {text[:120]!r}"
