"""torch.optim's names for what the book calls otherwise, answered with the book's spelling.

Readers who know ``torch.optim`` type ``Momentum(momentum=0.9)``, ``Adam(lr=0.01, betas=(0.9, 0.999))`` or
``sgd(..., momentum=0.9)``. Python's bare "unexpected keyword argument" does not say what to write instead;
these wrappers do: the book's name for each argument, and where ``lr`` goes (to the run, not to the rule).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

Rule = TypeVar("Rule", bound=type)


def book_names(**torch_names: str) -> Any:
    """A rule's class, whose arguments spelled as ``torch.optim`` spells them (``momentum=``, ``betas=``, ``lr=``)
    get a `TypeError` that gives the book's name for each and says where ``lr`` goes, instead of Python's bare
    "unexpected keyword argument". ``torch_names`` maps torch's name to the book's."""

    def decorate(cls: Rule) -> Rule:
        init = cls.__init__

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            ours = [field.name for field in fields(cls)]
            for key, value in kwargs.items():
                if key in ours:
                    continue
                given = f"{cls.__name__}({key}={value!r})"
                if key == "lr":
                    raise TypeError(
                        f"lr must be passed to the run, not to the rule, got {given}: write "
                        f"gradient_descent(..., lr={value!r}, rule={cls.__name__}()), or sgd or train alike"
                    )
                if key in torch_names:
                    spelled = [repr(arg) for arg in args] + [
                        _spelled(torch_names[k], v) if k in torch_names else f"{k}={v!r}"
                        for k, v in kwargs.items()
                        if k in torch_names or k in ours
                    ]
                    raise TypeError(
                        f"{key} is torch.optim's name: the book's {cls.__name__} must be given "
                        f"{torch_names[key]}, got {given}: write {cls.__name__}({', '.join(spelled)})"
                    )
                raise TypeError(
                    f"{key} is not an argument of {cls.__name__}: it must be given {', '.join(ours)}, got {given}"
                )
            init(self, *args, **kwargs)

        cls.__init__ = __init__
        return cls

    return decorate


def _spelled(names: str, value: object) -> str:
    """``"beta1=0.9, beta2=0.99"`` for the book's ``names`` (``"beta1 and beta2"``) and torch's ``value``."""
    ours = names.split(" and ")
    if len(ours) > 1 and isinstance(value, (tuple, list)) and len(value) == len(ours):
        return ", ".join(f"{name}={item!r}" for name, item in zip(ours, value, strict=True))
    return f"{ours[0]}={value!r}"


RUN_NAMES = {
    "momentum": "rule=Momentum(beta={value!r})",
    "nesterov": "rule=Momentum(beta=0.9, nesterov={value!r})",
    "betas": "rule=Adam(beta1=..., beta2=...) with the two numbers of {value!r}",
    "alpha": "rule=RMSProp(alpha={value!r})",
    "weight_decay": "loss_fn=functools.partial(ridge_mse, weight_decay={value!r})",
}
"""torch.optim's arguments that a reader may pass to a run, and the book's way to say each."""


def refuse_torch_run_names(run: Callable[..., Any]) -> Callable[..., Any]:
    """``run`` (`train`, `gradient_descent`, `sgd`), answering torch.optim's ``momentum=``, ``betas=``,
    ``weight_decay=`` ... with the book's spelling instead of Python's bare "unexpected keyword argument"."""

    @functools.wraps(run)
    def checked(*args: Any, **kwargs: Any) -> Any:
        for key in RUN_NAMES.keys() & kwargs.keys():
            value = kwargs[key]
            raise TypeError(
                f"{key} is torch.optim's argument: the book's {run.__name__} must be given "
                f"{RUN_NAMES[key].format(value=value)}, got {key}={value!r}"
            )
        return run(*args, **kwargs)

    return checked


def other_spellings(**names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A function whose arguments a reader may spell as the book's other functions do (``heavy_ball(beta=...)``,
    where `Momentum` says ``beta``), answered with its own name for each instead of Python's bare
    "unexpected keyword argument". ``names`` maps the other spelling to the function's own."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            for key in names.keys() & kwargs.keys():
                raise TypeError(
                    f"{function.__name__} takes {names[key]}=, not {key}=, got {key}={kwargs[key]!r}: "
                    f"write {function.__name__}(..., {names[key]}={kwargs[key]!r})"
                )
            return function(*args, **kwargs)

        return checked

    return decorate
