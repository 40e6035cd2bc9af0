"""Checks at the door: bad input raises an error that says what was expected.

Every message has one shape, ``"<argument> must <what was expected>, got <what was given>"``,
often followed by how to fix it. A wrong type raises ``TypeError``, a wrong value ``ValueError``.
The checks only look, and return what they checked (a count as a plain ``int``, numbers as floats):
a valid argument gives the same results as without them.

What the package accepts, everywhere (one rule for array-likes):

- **Data and parameters** (``x``, ``y``, ``a``, ``params0``, ``z``, ...) are torch tensors, and only tensors:
  a list or a NumPy array is refused with the fix (``torch.tensor(...)``, ``torch.from_numpy(...)``), since the
  dtype and autograd matter there, and a silent conversion would choose them for the reader.
  Values given per step or per example (a schedule's rates for `sgd_paths`, the index tensors of ``batches``)
  are data too: tensors, as the package's own functions make them.
- **One number** (``lr``, ``n``, ``seed``, ``gamma``, ...) is a Python or NumPy number, never a bool; a tensor of one
  number is refused with the fix ``float(...)``.
- **A few settings given together** (``make_line``'s ``a``, ``lrs``, ``batch_sizes``, ``seeds``, ``sizes``, ``a0``,
  ranges such as ``xlim`` and ``a1``, ``names``, ``frames``) are any ordered sequence: a list, a tuple, a range,
  or a 1-D tensor or NumPy array (`check_items`). Each item is then checked as one number (or one text).
- **Sizes** that cannot fit in this machine's memory are refused before anything is allocated (`check_fits`).
"""

from __future__ import annotations

import functools
import inspect
import math
import os
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any

import torch
from torch import Tensor

SEED_RANGE = (-(2**63), 2**64 - 1)
"""The seeds ``torch.Generator.manual_seed`` accepts."""


def describe(value: object) -> str:
    """A short description of ``value`` for an error message: its repr if short, else its type and shape."""
    if isinstance(value, Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if value is None or isinstance(value, (bool, Real, str, bytes)):
        text = repr(value)
        return text if len(text) <= 40 else f"{text[:37]}..."
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__.split('.')[0]}.{kind.__name__}"
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # a NumPy array, or alike
        return f"a {name} of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        text = repr(value)
        return f"{name} {text}" if len(text) <= 40 else f"a {name} of {len(value)} items"
    return f"a {name}" if name[0].lower() not in "aeiou" else f"an {name}"


def _tensor_fix(value: object) -> str:
    kind = type(value)
    if kind.__module__ == "numpy":
        return ": pass torch.from_numpy(...) or torch.tensor(...)"
    if isinstance(value, (list, tuple, Real)):
        return ": pass torch.tensor(...)"
    return ""


def shown(value: Tensor) -> str:
    """One entry of a tensor as text, with the digits its dtype holds and no more: never rounded to a boundary
    (``1.0000001`` in float32 is not shown as ``1``), never padded with float64's digits."""
    number = float(value)
    if value.dtype in (torch.float32, torch.float16, torch.bfloat16):
        import numpy as np

        return str(np.float16(number) if value.dtype == torch.float16 else np.float32(number))
    return repr(number)


def _first_bad(mask: Tensor, value: Tensor) -> str:
    """``'nan at index 3'``: the first entry of ``value`` where ``mask`` holds."""
    first = tuple(int(i) for i in mask.nonzero()[0])  # the first in row-major order
    where = "" if not first else f" at index {first if len(first) > 1 else first[0]}"
    return f"{float(value[first])!r}{where}"


def all_finite(value: Tensor) -> bool:
    """Whether every entry is finite. A finite sum proves it in one cheap pass (a NaN or an infinity
    would make the sum NaN or infinite, in any order of addition); a sum that overflowed is looked at again."""
    return math.isfinite(value.detach().sum().item()) or bool(torch.isfinite(value).all())


