"""Networks in one parameter vector: shapes, forward pass, softmax cross-entropy, held-out accuracy."""

from __future__ import annotations

import math
from functools import partial

import pytest
import torch
import torch.nn.functional as F

from lesson_code import (
    confusion_matrix,
    count_params,
    device,
    epoch_batches,
    init_params,
    layer_shapes,
    load_digits_split,
    mlp_logits,
    mlp_loss,
    predict,
    sgd,
    softmax_cross_entropy,
    unflatten,
)

SIZES = (64, 32, 10)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread avoids the cost of coordinating two
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits():
    return load_digits_split(seed=0, on=torch.device("cpu"))


def test_device_is_cuda_exactly_when_available():
    assert device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_shapes_and_count():
    assert layer_shapes(SIZES) == [(32, 64), (32,), (10, 32), (10,)]
    assert count_params(SIZES) == 64 * 32 + 32 + 32 * 10 + 10


def test_split_is_a_partition_with_one_hot_targets(digits):
    assert len(digits.labels_train) + len(digits.labels_test) == 1797
    assert digits.x_train.shape[1] == 64 and float(digits.x_train.max()) <= 1.0
    assert torch.equal(digits.y_train.argmax(dim=1), digits.labels_train)
    assert torch.all(digits.y_train.sum(dim=1) == 1)
    # every example lands in exactly one half: together the halves hold the original data
    from sklearn.datasets import load_digits

    original = load_digits()
    both = torch.cat([digits.x_train, digits.x_test]).double()
    torch.testing.assert_close(both.sum(0), torch.tensor(original.data).sum(0) / 16.0)
    both_labels = torch.cat([digits.labels_train, digits.labels_test])
    assert torch.equal(torch.bincount(both_labels), torch.bincount(torch.tensor(original.target)))


def test_forward_pass_equals_torch_nn(digits):
    params = init_params(SIZES, seed=3, on=torch.device("cpu"))
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    torch.nn.utils.vector_to_parameters(params, model.parameters())
    x = digits.x_test[:20]
    torch.testing.assert_close(mlp_logits(params, x, SIZES), model(x))
    w, b, w2, b2 = unflatten(params, SIZES)
    torch.testing.assert_close(mlp_logits(params, x, SIZES), F.relu(x @ w.T + b) @ w2.T + b2)


def test_softmax_cross_entropy_equals_torch():
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(30, 10, generator=generator, dtype=torch.float64) * 5
    labels = torch.randint(0, 10, (30,), generator=generator)
    y = F.one_hot(labels, 10).double()
    torch.testing.assert_close(softmax_cross_entropy(z, y), F.cross_entropy(z, labels))
    by_definition = -(torch.log(torch.exp(z) / torch.exp(z).sum(1, keepdim=True)) * y).sum(1).mean()
    torch.testing.assert_close(softmax_cross_entropy(z, y), by_definition)
    big = torch.tensor([[1000.0, 0.0]])
    assert float(softmax_cross_entropy(big, torch.tensor([[0.0, 1.0]]))) == pytest.approx(1000.0)


def test_book_loop_takes_the_steps_of_torch_optim_sgd(digits):
    x, y, labels = digits.x_train[:200], digits.y_train[:200], digits.labels_train[:200]
    params0 = init_params(SIZES, seed=1, on=torch.device("cpu"))
    run = sgd(partial(mlp_loss, sizes=SIZES), params0, x, y, lr=0.2, batch_size=25, epochs=2, seed=7)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    torch.nn.utils.vector_to_parameters(params0.clone(), model.parameters())
    optimiser = torch.optim.SGD(model.parameters(), lr=0.2)
    for batch in epoch_batches(200, 25, 2, seed=7):
        optimiser.zero_grad()
        F.cross_entropy(model(x[batch]), labels[batch]).backward()
        optimiser.step()
    torch.testing.assert_close(
        torch.nn.utils.parameters_to_vector(model.parameters()).detach(), run.final, rtol=1e-4, atol=1e-5
    )


def test_mlp_accuracy_on_held_out_digits_is_above_the_floor(digits):
    run = sgd(
        partial(mlp_loss, sizes=SIZES),
        init_params(SIZES, seed=0, on=torch.device("cpu")),
        digits.x_train,
        digits.y_train,
        lr=0.3,
        batch_size=32,
        epochs=20,
        seed=0,
    )
    accuracy = float((predict(run.final, digits.x_test, SIZES) == digits.labels_test).float().mean())
    assert accuracy > 0.93  # chance is 0.10; a 64-32-10 network reaches about 0.97 here


def test_confusion_matrix_counts_by_hand():
    predicted = torch.tensor([0, 1, 1, 2, 2, 2])
    true = torch.tensor([0, 1, 2, 2, 2, 0])
    expected = torch.tensor([[1, 0, 1], [0, 1, 0], [0, 1, 2]])
    assert torch.equal(confusion_matrix(predicted, true, 3), expected)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="vector of 2410 numbers"):
        unflatten(torch.zeros(100), SIZES)
    with pytest.raises(ValueError, match="at least an input and an output"):
        layer_shapes((64,))
    with pytest.raises(TypeError, match="integer class labels"):
        confusion_matrix(torch.zeros(3), torch.zeros(3), 2)
    with pytest.raises(ValueError, match="0..1"):
        confusion_matrix(torch.tensor([0, 2]), torch.tensor([0, 1]), 2)
    with pytest.raises(ValueError, match="shape \\(n, 64\\)"):
        mlp_logits(init_params(SIZES, seed=0, on=torch.device("cpu")), torch.zeros(3, 10), SIZES)


@pytest.mark.parametrize("offset", [1e3, 1e4, 1e8, -1e8])
def test_softmax_cross_entropy_of_offset_scores_equals_torch(offset):
    generator = torch.Generator().manual_seed(1)
    z = torch.randn(20, 10, generator=generator)
    labels = torch.randint(0, 10, (20,), generator=generator)
    y = F.one_hot(labels, 10).float()
    expected = F.cross_entropy(z.double(), labels)  # the softmax does not change when every score moves alike
    torch.testing.assert_close(softmax_cross_entropy(z.double() + offset, y.double()), expected)
    uniform = torch.zeros(20, 10) + offset  # ten equal scores: log(10), as torch says
    assert float(F.cross_entropy(uniform, labels)) == pytest.approx(math.log(10))
    tolerance = 1e-5 if abs(offset) > 1024 else 1e-4  # unshifted scores lose up to about |offset| * 2**-24
    assert float(softmax_cross_entropy(uniform, y)) == pytest.approx(math.log(10), abs=tolerance)
