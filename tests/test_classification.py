"""Logistic regression: the sigmoid, the cross-entropy and its gradient by hand, checked independently."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from oracles import central_differences

from lesson_code import (
    accuracy,
    bce_with_logits,
    logistic_grad,
    logistic_loss,
    make_two_classes,
    sgd,
    sigmoid,
)
from lesson_code.classification import boundary_points


def test_two_classes_are_balanced_and_reproducible():
    x, y = make_two_classes(100, seed=4)
    assert x.shape == (100, 3) and y.shape == (100,)
    assert float(y.sum()) == 50
    assert torch.all(x[:, 2] == 1)
    x2, y2 = make_two_classes(100, seed=4)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    # the class means lie near the two centres
    assert torch.allclose(x[y == 1, :2].mean(0), torch.tensor([1.0, 1.0]), atol=0.4)
    assert torch.allclose(x[y == 0, :2].mean(0), torch.tensor([-1.0, -1.0]), atol=0.4)


def test_sigmoid_matches_the_formula_and_stays_finite():
    z = torch.linspace(-30, 30, 61, dtype=torch.float64)
    torch.testing.assert_close(sigmoid(z), 1 / (1 + torch.exp(-z)))
    extreme = sigmoid(torch.tensor([-1000.0, 1000.0]))
    assert torch.equal(extreme, torch.tensor([0.0, 1.0]))


def test_cross_entropy_matches_its_definition_and_torch():
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(50, generator=generator, dtype=torch.float64) * 3
    y = (torch.rand(50, generator=generator) < 0.5).double()
    p = 1 / (1 + torch.exp(-z))
    by_definition = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    torch.testing.assert_close(bce_with_logits(z, y), by_definition)
    torch.testing.assert_close(bce_with_logits(z, y), F.binary_cross_entropy_with_logits(z, y))


def test_cross_entropy_is_finite_for_a_very_confident_wrong_answer():
    loss = bce_with_logits(torch.tensor([200.0]), torch.tensor([0.0]))
    assert float(loss) == pytest.approx(200.0)  # log(1 + e^200) - 0 = 200 to float precision


def test_hand_gradient_equals_autograd():
    x, y = make_two_classes(80, seed=2)
    x, y = x.double(), y.double()
    w = torch.tensor([0.3, -0.7, 0.2], dtype=torch.float64, requires_grad=True)
    logistic_loss(w, x, y).backward()
    torch.testing.assert_close(logistic_grad(w.detach(), x, y), w.grad)


def test_hand_gradient_equals_central_differences():
    x, y = make_two_classes(40, seed=5)
    x, y = x.double(), y.double()
    w = torch.tensor([1.0, 0.5, -0.3], dtype=torch.float64)
    numeric = central_differences(lambda v: logistic_loss(v, x, y), w)
    torch.testing.assert_close(logistic_grad(w, x, y), numeric, rtol=1e-6, atol=1e-8)


def test_sgd_classifier_is_accurate_on_held_out_data():
    x, y = make_two_classes(200, seed=0)
    x_test, y_test = make_two_classes(1000, seed=1)
    run = sgd(logistic_loss, torch.zeros(3), x, y, lr=0.5, batch_size=20, epochs=20, seed=0)
    # The two classes overlap: the best possible (Bayes) accuracy for centres (+-1, +-1) and
    # unit spread is Phi(sqrt(2)) = 0.921; a fitted line on 200 points comes close.
    bayes = 0.5 * (1 + math.erf(math.sqrt(2) / math.sqrt(2)))
    assert bayes == pytest.approx(0.9214, abs=1e-4)
    assert accuracy(run.final, x_test, y_test) > 0.88


def test_accuracy_counts_by_hand():
    x = torch.tensor([[1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [2.0, 0.0, 1.0], [-3.0, 0.0, 1.0]])
    y = torch.tensor([1.0, 0.0, 0.0, 0.0])
    w = torch.tensor([1.0, 0.0, 0.0])  # predicts class 1 exactly when x1 > 0
    assert accuracy(w, x, y) == 0.75


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="labels 0.0 and 1.0"):
        bce_with_logits(torch.zeros(3), torch.tensor([0.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="one non-empty shape"):
        bce_with_logits(torch.zeros(3), torch.zeros(2))
    with pytest.raises(TypeError, match="floating-point"):
        sigmoid(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="spread"):
        make_two_classes(10, spread=0.0)


def test_boundary_points_lie_on_the_decision_line_and_on_the_sides_of_the_box():
    box = 4.0
    for w in (
        torch.tensor([1.0, 2.0, -0.5]),  # closer to horizontal: cut at x1 = -4 and 4
        torch.tensor([3.0, 0.2, 1.0]),  # steep: cut at x2 = -4 and 4
        torch.tensor([0.0, 1.0, 0.0]),  # horizontal
        torch.tensor([-1.0, 0.0, 2.0]),  # vertical
        torch.tensor([1.0, -1.0, 0.5]),  # the diagonal tie
    ):
        xs, ys = boundary_points(w, box)
        assert len(xs) == len(ys) == 2
        for x1, x2 in zip(xs, ys, strict=True):
            assert float(w[0]) * x1 + float(w[1]) * x2 + float(w[2]) == pytest.approx(0.0, abs=1e-9)
        # the two points lie on opposite sides of the box: x1 = -b and b, or x2 = -b and b, those the line
        # crosses less steeply, so that the other coordinate changes by at most 2b between them
        assert sorted(xs) == [-box, box] or sorted(ys) == [-box, box]
        if sorted(xs) == [-box, box]:
            assert abs(ys[1] - ys[0]) <= 2 * box + 1e-9
        else:
            assert abs(xs[1] - xs[0]) <= 2 * box + 1e-9


def test_a_constant_logit_has_no_boundary():
    assert boundary_points(torch.tensor([0.0, 0.0, 1.0]), 4.0) == ([], [])
    assert boundary_points(torch.tensor([0.0, 0.0, 0.0]), 4.0) == ([], [])


def test_boundary_animation_has_a_frame_per_step_and_encodes():
    from lesson_code import boundary_animation, encode_mp4

    x, y = make_two_classes(60, seed=0)
    run = sgd(logistic_loss, torch.tensor([1.0, -2.0, 1.0]), x, y, lr=0.5, batch_size=20, epochs=2, seed=0)
    movie = boundary_animation(x, y, run)
    assert list(movie.frames) == list(range(run.steps + 1))
    movie.update(run.steps)
    line = movie.moving[0]
    w = run.final
    for x1, x2 in zip(*line.get_data(), strict=True):
        assert float(w[0]) * x1 + float(w[1]) * x2 + float(w[2]) == pytest.approx(0.0, abs=1e-4)
    right = int(((torch.sigmoid(x @ w) > 0.5).float() == y).sum())  # predicted probability above one half
    assert movie.moving[1].get_text() == f"step {run.steps}: {round(100 * right / len(y))}% right"
    assert encode_mp4(movie)[4:8] == b"ftyp"  # an MP4 file
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        boundary_animation(x[:, :2], y, run)


def test_gradients_are_right_at_zero_logits():
    # w = 0 makes every logit exactly 0, where a formula written with |z| gets a wrong autograd slope
    x, y = make_two_classes(50, seed=6)
    w = torch.zeros(3, requires_grad=True)
    logistic_loss(w, x, y).backward()
    torch.testing.assert_close(w.grad, x.T @ (0.5 - y) / len(y))
    z = torch.zeros(4, requires_grad=True)
    sigmoid(z).sum().backward()
    torch.testing.assert_close(z.grad, torch.full((4,), 0.25))


def test_cross_entropy_gradient_equals_torch_everywhere():
    z = torch.tensor([-800.0, -30.0, -1.0, 0.0, 1e-8, 1.0, 30.0, 800.0], requires_grad=True)
    y = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    bce_with_logits(z, y).backward()
    expected = z.detach().clone().requires_grad_(True)
    F.binary_cross_entropy_with_logits(expected, y).backward()
    torch.testing.assert_close(z.grad, expected.grad)
    assert torch.isfinite(z.grad).all()
