"""lesson_code: the data, losses, training loops, plots and animations of the book.

The public names are re-exported here and imported on first use (PEP 562), so that
``from lesson_code import make_line`` loads ``lesson_code.data`` and nothing else:
a chapter depends only on the modules it uses, and is executed again only when one
of those changes.
The names are listed once, as the imports of the ``if TYPE_CHECKING:`` block below:
type checkers and IDEs read them there, and `_EXPORTS` reads them from this file's source
(as scientific-python's ``lazy_loader.attach_stub`` reads a stub), so the two cannot disagree.
"""

import ast
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any


def _exports() -> dict[str, str]:
    """Each public name and the module of lesson_code that defines it, from the ``TYPE_CHECKING`` imports."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    (block,) = (node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    return {
        alias.asname or alias.name: statement.module.removeprefix(f"{__name__}.")
        for statement in block.body
        if isinstance(statement, ast.ImportFrom) and statement.module
        for alias in statement.names
    }


_EXPORTS = _exports()
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lesson_code' has no attribute {name!r}")
    value = getattr(import_module(f"lesson_code.{_EXPORTS[name]}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:  # the public names, one list: what type checkers and IDEs see, and what _EXPORTS reads
    from lesson_code.animation import (
        Movie,
        boundary_animation,
        encode_mp4,
        fit_animation,
        race_animation,
        video_html,
    )
    from lesson_code.classification import (
        accuracy,
        bce_with_logits,
        logistic_grad,
        logistic_loss,
        make_two_classes,
        sigmoid,
    )
    from lesson_code.data import make_line
    from lesson_code.divergence import DivergenceError
    from lesson_code.explorer import explorer_data, explorer_html
    from lesson_code.generalisation import (
        EarlyStop,
        Split,
        early_stop,
        make_curve,
        poly_features,
        ridge_fit,
        ridge_grad,
        ridge_mse,
        split_indices,
    )
    from lesson_code.losses import linear_mse, mse, mse_grad
    from lesson_code.momentum import heavy_ball
    from lesson_code.networks import (
        Digits,
        confusion_matrix,
        count_params,
        device,
        init_params,
        layer_shapes,
        load_digits_split,
        mlp_logits,
        mlp_loss,
        predict,
        softmax_cross_entropy,
        unflatten,
    )
    from lesson_code.noise import (
        batch_indices,
        example_gradients,
        gradient_covariance,
        minibatch_covariance,
        noise_ball,
        running_average,
        sample_minibatch_gradients,
        sgd_paths,
    )
    from lesson_code.plots import (
        mark_point,
        plot_line,
        plot_loss,
        plot_loss_contours,
        plot_params,
        plot_path,
        scatter_data,
    )
    from lesson_code.stability import (
        best_constant_lr,
        condition_number,
        hessian_eigenvalues,
        hessian_linear_mse,
        loss_grid,
        max_stable_lr,
    )
    from lesson_code.training import (
        History,
        epoch_batches,
        gradient_descent,
        least_squares,
        loss_path,
        sgd,
        steps_per_epoch,
        train,
    )
    from lesson_code.tuning import excess_loss, sgd_lr_grid
    from lesson_code.updates import Adam, Momentum, Plain, RMSProp
