"""lesson_code: the data, losses, training loops, plots and animations of the book.

The public names are re-exported here and imported on first use (PEP 562), so that
``from lesson_code import make_line`` loads ``lesson_code.data`` and nothing else:
a chapter depends only on the modules it uses, and is executed again only when one
of those changes.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Each public name, and the module of lesson_code that defines it.
_EXPORTS = {
    "make_line": "data",
    "linear_mse": "losses",
    "mse": "losses",
    "mse_grad": "losses",
    "DivergenceError": "training",
    "History": "training",
    "epoch_batches": "training",
    "gradient_descent": "training",
    "least_squares": "training",
    "loss_path": "training",
    "sgd": "training",
    "steps_per_epoch": "training",
    "train": "training",
    "plot_line": "plots",
    "plot_loss": "plots",
    "scatter_data": "plots",
    "Movie": "animation",
    "encode_mp4": "animation",
    "fit_animation": "animation",
    "race_animation": "animation",
    "video_html": "animation",
    "explorer_data": "explorer",
    "explorer_html": "explorer",
    # the shape of the loss: ch-learning-rate, ch-loss-surface
    "best_constant_lr": "stability",
    "condition_number": "stability",
    "hessian_eigenvalues": "stability",
    "hessian_linear_mse": "stability",
    "loss_grid": "stability",
    "max_stable_lr": "stability",
    "heavy_ball": "momentum",
    # update rules for train: ch-loss-surface
    "Adam": "updates",
    "Momentum": "updates",
    "Plain": "updates",
    "RMSProp": "updates",
    "mark_point": "plots",
    "plot_loss_contours": "plots",
    "plot_params": "plots",
    "plot_path": "plots",
    # classification: ch-classification
    "accuracy": "classification",
    "bce_with_logits": "classification",
    "logistic_grad": "classification",
    "logistic_loss": "classification",
    "make_two_classes": "classification",
    "sigmoid": "classification",
    "boundary_animation": "animation",
    # networks: ch-scaling-up
    "Digits": "networks",
    "confusion_matrix": "networks",
    "count_params": "networks",
    "device": "networks",
    "init_params": "networks",
    "layer_shapes": "networks",
    "load_digits_split": "networks",
    "mlp_logits": "networks",
    "mlp_loss": "networks",
    "predict": "networks",
    "softmax_cross_entropy": "networks",
    "unflatten": "networks",
    # generalisation: ch-generalisation
    "EarlyStop": "generalisation",
    "Split": "generalisation",
    "early_stop": "generalisation",
    "make_curve": "generalisation",
    "poly_features": "generalisation",
    "ridge_fit": "generalisation",
    "ridge_grad": "generalisation",
    "ridge_mse": "generalisation",
    "split_indices": "generalisation",
    # choosing the learning rate: ch-sgd
    "excess_loss": "tuning",
    "sgd_lr_grid": "tuning",
    # the noise of SGD: ch-noise (schedules stay in lesson_code.schedules)
    "batch_indices": "noise",
    "example_gradients": "noise",
    "gradient_covariance": "noise",
    "minibatch_covariance": "noise",
    "noise_ball": "noise",
    "running_average": "noise",
    "sample_minibatch_gradients": "noise",
    "sgd_paths": "noise",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lesson_code' has no attribute {name!r}")
    value = getattr(import_module(f"lesson_code.{_EXPORTS[name]}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:  # what type checkers and IDEs see
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
        DivergenceError,
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
