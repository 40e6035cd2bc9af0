"""The numbers in the prose of the chapters after SGD, recomputed independently of lesson_code."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.build


def prose(site: Path, docname: str) -> str:
    soup = BeautifulSoup((site / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")
    return " ".join((soup.find("article") or soup).get_text(" ").split())


def number_after(text: str, words: str, *, math: bool = False) -> float:
    """The first number after ``words``; with ``math=True``, the number after the next inline ``... =\\)``."""
    gap = r".{0,60}?=\\\)\s" if math else r"\s*"
    match = re.search(re.escape(words) + gap + r"(-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?\d+)?)", text)
    assert match, f"no number after {words!r}"
    return float(match.group(1))


def book_inputs(n: int = 100, seed: int = 0) -> np.ndarray:
    """The book's inputs drawn again from their recipe with torch's generator, as a float64 (n, 2) array."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    inputs = (torch.rand(n, generator=generator) * 2 - 1).double().numpy()
    return np.stack([inputs, np.ones(n)], axis=1)


def eigenvalues(x: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(2.0 / len(x) * x.T @ x)


def test_learning_rate_bound_matches_numpy(site):
    text = prose(site, "book/learning-rate")
    low, high = eigenvalues(book_inputs())
    bound = number_after(text, "so the largest stable learning rate is", math=True)
    assert bound == pytest.approx(2 / high, abs=0.0005)
    assert number_after(text, "Its eigenvalues are") == pytest.approx(low, abs=0.0005)


def test_condition_numbers_match_numpy(site):
    text = prose(site, "book/loss-surface")
    x = book_inputs()
    far = x.copy()
    far[:, 0] += 2.0
    centred = far.copy()
    centred[:, 0] -= far[:, 0].mean()
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