def check_tensor(
    name: str,
    value: object,
    *,
    finite: bool = True,
    floating: bool = True,
    ndim: int | None = None,
    nonempty: bool = False,
) -> Tensor:
    """Raise unless ``value`` is a tensor (floating-point unless ``floating=False``), finite unless
    ``finite=False``, with ``ndim`` dimensions if given, and at least one entry if ``nonempty``.

    Parameters may be given ``finite=False``: a run that diverges passes infinite parameters
    to its loss, which must answer with an infinite loss for the run to say it diverged.
    """
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {describe(value)}{_tensor_fix(value)}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}: pass {name}.float()")
    if ndim is not None and value.ndim != ndim:
        what = {0: "a number (a tensor of shape ())", 1: "a vector", 2: "a matrix"}.get(ndim, f"{ndim}-dimensional")
        raise ValueError(f"{name} must be {what}, got shape {tuple(value.shape)}")
    if nonempty and value.numel() == 0:
        raise ValueError(f"{name} must hold at least one example, got shape {tuple(value.shape)}")
    if finite and value.is_floating_point() and not all_finite(value):
        raise ValueError(
            f"{name} must be finite, got {_first_bad(~torch.isfinite(value.detach()), value.detach())}: "
            f"remove or replace the NaN and infinite values (torch.isfinite({name}) shows where)"
        )
    return value


def check_shape(name: str, value: Tensor, shape: Sequence[int | str], why: str = "") -> Tensor:
    """Raise ``ValueError`` unless ``value`` has ``shape``; a ``str`` entry (``"n"``) matches any size."""
    if value.ndim != len(shape) or any(
        not isinstance(want, str) and want != got for want, got in zip(shape, value.shape, strict=True)
    ):
        wanted = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {wanted}{why}, got shape {tuple(value.shape)}")
    return value


def check_same_dtype(name: str, value: Tensor, other_name: str, other: Tensor) -> Tensor:
    """Raise ``TypeError`` unless ``value`` has the dtype of ``other`` (a product of the two needs one dtype)."""
    if value.dtype != other.dtype:
        convert = "float" if other.dtype == torch.float32 else "double" if other.dtype == torch.float64 else None
        fix = f"{name}.{convert}()" if convert else f"{name}.to({other_name}.dtype)"
        raise TypeError(
            f"{name} must have the dtype of {other_name} ({other.dtype}), got {value.dtype}: "
            f"pass {fix}, or make every tensor float64 with .double()"
        )
    return value


def check_regression(
    x: Tensor,
    y: Tensor,
    a: Tensor,
    *,
    a_name: str = "a",
    finite_a: bool = True,
    same_dtype: bool = False,
) -> int:
    """Check that ``x`` is ``(n, p)`` with ``n >= 1``, ``y`` is ``(n,)`` and ``a`` is ``(p,)``, the data finite,
    ``a`` finite unless ``finite_a=False``, and with ``same_dtype=True`` (for ``x @ a``) ``a`` of the dtype of ``x``.
    Returns ``n``."""
    check_tensor(a_name, a, finite=finite_a)
    check_tensor("x", x)
    check_tensor("y", y)
    if x.ndim != 2:
        raise ValueError(f"x must be a matrix of shape (n, p), got shape {tuple(x.shape)}")
    n, p = x.shape
    if n == 0:
        raise ValueError(f"x must hold at least one example, got shape {tuple(x.shape)}")
    if y.shape != (n,) or a.shape != (p,):  # called at every step of a run: the messages only when needed
        check_shape("y", y, (n,), f" to match x of shape {tuple(x.shape)}")
        check_shape(a_name, a, (p,), f" to match x of shape {tuple(x.shape)}")
    if same_dtype:
        check_same_dtype(a_name, a, "x", x)
    return n


def check_examples(x: Tensor, y: Tensor) -> int:
    """Check that ``x`` and ``y`` are finite floating-point tensors of the same, non-zero, number of examples."""
    check_tensor("x", x)
    check_tensor("y", y)
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(
            f"y must hold the same number of examples as x along dim 0, "
            f"got shapes {tuple(x.shape)} and {tuple(y.shape)}"
        )
    if x.shape[0] == 0:
        raise ValueError(f"x must hold at least one example, got shape {tuple(x.shape)}")
    return x.shape[0]


