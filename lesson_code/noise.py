"""The noise of SGD on least squares: the mini-batch gradient's covariance, the noise ball
it leaves around the minimum at a constant learning rate, and averaging of the iterates.

Everything here computes in float64: excess losses are small differences of nearly equal losses.
Taught in {ref}`ch-noise`.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import torch
from torch import Tensor

from lesson_code.checks import (
    SEED_RANGE,
    all_finite,
    check_bool,
    check_count,
    check_fits,
    check_gram,
    check_items,
    check_positive,
    check_regression,
    check_seed,
    check_shape,
    check_tensor,
    describe,
)
from lesson_code.divergence import DivergenceError, paths_problem
from lesson_code.tuning import linear_sgd64

NOISE_BALL_TOLERANCE = 0.2
"""How far (relatively) a measured noise ball may be from `noise_ball` when its assumptions hold:
independent batches and a rate below a quarter of the stability bound."""


def _as64(x: Tensor, y: Tensor, a: Tensor, a_name: str = "a") -> tuple[Tensor, Tensor, Tensor]:
    check_regression(x, y, a, a_name=a_name)  # float32 and float64 mix: everything becomes float64
    return x.double(), y.double(), a.double()


def example_gradients(x: Tensor, y: Tensor, a: Tensor) -> Tensor:
    r"""The gradient of each example's squared error $(x_i^\top a - y_i)^2$: $g_i = 2 x_i (x_i^\top a - y_i)$.

    Returns ``(n, p)`` in float64; their mean is the gradient of the MSE on all the data.
    """
    x, y, a = _as64(x, y, a)
    return 2.0 * x * (x @ a - y).unsqueeze(1)


def gradient_covariance(x: Tensor, y: Tensor, a: Tensor) -> Tensor:
    r"""The covariance of one example's gradient, $\Sigma = \frac{1}{n}\sum_i (g_i - \bar g)(g_i - \bar g)^\top$.

    The examples are the whole population here, so the mean divides by $n$. ``(p, p)``, float64.
    """
    g = example_gradients(x, y, a)
    centred = g - g.mean(dim=0)
    return centred.T @ centred / len(g)


def minibatch_covariance(x: Tensor, y: Tensor, a: Tensor, batch_size: int) -> Tensor:
    r"""The covariance of the mini-batch gradient $g_B = \frac{1}{b}\sum_{i \in B} g_i$ when the batch $B$
    is $b$ examples drawn without replacement: $\frac{\Sigma}{b} \cdot \frac{n - b}{n - 1}$.

    The factor $(n - b)/(n - 1)$ is the finite-population correction: it is 1 for $b = 1$ and 0 for
    $b = n$, where every batch is all the data. ``(p, p)``, float64.
    """
    n = check_regression(x, y, a)
    check_count("batch_size", batch_size, 1, n)
    if n == 1:
        return torch.zeros(x.shape[1], x.shape[1], dtype=torch.float64)
    return gradient_covariance(x, y, a) / batch_size * (n - batch_size) / (n - 1)


def sample_minibatch_gradients(
    x: Tensor,
    y: Tensor,
    a: Tensor,
    batch_size: int,
    *,
    draws: int,
    seed: int,
) -> Tensor:
    """The gradients of ``draws`` independent random batches of ``batch_size`` examples, each drawn
    without replacement: ``(draws, p)``, float64."""
    g = example_gradients(x, y, a)
    check_count("batch_size", batch_size, 1, len(g))
    check_fits("draws", check_count("draws", draws, 1), draws * len(g) * 2, what="numbers (a draw of each batch)")
    generator = torch.Generator().manual_seed(check_seed("seed", seed))
    batches = torch.rand(draws, len(g), generator=generator).argsort(dim=1)[:, :batch_size]  # (draws, b)
    return g[batches].mean(dim=1)


def _check_seeds(seeds: object) -> list[int]:
    """``seeds`` as a list of ints if it is a non-empty sequence of seeds, such as ``range(5)``."""
    listed = check_items("seeds", seeds, "a list of int seeds, such as range(5) or [0]")
    if not listed:
        raise ValueError(f"seeds must hold at least one seed, such as range(5) or [0], got {describe(seeds)}")
    low, high = SEED_RANGE
    for seed in listed:
        if isinstance(seed, bool) or not isinstance(seed, Integral):
            raise TypeError(f"seeds must hold ints, such as range(5), got {describe(seed)} in {describe(seeds)}")
        if not low <= int(seed) <= high:
            raise ValueError(f"seeds must hold ints in -2**63..2**64-1, got {seed}")
    return [int(seed) for seed in listed]


def batch_indices(
    n: int,
    batch_size: int,
    steps: int,
    seeds: Sequence[int],
    *,
    reshuffle: bool = True,
) -> Tensor:
    """The examples of each step of one SGD run per seed: ``(steps, runs, batch_size)``.

    With ``reshuffle=True`` the batches are those of `epoch_batches` (shuffle, cut, repeat each epoch),
    so run ``r`` takes the steps of ``sgd(..., seed=seeds[r])``; ``batch_size`` must divide ``n``.
    With ``reshuffle=False`` every step draws a fresh batch without replacement, independent of
    the others.
    """
    check_count("n", n, 1)
    check_count("batch_size", batch_size, 1, n)
    check_count("steps", steps, 1)
    seeds = _check_seeds(seeds)
    check_bool("reshuffle", reshuffle)
    per_run = steps * batch_size + 3 * n if reshuffle else 2 * steps * n  # the indices kept, and the draws made
    check_fits("steps", steps, per_run + len(seeds) * steps * batch_size, what="int64 indices and draws")
    if reshuffle and n % batch_size:
        raise ValueError(f"batch_size must divide n = {n} when reshuffle=True, got {batch_size}")
    runs = []
    for seed in seeds:
        generator = torch.Generator().manual_seed(seed)
        if reshuffle:  # the draws of epoch_batches, without cutting each epoch into a list
            orders = []
            for _ in range(-(-steps * batch_size // n)):
                torch.empty((), dtype=torch.int64).random_(generator=generator)
                orders.append(torch.randperm(n, generator=generator))
                torch.randperm(n, generator=generator)
            runs.append(torch.cat(orders).reshape(-1, batch_size)[:steps])
        else:
            runs.append(torch.rand(steps, n, generator=generator).argsort(dim=1)[:, :batch_size])
    return torch.stack(runs, dim=1)


def sgd_paths(x: Tensor, y: Tensor, a0: Tensor, *, lr: float | Tensor, batches: Tensor) -> Tensor:
    r"""Mini-batch SGD on $L(a) = \frac{1}{n}\lVert X a - y\rVert^2$ for several runs at once, in float64.

    Step $k$ of run $r$ is $a \leftarrow a - \eta_k \frac{2}{b} X_B^\top (X_B a - y_B)$ with
    $B$ = ``batches[k, r]``: the step `train` takes, with the gradient written out.

    Args:
        x: ``(n, p)`` inputs; y: ``(n,)`` targets; a0: ``(p,)`` the start of every run.
        lr: one learning rate; or ``(steps,)`` rates, one per step (a schedule); or ``(steps, runs)``,
            a schedule for each run.
        batches: ``(steps, runs, b)`` example indices, as `batch_indices` makes them.

    Returns:
        ``(steps + 1, runs, p)``: the parameters of every run before each step and after the last.

    Raises `DivergenceError` if a run's parameters stop being finite, naming the run and the step.
    """
    x, y, a0 = _as64(x, y, a0, "a0")
    n = len(y)
    check_tensor("batches", batches, floating=False)
    if batches.dtype != torch.int64:
        raise TypeError(
            f"batches must be int64 example indices, as batch_indices makes them, "
            f"got dtype {batches.dtype}: pass batches.long()"
        )
    check_shape("batches", batches, ("steps", "runs", "b"), ", as batch_indices makes them")
    steps, runs, _ = batches.shape
    if batches.numel() == 0:
        raise ValueError(
            f"batches must hold at least one step of one run of one example, got shape {tuple(batches.shape)}"
        )
    low, high = int(batches.min()), int(batches.max())
    if low < 0 or high >= n:
        raise ValueError(f"batches must hold example indices 0..{n - 1} (n = {n}), got {low if low < 0 else high}")
    if isinstance(lr, Tensor):
        check_tensor("lr", lr)
        if lr.shape not in ((steps,), (steps, runs)):
            raise ValueError(
                f"lr must be a number, or rates of shape ({steps},) or ({steps}, {runs}), got shape {tuple(lr.shape)}"
            )
        if not bool((lr > 0).all()):
            first = tuple(int(i) for i in (lr <= 0).nonzero()[0])
            raise ValueError(
                f"lr must hold rates above 0, got {float(lr[first])!r} at step {first[0]}"
                + (f" of run {first[1]}" if len(first) > 1 else "")
                + ": a rate of 0 takes no step (a schedule's rates may have rounded to 0: use fewer steps)"
            )
        rates = lr.double().reshape(steps, -1, 1)  # (steps, 1 or runs, 1)
    elif isinstance(lr, (list, tuple)):
        raise TypeError(
            f"lr must be a number, or a tensor of rates (a schedule), got {describe(lr)}: pass torch.tensor(...)"
        )
    else:
        rates = torch.full((steps, 1, 1), check_positive("lr", lr), dtype=torch.float64)
    a0 = a0.expand(runs, -1)  # (runs, p)
    check_fits("batches", f"shape {tuple(batches.shape)}", (steps + 1) * runs * x.shape[1], what="float64 numbers")
    paths = torch.stack([a0, *linear_sgd64(x, y, a0, zip(batches, rates, strict=True))])
    if not all_finite(paths):
        raise DivergenceError(paths_problem(paths, rates))
    return paths


def noise_ball(x: Tensor, y: Tensor, *, lr: float, batch_size: int) -> float:
    r"""The predicted mean excess loss of SGD at a constant learning rate, once it has settled:
    $\frac{\eta}{2} \sum_j \frac{c_j}{2 - \eta \lambda_j}$.

    Here $\lambda_j$ are the eigenvalues of $H = \frac{2}{n} X^\top X$ and $c_j$ the variances, along
    their eigenvectors, of the mini-batch gradient at the minimum (`minibatch_covariance`).
    It assumes that each step's noise is independent of the others and of where SGD is, and that
    the batch's curvature is the full curvature $H$; for small $\eta$ it is about
    $\frac{\eta}{4} \operatorname{tr} C$. Derived in {ref}`ch-noise`.
    """
    check_tensor("x", x, ndim=2, nonempty=True)
    check_tensor("y", y)
    check_shape("y", y, (x.shape[0],), f" to match x of shape {tuple(x.shape)}")
    check_count("batch_size", batch_size, 1, len(y))
    lr = check_positive("lr", lr)
    x64, y64 = x.double(), y.double()
    a_star = torch.linalg.lstsq(x64, y64.unsqueeze(1)).solution.squeeze(1)
    hessian = check_gram("x", x64, 2.0 / len(y64) * x64.T @ x64)
    eigenvalues, vectors = torch.linalg.eigh(hessian)
    if lr * float(eigenvalues[-1]) >= 2:
        bound = 2 / float(eigenvalues[-1])
        raise ValueError(f"lr must be below the stability bound 2 / lambda_max = {bound!r}, got {lr!r}")
    covariance = minibatch_covariance(x64, y64, a_star, batch_size)
    c = torch.einsum("ij,ik,kj->j", vectors, covariance, vectors)  # variances along the eigenvectors
    return float(lr / 2 * (c / (2 - lr * eigenvalues)).sum())


def running_average(params: Tensor, *, start: int = 0) -> Tensor:
    r"""Polyak–Ruppert averages of the iterates: entry $k$ is $\bar a_k = \frac{1}{k + 1}\sum_{j=0}^{k} a_{s + j}$,
    the mean of the parameters from step $s$ = ``start`` to step $s + k$.

    ``params`` is ``(steps + 1, ...)`` as `sgd_paths` returns it; the result has ``steps + 1 - start`` rows,
    in float64.
    """
    check_tensor("params", params)
    if params.ndim == 0 or len(params) == 0:
        raise ValueError(
            f"params must hold the parameters of at least one step along dim 0, as sgd_paths returns "
            f"them, got shape {tuple(params.shape)}"
        )
    check_count("start", start, 0, len(params) - 1)
    kept = params[start:].double()
    counts = torch.arange(1, len(kept) + 1, dtype=torch.float64).reshape(-1, *([1] * (kept.ndim - 1)))
    return kept.cumsum(dim=0) / counts
