"""Work split over processes forked from this one, each on its own database connection."""

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from django.db import connections


def connections_close_for_fork() -> None:
    """Close every connection, pooled ones too, so that no forked process shares a socket.

    A pooled connection stays open when closed: a child would inherit its socket from the pool
    and talk over it beside its parent. The pool goes, and each process makes its own.
    """
    connections.close_all()
    for wrapper in connections.all(initialized_only=True):
        close_pool = getattr(wrapper, "close_pool", None)
        if close_pool is not None:
            close_pool()


def forked_map(function: Callable[..., Any], calls: Iterable[tuple], *, jobs: int) -> Iterator:
    """function(*call) for each call, in `jobs` forked processes, yielding the results in the
    order of the calls as they come. Stopping the iteration early cancels the calls not started.
    `function` must be importable by name and its results picklable."""
    connections_close_for_fork()
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))
    try:
        futures = [executor.submit(function, *call) for call in calls]
        for future in futures:
            yield future.result()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        connections.close_all()
