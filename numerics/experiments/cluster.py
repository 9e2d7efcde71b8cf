"""Running the experiments' runs as tasks on a Dask cluster (optional extra ``cluster``).

:func:`dask_execute` is the distributed counterpart of the local process pool
of :mod:`numerics.experiments.runner`: every run becomes one task on a
``dask.distributed`` scheduler, either one the user started (``dask
scheduler`` / ``dask worker``, dask-jobqueue on SLURM) or a
:class:`~distributed.LocalCluster` started here (``local:N``). Results come
back to the coordinating process, which writes each record itself, so the
workers need neither a shared filesystem nor write access to the output
directory. A worker that dies mid-run loses only that run, which the
scheduler gives to another worker; interrupting the coordinator cancels the
outstanding tasks and leaves every finished record in place.

Dask is imported only inside this module's functions: the rest of the
package, and ``drnn reproduce`` without ``--scheduler``, never need it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from numerics.experiments._interrupt import sigint_blocked, sigint_ignored
from numerics.experiments.specs import RunSpec

#: Prefix of ``--scheduler`` values that start a LocalCluster, e.g. ``local:4``.
LOCAL_PREFIX = "local:"
#: Largest ``N`` of ``local:N``: the bound of ``--jobs`` (:data:`numerics.experiments.runner.MAX_JOBS`).
MAX_WORKERS = 1024
#: A scheduler address: an optional network protocol, a host name or (bracketed IPv6) address, a port.
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)"
                      r"(?::(?P<port>[0-9]{1,5}))?$")
#: Environment variables that pin each worker's BLAS to one thread (one run per worker thread).
_ONE_THREAD_BLAS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: The task a worker runs: ``work(spec_dict) -> (result, seconds)``.
Work = Callable[[dict[str, Any]], tuple[dict[str, Any], float]]


class MissingDask(RuntimeError):
    """``dask[distributed]`` is not installed."""


def import_distributed() -> Any:
    """The ``distributed`` module, or :class:`MissingDask` with a one-line install hint.

    Raises
    ------
    MissingDask
        If ``dask[distributed]`` is not installed.
    """
    try:
        import distributed
    except ImportError:
        raise MissingDask("--scheduler needs dask.distributed: pip install 'drnn-toolkit[cluster]' "
                          "(or pip install 'dask[distributed]')") from None
    return distributed


def parse_scheduler(value: str) -> tuple[str, int | str]:
    """Split a ``--scheduler`` value into ``("local", workers)`` or ``("address", address)``.

    Parameters
    ----------
    value : str
        ``local:N`` (``1 <= N <= 1024`` worker processes) or the address of a
        running scheduler, e.g. ``tcp://10.0.0.5:8786`` (protocols ``tcp``,
        ``tls``, ``ucx``, ``ws``, ``wss``; none means ``tcp``).

    Returns
    -------
    tuple
        ``("local", N)`` or ``("address", value)``.

    Raises
    ------
    ValueError
        If the value is empty, ``local:`` is not followed by an int from 1 to
        1024, or an address is not ``[PROTOCOL://]HOST[:PORT]``.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"scheduler must be 'local:N' or a scheduler address; got {value!r}")
    value = value.strip()
    if value.startswith(LOCAL_PREFIX):
        tail = value[len(LOCAL_PREFIX):]
        # Bounded like --jobs; the length test comes first so a 5,000-digit N never reaches int().
        if not (tail.isascii() and tail.isdigit() and len(tail) <= 9 and 1 <= int(tail) <= MAX_WORKERS):
            raise ValueError(f"scheduler 'local:N' needs a number of worker processes from 1 to {MAX_WORKERS}; "
                             f"got {value!r}")
        return "local", int(tail)
    match = _ADDRESS.match(value)
    port = match.group("port") if match else None
    if match is None or (port is not None and not 1 <= int(port) <= 65535):
        # Dask's own parser fails on these with "not enough values to unpack" or a bare socket error.
        raise ValueError("scheduler address must be HOST:PORT or tcp://HOST:PORT (tls, ucx, ws, wss); "
                         f"got {value!r}")
    return "address", value


def task_key(spec: RunSpec) -> str:
    """Dask key of a run (its run id), so the dashboard and the scheduler's logs name each task by its run."""
    return f"drnn-run-{spec.run_id}"


def dask_execute(specs: Sequence[RunSpec], scheduler: str, work: Work,
                 finish: Callable[[RunSpec, dict[str, Any], float], None],
                 say: Callable[[str], None], *, sequential: Sequence[RunSpec] = ()) -> None:
    """Run ``specs`` as tasks on a Dask scheduler, calling ``finish`` in this process as each one ends.

    Parameters
    ----------
    specs : sequence of RunSpec
        Runs submitted all at once (the scheduler spreads them over its workers).
    scheduler : str
        ``local:N`` or the address of a running scheduler (:func:`parse_scheduler`).
    work : callable
        The task: ``work(spec.to_dict()) -> (result, seconds)``, a module-level
        function the workers can import (the local pool's entry point).
    finish : callable
        ``finish(spec, result, seconds)``; called in this process, in the order
        runs finish. It stores the record.
    say : callable
        Receives progress lines (the cluster, its dashboard link).
    sequential : sequence of RunSpec
        Runs submitted one at a time after ``specs`` (timing points, so no two
        of them share the cluster).

    Raises
    ------
    MissingDask
        If ``dask[distributed]`` is not installed.
    Exception
        The first run that raises, ``distributed.KilledWorker`` when workers
        died while running the same run more often than the scheduler allows
        (its ``allowed-failures``, 3 by default; each death before that only
        reschedules the run), or ``KeyboardInterrupt``: outstanding tasks are
        cancelled, finished records stay where ``finish`` put them.
    """
    if not specs and not sequential:
        return
    distributed = import_distributed()
    kind, target = parse_scheduler(scheduler)
    cluster = None
    if kind == "local":
        # Spawned worker processes read these when they import NumPy.
        for var, v in _ONE_THREAD_BLAS.items():
            os.environ[var] = v
        # The worker processes inherit SIGINT ignored, so a Ctrl-C (sent to the whole process group) reaches
        # this process alone; one pressed while the cluster starts (seconds) is lost. Their logs are
        # silenced: a run's failure comes back through its future, and a stopped cluster's workers would
        # otherwise log a traceback each about the scheduler they lost.
        with sigint_ignored():
            cluster = distributed.LocalCluster(n_workers=int(target), threads_per_worker=1, processes=True,
                                               dashboard_address=":0", env=dict(_ONE_THREAD_BLAS),
                                               silence_logs=logging.CRITICAL)
        address = cluster.scheduler_address
    else:
        address = str(target)
    try:
        with distributed.Client(address, timeout="30s") as client:
            workers = client.scheduler_info().get("workers", {})
            where = f"a LocalCluster of {target} worker processes" if kind == "local" else f"scheduler {address}"
            say(f"running on {where} ({len(workers)} worker(s) connected now)")
            link = getattr(client, "dashboard_link", None)
            if link:
                say(f"Dask dashboard: {link}")
            _gather(client, distributed, work, list(specs), finish)
            for spec in sequential:
                _gather(client, distributed, work, [spec], finish)
    except BaseException:
        if cluster is not None:
            # Interrupted or failed: the first exception is what the user hears about; closing a cluster
            # still starting can raise (an assertion on a worker's status) and must not replace it.
            with sigint_blocked(), contextlib.suppress(Exception):
                cluster.close(timeout=20)
        raise
    if cluster is not None:
        cluster.close()


def _gather(client: Any, distributed: Any, work: Work,
            specs: list[RunSpec],
            finish: Callable[[RunSpec, dict[str, Any], float], None]) -> None:
    if not specs:
        return
    futures = {}
    for spec in specs:
        fut = client.submit(work, spec.to_dict(), key=task_key(spec), pure=False, retries=0)
        futures[fut] = spec
    try:
        for fut in distributed.as_completed(list(futures)):
            spec = futures.pop(fut)
            result, seconds = fut.result()
            fut.release()
            finish(spec, result, seconds)
    except BaseException:
        if futures:
            client.cancel(list(futures), force=True)
        raise


__all__ = [
    "LOCAL_PREFIX",
    "MissingDask",
    "dask_execute",
    "import_distributed",
    "parse_scheduler",
    "task_key",
]