def check_number(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a real number (not a bool); raise ``TypeError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        fix = f": pass float({name})" if isinstance(value, Tensor) and value.numel() == 1 else ""
        raise TypeError(f"{name} must be a number, got {describe(value)}{fix}")
    return float(value)


def check_positive(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite number above zero; raise otherwise."""
    number = check_number(name, value)
    if not number > 0 or number == math.inf:
        raise ValueError(f"{name} must be a finite number above 0, got {value!r}")
    return number


def check_between(name: str, value: object, low: float, high: float, *, include_low: bool = True) -> float:
    """Return ``value`` as a float if it is a number in ``[low, high)`` (or ``(low, high)``); raise otherwise."""
    number = check_number(name, value)
    if not ((low <= number) if include_low else (low < number)) or not number < high:
        span = f"{'[' if include_low else '('}{low:g}, {high:g})"
        raise ValueError(f"{name} must be a number in {span}, got {value!r}")
    return number


def check_count(name: str, value: object, low: int, high: int | None = None) -> int:
    """Return ``value`` as an int if it is a whole number (not a bool) in ``low..high``; raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {describe(value)}")
    value = int(value)
    if value < low or (high is not None and value > high):
        span = f"{low}..{high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {span}, got {value}")
    return value


def check_seed(name: str, value: object) -> int:
    """Return ``value`` as an int if it is a seed ``torch.Generator().manual_seed`` accepts; raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, such as {name}=0, got {describe(value)}")
    low, high = SEED_RANGE
    if not low <= int(value) <= high:
        raise ValueError(f"{name} must be an int in -2**63..2**64-1, got {value}")
    return int(value)


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is ``True`` or ``False``; raise ``TypeError`` otherwise."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return value


def check_callable(name: str, value: object, what: str) -> Callable[..., Any]:
    """Raise ``TypeError`` unless ``value`` can be called; ``what`` says what kind of function is expected."""
    if not callable(value):
        fix = ": pass the function itself, without quotes" if isinstance(value, str) else ""
        raise TypeError(f"{name} must be {what}, got {describe(value)}{fix}")
    return value


LOSS_FN = "a function loss_fn(params, x, y) that returns the loss, such as linear_mse"


def check_loss_fn(loss_fn: object, *, grad: bool = True) -> Callable[[Tensor, Tensor, Tensor], Tensor]:
    """Raise unless ``loss_fn`` can be called as ``loss_fn(params, x, y)``; return it wrapped so that each
    loss it returns is checked to be one number (and, with ``grad=True``, one that autograd can follow)."""
    check_callable("loss_fn", loss_fn, LOSS_FN)
    try:
        signature = inspect.signature(loss_fn)
    except (TypeError, ValueError):  # some callables do not say; they are called as they are
        signature = None
    if signature is not None:
        try:
            signature.bind(None, None, None)
        except TypeError:
            name = getattr(loss_fn, "__name__", type(loss_fn).__name__)
            raise TypeError(
                f"loss_fn must be {LOSS_FN}, got {name}({', '.join(signature.parameters)}): "
                "pass a function of (params, x, y), such as lambda a, x, y: mse(x @ a, y)"
            ) from None

    @functools.wraps(loss_fn)
    def checked(params: Tensor, x: Tensor, y: Tensor) -> Tensor:
        loss = loss_fn(params, x, y)
        if not isinstance(loss, Tensor):
            raise TypeError(
                f"loss_fn must return the loss as a tensor, got {type(loss).__name__} {describe(loss)}: "
                "return the tensor itself, without .item() or float()"
            )
        if loss.ndim != 0:
            raise ValueError(
                f"loss_fn must return one number, a tensor of shape (), got shape {tuple(loss.shape)}: "
                "average the loss over the examples with .mean()"
            )
        if grad and not loss.requires_grad:
            raise ValueError(
                "loss_fn must return a loss that autograd can follow back to params, got a tensor "
                "that does not require grad: compute it from params with torch operations, "
                "without .detach(), .item() or torch.no_grad()"
            )
        return loss

    return checked


def check_items(name: str, value: object, meaning: str) -> list[Any]:
    """The items of ``value`` as a list, if it is an ordered sequence: a list, a tuple, a range, or a 1-D tensor
    or NumPy array (the package's one rule for settings given together); raise otherwise.

    ``meaning`` says what is expected, such as ``"two numbers (low, high)"``. The items themselves are not checked.
    """
    if hasattr(value, "ndim") and hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # tensor, ndarray
        if value.ndim != 1:
            raise ValueError(f"{name} must be {meaning}, got {describe(value)}: pass a 1-D sequence")
        return list(value.tolist())
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be {meaning}, got {describe(value)}")
    return list(value)


def check_numbers(name: str, value: object, length: int, meaning: str) -> list[float]:
    """Return ``value`` as ``length`` finite floats if it is a sequence (see `check_items`) of that many numbers."""
    items = check_items(name, value, meaning)
    if len(items) != length:
        raise ValueError(f"{name} must be {meaning}, got {len(items)}: {tuple(items)}")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, Real):
            raise TypeError(f"{name} must be {meaning}, got {describe(item)} in {tuple(items)}")
    if not all(math.isfinite(float(v)) for v in items):
        raise ValueError(f"{name} must be {meaning}, finite, got {tuple(items)}")
    return [float(v) for v in items]


def check_range(name: str, value: object) -> tuple[float, float]:
    """Return ``(low, high)`` if ``value`` is two finite numbers with ``low < high``; raise otherwise."""
    low, high = check_numbers(name, value, 2, "a range (low, high) with low < high")
    if not low < high:
        raise ValueError(f"{name} must be a range (low, high) with low < high, got {(low, high)}")
    return low, high


def check_text(name: str, value: object, why: str = "") -> str:
    """Return ``value`` if it is a string with some non-blank text; raise otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be text (a str){why}, got {describe(value)}")
    if not value.strip():
        raise ValueError(f"{name} must be non-empty text{why}, got {value!r}")
    return value


def check_labels01(name: str, y: Tensor) -> Tensor:
    """Raise ``ValueError`` unless every entry of ``y`` is 0 or 1."""
    bad = (y != 0) & (y != 1)
    if bad.any():
        raise ValueError(
            f"{name} must hold labels 0.0 and 1.0 only, got {_first_bad(bad, y)}: "
            f"for labels -1 and 1 pass ({name} + 1) / 2"
        )
    return y


def check_axes(name: str, value: object) -> Any:
    """Raise ``TypeError`` unless ``value`` is one matplotlib ``Axes``."""
    from matplotlib.axes import Axes

    if not isinstance(value, Axes):
        if hasattr(value, "shape") and hasattr(value, "flat"):
            fix = ": plt.subplots(rows, columns) returns an array of Axes, pass one of them, such as axes[0]"
        else:
            fix = ": pass the ax of fig, ax = plt.subplots(), or fig.add_subplot()"
        raise TypeError(f"{name} must be a matplotlib Axes, got {describe(value)}{fix}")
    return value


def check_history(name: str, value: object, params: int | None = None, why: str = "") -> Any:
    """Raise unless ``value`` is a `History`, with ``params`` parameters per step if given."""
    from lesson_code.training import History

    if not isinstance(value, History):
        fix = ": pass the History that gradient_descent, sgd, train or heavy_ball returns"
        raise TypeError(f"{name} must be a History{why}, got {describe(value)}{fix}")
    if params is not None and value.params.shape[1] != params:
        raise ValueError(
            f"{name} must hold {params} parameters per step{why}, "
            f"got {value.params.shape[1]} (params of shape {tuple(value.params.shape)})"
        )
    return value


def check_device(name: str, value: object) -> torch.device | None:
    """Return ``value`` as a ``torch.device`` (``None`` stays ``None``) if it names a device this machine has.

    Every kind of device is checked the same way: ``torch.<kind>.is_available()`` and ``device_count()`` where
    torch has them (``cuda``, ``mps``, ``xpu``, ...), then an empty tensor made there.
    """
    if value is None:
        return None
    if not isinstance(value, (str, torch.device)):
        raise TypeError(f"{name} must be a torch.device or a name such as 'cpu', got {describe(value)}")
    try:
        device = torch.device(value)
    except RuntimeError:
        raise ValueError(f"{name} must name a device such as 'cpu' or 'cuda', got {value!r}") from None
    missing = f"{name} must be a device this machine has, got {value!r}"
    if device.type == "meta":
        raise ValueError(f"{name} must be a device that holds numbers, such as 'cpu', got {value!r}: 'meta' holds none")
    backend = getattr(torch, device.type, None)
    if device.type != "cpu" and callable(available := getattr(backend, "is_available", None)) and not available():
        raise ValueError(f"{missing}: torch.{device.type}.is_available() is False, pass 'cpu'")
    if device.index is not None and callable(count := getattr(backend, "device_count", None)):
        if device.index >= count():
            raise ValueError(f"{missing}: torch.{device.type}.device_count() is {count()}, pass '{device.type}:0'")
    try:
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError, NotImplementedError) as error:
        reason = str(error).splitlines()[0][:100] if str(error) else type(error).__name__
        raise ValueError(f"{missing}: torch cannot make a tensor there ({reason}), pass 'cpu'") from None
    return device


def memory_bytes() -> int | None:
    """This machine's physical memory in bytes, or ``None`` if the system does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


MEMORY_UNKNOWN = 2**40
"""The memory assumed where the system does not say how much it has: 1 TiB."""


def _bytes(count: int) -> str:
    """``count`` bytes for a reader: ``'8 TB'``, ``'15.6 GB'``."""
    for unit, size in (("EB", 10**18), ("PB", 10**15), ("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count} bytes"


def check_fits(name: str, given: object, numbers: int, *, itemsize: int = 8, what: str = "numbers") -> None:
    """Raise ``ValueError`` if ``numbers`` entries of ``itemsize`` bytes cannot fit in this machine's memory.

    ``given`` is what the reader passed for ``name`` (a count, a shape), shown in the message with the size it asks
    for. Called before the allocation, so that a size that cannot fit stops at once, not in torch's allocator.
    """
    need = int(numbers) * itemsize
    have = memory_bytes() or MEMORY_UNKNOWN
    if need > have:
        raise ValueError(
            f"{name} must be small enough to fit in memory, got {given}: that asks for {int(numbers):,} {what} "
            f"({_bytes(need)}), and this machine has {_bytes(have)}"
        )


def check_overflow(
    result: Tensor, what: str, inputs: str = "x and a", fix: str = "pass them as .double(), or scale them down"
) -> Tensor:
    """Raise ``ValueError`` unless ``result``, computed from finite ``inputs``, is finite: an overflow of its dtype
    is said, not returned as inf or nan."""
    if not all_finite(result):
        raise ValueError(
            f"{inputs} must be small enough that {what} is finite in {result.dtype}, "
            f"got {_first_bad(~torch.isfinite(result.detach()), result.detach())}: {fix}"
        )
    return result


def check_gram(name: str, x: Tensor, gram: Tensor) -> Tensor:
    r"""Raise ``ValueError`` unless $X^\top X$ (``gram``), computed from the finite ``x``, is finite in its dtype."""
    if not all_finite(gram):
        fix = f"pass {name}.double()" if x.dtype != torch.float64 else f"scale {name} down"
        raise ValueError(
            f"{name} must be small enough that its products x.T @ x stay finite in {x.dtype}, "
            f"got values up to {shown(x.detach().abs().max())} in size: {fix}"
        )
    return gram
