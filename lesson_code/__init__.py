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
    from lesson_code.animation import Movie, encode_mp4, fit_animation, race_animation, video_html
    from lesson_code.data import make_line
    from lesson_code.explorer import explorer_data, explorer_html
    from lesson_code.losses import linear_mse, mse, mse_grad
    from lesson_code.plots import plot_line, plot_loss, scatter_data
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
