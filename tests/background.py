"""A slow piece of work started now, in a thread of this process, and waited for when its result is wanted."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Job(Generic[T]):
    """Runs ``work()`` in a thread from now on; :meth:`result` waits for it and returns (or raises) what it gave."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        try:
            self._value = work()
        except BaseException as error:  # pytest.fail raises an exception that is not an Exception
            self._error = error

    def wait(self) -> None:
        """Until the work is done, whether it succeeded or not."""
        self._thread.join()

    def result(self) -> T:
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
