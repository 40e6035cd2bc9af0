"""Update rules, checked step for step against torch.optim on the same mini-batches, and against each other."""

from __future__ import annotations

import pytest
import torch

from lesson_code import epoch_batches, gradient_descent, linear_mse, make_line, sgd, train
from lesson_code.updates import Adam, Momentum, Plain, RMSProp

A0 = torch.tensor([-1.0, 1.0])
LR = {"plain": 0.1, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 0.01, "adam": 0.05}


@pytest.fixture(scope="module")
def data():
    return make_line(n=100, seed=0)


@pytest.fixture(scope="module")
def batches():
    return epoch_batches(100, 10, 12, seed=3)  # 120 steps of mini-batches of 10


def torch_steps(optimiser_class, kwargs, x, y, batches):
    """The parameters after each step of a torch.optim optimiser on the same batches: ``(k + 1, p)``."""
    a = A0.clone().requires_grad_(True)
    optimiser = optimiser_class([a], **kwargs)
    params = [a.detach().clone()]
    for batch in batches:
        optimiser.zero_grad()
        linear_mse(a, x[batch], y[batch]).backward()
        optimiser.step()
        params.append(a.detach().clone())
    return torch.stack(params)


CASES = {
    "plain": (Plain(), torch.optim.SGD, {}),
    "momentum": (Momentum(beta=0.9), torch.optim.SGD, {"momentum": 0.9}),
    "nesterov": (Momentum(beta=0.9, nesterov=True), torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (RMSProp(alpha=0.99, eps=1e-8), torch.optim.RMSprop, {"alpha": 0.99, "eps": 1e-8}),
    "adam": (Adam(beta1=0.9, beta2=0.999, eps=1e-8), torch.optim.Adam, {"betas": (0.9, 0.999), "eps": 1e-8}),
}


@pytest.mark.parametrize("name", CASES)
def test_each_rule_takes_the_steps_of_torch_optim(name, data, batches):
    x, y = data
    rule, optimiser_class, kwargs = CASES[name]
    ours = train(linear_mse, A0, x, y, lr=LR[name], batches=batches, rule=rule)
    theirs = torch_steps(optimiser_class, {"lr": LR[name], **kwargs}, x, y, batches)
    assert ours.params.shape == theirs.shape == (121, 2)
    # float32 rounding only: the rules are written as the book writes them, torch.optim in its own order
    torch.testing.assert_close(ours.params, theirs, rtol=2e-5, atol=2e-5)
    assert float((ours.params[-1] - A0).norm()) > 0.5, "the run must move for the comparison to mean anything"


def test_zero_momentum_is_plain_sgd(data):
    x, y = data
    plain = sgd(linear_mse, A0, x, y, lr=0.1, batch_size=10, epochs=3, seed=1)
    for rule in (Momentum(beta=0.0), Momentum(beta=0.0, nesterov=True)):
        heavy = sgd(linear_mse, A0, x, y, lr=0.1, batch_size=10, epochs=3, seed=1, rule=rule)
        assert torch.equal(heavy.params, plain.params)


def test_the_default_rule_is_the_plain_step(data):
    x, y = data
    run = gradient_descent(linear_mse, A0, x, y, lr=0.1, steps=5)
    explicit = gradient_descent(linear_mse, A0, x, y, lr=0.1, steps=5, rule=Plain())
    assert torch.equal(run.params, explicit.params)
    for before, after in zip(run.params[:-1], run.params[1:], strict=True):
        a = before.clone().requires_grad_(True)
        linear_mse(a, x, y).backward()
        assert torch.equal(after, before - 0.1 * a.grad)


def test_adam_without_its_first_average_is_rmsprop(data, batches):
    """beta1 = 0 and no bias correction leave Adam's second average only: RMSProp with alpha = beta2."""
    x, y = data
    adam = train(linear_mse, A0, x, y, lr=0.01, batches=batches, rule=Adam(beta1=0.0, beta2=0.9, bias_correction=False))
    rms = train(linear_mse, A0, x, y, lr=0.01, batches=batches, rule=RMSProp(alpha=0.9))
    torch.testing.assert_close(adam.params, rms.params, rtol=1e-6, atol=1e-6)


def test_without_memory_rmsprop_steps_by_the_sign_of_the_gradient(data, batches):
    """alpha = 0 keeps only the last squared gradient: each coordinate moves by lr * sign(g), up to eps."""
    x, y = data
    run = train(linear_mse, A0, x, y, lr=0.01, batches=batches[:20], rule=RMSProp(alpha=0.0, eps=1e-12))
    for k, batch in enumerate(batches[:20]):
        a = run.params[k].clone().requires_grad_(True)
        linear_mse(a, x[batch], y[batch]).backward()
        torch.testing.assert_close(run.params[k + 1] - run.params[k], -0.01 * a.grad.sign(), rtol=1e-5, atol=1e-7)


def test_adam_bias_correction_makes_the_first_step_lr_in_every_coordinate(data):
    """At t = 1 the corrected averages are g and g^2, so the step is -lr * g / |g|; uncorrected, it is far smaller."""
    x, y = data
    corrected = gradient_descent(linear_mse, A0, x, y, lr=0.01, steps=1, rule=Adam())
    raw = gradient_descent(linear_mse, A0, x, y, lr=0.01, steps=1, rule=Adam(bias_correction=False))
    a = A0.clone().requires_grad_(True)
    linear_mse(a, x, y).backward()
    torch.testing.assert_close(corrected.params[1] - A0, -0.01 * a.grad.sign(), rtol=1e-4, atol=1e-7)
    # uncorrected: (1 - beta1) g / (sqrt(1 - beta2) |g|) = 0.1 / sqrt(0.001) = 3.16 times lr
    torch.testing.assert_close(raw.params[1] - A0, -0.01 * 0.1 / 0.001**0.5 * a.grad.sign(), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Momentum(beta=1.0), "beta"),
        (lambda: Momentum(beta=-0.1), "beta"),
        (lambda: Momentum(beta="0.9"), "beta"),
        (lambda: Momentum(beta=0.9, nesterov=1), "nesterov"),
        (lambda: RMSProp(alpha=1.5), "alpha"),
        (lambda: RMSProp(eps=0.0), "eps"),
        (lambda: Adam(beta1=1.0), "beta1"),
        (lambda: Adam(beta2=float("nan")), "beta2"),
        (lambda: Adam(bias_correction="yes"), "bias_correction"),
    ],
)
def test_bad_hyperparameters_are_refused(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_a_rule_class_or_a_stranger_is_refused(data):
    x, y = data
    with pytest.raises(TypeError, match="call it, Adam"):
        gradient_descent(linear_mse, A0, x, y, lr=0.1, steps=1, rule=Adam)
    with pytest.raises(TypeError, match="rule must be an update rule"):
        gradient_descent(linear_mse, A0, x, y, lr=0.1, steps=1, rule="adam")


@pytest.mark.parametrize(
    ("make", "book"),
    [
        (lambda: Momentum(momentum=0.9), Momentum(beta=0.9)),
        (lambda: Momentum(momentum=0.5, nesterov=True), Momentum(beta=0.5, nesterov=True)),
        (lambda: Adam(betas=(0.8, 0.99), eps=1e-6), Adam(beta1=0.8, beta2=0.99, eps=1e-6)),
        (lambda: Adam(betas=(0.8, 0.99)), Adam(beta1=0.8, beta2=0.99)),
    ],
)
def test_torch_optims_names_are_answered_with_the_books_call(make, book):
    with pytest.raises(TypeError) as raised:
        make()
    fix = str(raised.value).rsplit("write ", 1)[1]  # the call the message tells the reader to write
    assert eval(fix, {"Momentum": Momentum, "Adam": Adam}) == book


@pytest.mark.parametrize("rule", [Plain, Momentum, RMSProp, Adam])
def test_lr_given_to_a_rule_says_it_goes_to_the_run(rule, data):
    with pytest.raises(
        TypeError, match=rf"lr must be passed to the run, not to the rule, got {rule.__name__}\(lr=0.01\)"
    ):
        rule(lr=0.01)


def torch_momentum(x, y, *, lr: float, momentum: float, steps: int) -> torch.Tensor:
    """The oracle: where torch.optim.SGD's own momentum takes the line's parameters from zero."""
    a = torch.zeros(2, requires_grad=True)
    optimiser = torch.optim.SGD([a], lr=lr, momentum=momentum)
    for _ in range(steps):
        optimiser.zero_grad()
        linear_mse(a, x, y).backward()
        optimiser.step()
    return a.detach()


def test_torch_optims_momentum_given_to_a_run_is_answered_with_the_rule_that_takes_the_same_steps(data):
    x, y = data
    with pytest.raises(TypeError) as raised:
        gradient_descent(linear_mse, torch.zeros(2), x, y, lr=0.05, steps=5, momentum=0.9)
    rule = str(raised.value).split("must be given rule=", 1)[1].split(", got")[0]  # the rule the message offers
    ours = gradient_descent(linear_mse, torch.zeros(2), x, y, lr=0.05, steps=5, rule=eval(rule, {"Momentum": Momentum}))
    torch.testing.assert_close(ours.final, torch_momentum(x, y, lr=0.05, momentum=0.9, steps=5))


def test_heavy_ball_given_momentums_name_beta_says_it_takes_momentum(data):
    from lesson_code import heavy_ball

    x, y = data
    with pytest.raises(TypeError, match=r"heavy_ball takes momentum=, not beta=, got beta=0.9") as raised:
        heavy_ball(linear_mse, torch.zeros(2), x, y, lr=0.05, steps=5, beta=0.9)
    fix = str(raised.value).rsplit("write heavy_ball(..., ", 1)[1].rstrip(")")  # what the message says to write
    ours = heavy_ball(linear_mse, torch.zeros(2), x, y, lr=0.05, steps=5, **eval(f"dict({fix})"))
    torch.testing.assert_close(ours.final, torch_momentum(x, y, lr=0.05, momentum=0.9, steps=5))
