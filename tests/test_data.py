"""The data set: its shape, its seed, and the line and noise it is made of."""

import pytest
import torch

from lesson_code import make_line


def test_shapes_and_column_of_ones():
    x, y = make_line(n=37, seed=3)
    assert x.shape == (37, 2) and y.shape == (37,)
    assert torch.equal(x[:, 1], torch.ones(37))
    assert x[:, 0].min() >= -1 and x[:, 0].max() < 1


def test_same_seed_same_data_other_seed_other_data():
    x1, y1 = make_line(seed=5)
    x2, y2 = make_line(seed=5)
    x3, _ = make_line(seed=6)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(x1, x3)


def test_targets_are_the_line_plus_uniform_noise():
    x, y = make_line(n=20_000, a=(3.0, 2.0), seed=0)
    noise = y - (3 * x[:, 0] + 2)
    assert noise.min() >= 0 and noise.max() < 1
    # U[0, 1) has mean 1/2 and variance 1/12; 20,000 draws pin both to about 1%.
    assert noise.mean() == pytest.approx(0.5, abs=0.01)
    assert noise.var() == pytest.approx(1 / 12, rel=0.03)


def test_does_not_touch_the_global_generator():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    make_line(seed=0)
    assert torch.equal(torch.rand(3), before)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 1}, ValueError, "at least 2"),
        ({"n": 2.5}, TypeError, "n must be an int"),
        ({"a": (1.0,)}, ValueError, "two finite numbers"),
        ({"a": (1.0, float("nan"))}, ValueError, "two finite numbers"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, error, message):
    with pytest.raises(error, match=message):
        make_line(**kwargs)


def test_a_size_beyond_memory_is_refused_with_the_size_asked_for():
    with pytest.raises(ValueError) as raised:
        make_line(10**12)
    # x (n, 2), y and the noise: 4 float32 numbers per point, 4 bytes each
    assert "4,000,000,000,000 float32 numbers" in str(raised.value) and "(16 TB)" in str(raised.value)
