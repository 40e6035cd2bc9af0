"""Gradient descent with heavy-ball momentum, on the shared training loop.

Taught in {ref}`ch-loss-surface`.
"""

from __future__ import annotations

from torch import Tensor

from lesson_code.checks import check_between
from lesson_code.torch_names import other_spellings
from lesson_code.training import History, LossFn, gradient_descent
from lesson_code.updates import Momentum


@other_spellings(beta="momentum")
def heavy_ball(
    loss_fn: LossFn,
    params0: Tensor,
    x: Tensor,
    y: Tensor,
    *,
    lr: float,
    momentum: float,
    steps: int,
    raise_on_divergence: bool = True,
) -> History:
    r"""Full-batch gradient descent with momentum $\beta$:
    $v \leftarrow \beta v - \eta \nabla L(a)$, $a \leftarrow a + v$.

    The velocity $v$ starts at zero; with ``momentum=0`` this is `gradient_descent`.
    It is `gradient_descent` with the update rule `Momentum` ``(beta=momentum)``, the update
    ``torch.optim.SGD(..., momentum=beta)`` makes, written with $v = -\eta\,b$ for its buffer $b$.
    Taught in {ref}`ch-loss-surface`.
    """
    check_between("momentum", momentum, 0.0, 1.0)  # the other arguments are checked by gradient_descent
    return gradient_descent(
        loss_fn, params0, x, y, lr=lr, steps=steps, rule=Momentum(momentum), raise_on_divergence=raise_on_divergence
    )
