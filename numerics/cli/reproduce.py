"""``drnn reproduce``: run the paper's synthetic experiments and write their tables and plots.

``drnn reproduce [reversal|sine|runtime|all] --profile quick|standard|paper --out DIR
[--scheduler local:N|ADDRESS]`` plans the runs of the profile
(:data:`numerics.experiments.profiles.EXPERIMENT_PROFILES`), runs those not yet
finished (one JSON file per run under ``DIR/runs``, written as each run ends,
so an interrupted invocation resumes where it stopped), then writes
``results.csv``, ``runtime.csv``, ``results.md`` and the PNG plots from every
result of this invocation's profile and selection in ``DIR`` (records of
other profiles or tasks stay in ``DIR/runs`` but are left out of the tables).
With ``--scheduler`` the runs are Dask tasks (:mod:`numerics.experiments.cluster`)
instead of local worker processes; the records are written here either way.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from numerics.cli._common import output_dir
from numerics.experiments.profiles import EXPERIMENT_PROFILES, plan_runs
from numerics.experiments.report import write_tables
from numerics.experiments.runner import MAX_JOBS, run_all
from numerics.experiments.specs import RunSpec
from numerics.experiments.storage import load_records, locked, spec_key
from numerics.figures.experiments import save_plots

#: The tasks of :data:`numerics.experiments.specs.TASKS`, and ``all`` of them.
WHAT: tuple[str, ...] = ("reversal", "sine", "runtime", "all")
#: Profiles offered on the command line; ``smoke`` (seconds, for tests) is accepted but not advertised.
PUBLIC_PROFILES: tuple[str, ...] = ("quick", "standard", "paper")


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an int >= 1; got {value!r}") from None
    if not 1 <= n <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"must be an int from 1 to {MAX_JOBS}; got {n}")
    return n


def write_outputs(out: str | Path, profile: str = "", dpi: int = 150, plots: bool = True,
                  specs: Sequence[RunSpec] | None = None, log: Callable[[str], None] | None = None) -> list[Path]:
    """Tables (CSV, Markdown) and PNG plots of the results under ``OUT/runs``.

    Parameters
    ----------
    out : str or Path
        Output directory of ``drnn reproduce``.
    profile : str
        Profile name for the report's title.
    dpi : int
        Resolution of the plots.
    plots : bool
        Draw the plots as well as the tables.
    specs : sequence of RunSpec, optional
        Use only the records of these runs (default: every valid record).
    log : callable, optional
        Receives a line saying how many stored records were left out.

    Returns
    -------
    list of Path
        Files written (plots only for the tasks that have results).
    """
    records = load_records(out, warn=log)
    if specs is not None:
        wanted = {spec_key(s) for s in specs}
        kept = [r for r in records if spec_key(r["spec"]) in wanted]
        if log is not None and len(kept) < len(records):
            log(f"{len(records) - len(kept)} stored run(s) of other profiles or tasks left out of the tables")
        records = kept
    written = write_tables(out, records, profile)
    if plots:
        written += save_plots(records, out, dpi)
    return written


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Handler of ``drnn reproduce``; returns the exit code."""
    if args.profile not in EXPERIMENT_PROFILES:
        raise ValueError(f"--profile must be one of {list(PUBLIC_PROFILES)}; got {args.profile!r}")
    profile = EXPERIMENT_PROFILES[args.profile]
    tasks = WHAT[:-1] if args.what == "all" else (args.what,)
    out = output_dir(args.out)  # fail early (one line) on a bad --out
    ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = args.jobs if args.jobs is not None else max(1, min(ncpu, 2 if profile.name == "quick" else ncpu))
    if args.scheduler is not None:
        from numerics.experiments.cluster import MissingDask, import_distributed, parse_scheduler

        parse_scheduler(args.scheduler)
        try:
            import_distributed()
        except MissingDask as exc:
            print(f"drnn reproduce: error: {exc}", file=sys.stderr)
            return 2
    specs = plan_runs(profile, tasks)
    t0 = time.perf_counter()
    print(f"drnn reproduce {args.what} --profile {profile.name}: {profile.notes}", flush=True)

    def say(line: str) -> None:
        print(line, flush=True)

    with locked(out):  # held across the runs and the tables, so a second invocation stops at once
        report = run_all(specs, out, jobs=jobs, log=say, scheduler=args.scheduler)
        for path in write_outputs(out, profile.name, plots=not args.no_plots, specs=specs, log=say):
            print(f"wrote {path}", flush=True)
    print(f"done: {len(report['ran'])} run(s) in {time.perf_counter() - t0:.1f} s, "
          f"{len(report['skipped'])} resumed from earlier invocations", flush=True)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``reproduce`` sub-command."""
    p = subparsers.add_parser(
        "reproduce",
        help="reproduce the paper's synthetic experiments (reversal, sine filtering, runtime)",
        description="Train and time the networks of the paper's synthetic experiments (docs/experiments.md) and write "
                    "a results table (CSV, Markdown) and plots. Finished runs are saved one file each under "
                    "OUT/runs; rerunning the same command resumes without redoing them.",
    )
    p.add_argument("what", nargs="?", default="all", choices=WHAT, help="which experiment (default: all)")
    p.add_argument("--profile", default="quick", metavar="{quick,standard,paper}",
                   help="sizes: 'quick' (minutes on 2 cores, reduced sizes), 'standard' (the paper's task sizes "
                        "for the headline comparisons, about an hour on 2 cores) or 'paper' (the paper's sizes; "
                        "days of CPU time, resumable; see --scheduler)")
    p.add_argument("--out", required=True, help="output directory (created if needed)")
    p.add_argument("--jobs", type=_jobs, default=None,
                   help="worker processes (default: number of CPUs available, at most 2 for quick)")
    p.add_argument("--scheduler", default=None, metavar="local:N|ADDRESS",
                   help="run the runs as Dask tasks: 'local:N' starts a LocalCluster of N worker processes, an "
                        "address (e.g. tcp://host:8786) uses a running dask scheduler; needs the 'cluster' extra. "
                        "Default: a local process pool (--jobs)")
    p.add_argument("--no-plots", action="store_true", help="write tables only")
    p.set_defaults(func=cmd_reproduce)


__all__ = [
    "PUBLIC_PROFILES",
    "WHAT",
    "cmd_reproduce",
    "register",
    "write_outputs",
]
