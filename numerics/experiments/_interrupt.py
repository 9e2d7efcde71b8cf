"""Ctrl-C and worker processes: only the coordinating process hears it, and stopping is bounded.

A terminal's Ctrl-C sends SIGINT to the whole process group: the command and
every worker process it started. Workers that raised ``KeyboardInterrupt``
printed a traceback each and could die holding the pool's queue lock, so the
command hung after printing "interrupted". Here the workers never receive
SIGINT (it is blocked while they are created and ignored once they run), the
coordinating process alone turns it into one line and exit code 130, and it
ends its workers itself.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["ignore_sigint", "sigint_blocked", "sigint_ignored", "stop_pool"]


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread inside the block; a Ctrl-C meanwhile is delivered when it ends.

    Processes and threads started inside inherit the blocked signal, so a
    worker cannot be interrupted before :func:`ignore_sigint` runs in it
    (for example while it is still importing NumPy).
    """
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT in this process inside the block; processes started inside inherit the ignored signal.

    For workers started by code that may unblock signals or start them from
    threads this process does not control (a Dask LocalCluster's nannies).
    A Ctrl-C inside the block is lost, so keep the block to process start-up.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def ignore_sigint() -> None:
    """In a worker: ignore SIGINT from now on (the coordinator stops the worker), then unblock it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def stop_pool(pool: Any, timeout: float = 10.0) -> None:
    """End a ``ProcessPoolExecutor`` at once: cancel what has not started and terminate the workers.

    ``shutdown(wait=True)`` would wait for the runs in progress (hours for the
    paper's sizes), and the workers ignore SIGINT; results already handed
    back are stored by then, a run cut short is simply run again next time.
    """
    with sigint_blocked():  # a second Ctrl-C must not leave the workers half-stopped
        # ``_processes`` (pid -> Process) is private but present in every supported CPython.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            with contextlib.suppress(Exception):
                p.terminate()
        for p in processes:
            with contextlib.suppress(Exception):
                p.join(timeout)
