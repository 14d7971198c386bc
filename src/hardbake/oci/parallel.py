"""Blob work in parallel: every item done, or the first failure raised with the rest cancelled.

`list(pool.map(...))` would re-raise the first failure too, but only after every queued item
had run (a failed push kept uploading the other layers); here what has not started is
cancelled as soon as a failure is seen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_all(fn: Callable[[T], object], items: Sequence[T], *, workers: int, name: str) -> None:
    """`fn(item)` for every item, `workers` at a time (in this thread when there is one)."""
    if workers <= 1 or len(items) <= 1:
        for item in items:
            fn(item)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name) as pool:
        futures = [pool.submit(fn, item) for item in items]
        try:
            for f in futures:
                f.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise
