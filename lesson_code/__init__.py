"""lesson_code: the data, losses, training loops, plots and animations of the book."""

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

__all__ = [
    "DivergenceError", "History", "Movie", "encode_mp4", "epoch_batches", "fit_animation",
    "gradient_descent", "least_squares", "linear_mse", "loss_path", "make_line", "mse",
    "mse_grad", "plot_line", "plot_loss", "race_animation", "scatter_data", "sgd",
    "steps_per_epoch", "train", "video_html",
    # the shape of the loss: ch-learning-rate, ch-loss-surface
    "best_constant_lr", "condition_number", "hessian_eigenvalues", "hessian_linear_mse", "loss_grid",
    "max_stable_lr",
    "heavy_ball", "mark_point", "plot_loss_contours", "plot_params", "plot_path",
    # classification: ch-classification
    "accuracy", "bce_with_logits", "boundary_animation", "logistic_grad", "logistic_loss",
    "make_two_classes", "sigmoid",
    # networks: ch-scaling-up
    "Digits", "confusion_matrix", "count_params", "device", "init_params", "layer_shapes",
    "load_digits_split", "mlp_logits", "mlp_loss", "predict", "softmax_cross_entropy", "unflatten",
]
