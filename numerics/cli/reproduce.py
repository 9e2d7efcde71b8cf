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

#: The synthetic tasks, ``all`` of them, the part-of-speech tagging experiment (``pos``) and the character-level
#: masked language model (``mlm``); the last two are not part of ``all``: they read a treebank and have their own
#: profiles (:data:`numerics.experiments.pos.POS_PROFILES`, :data:`numerics.experiments.mlm.MLM_PROFILES`).
WHAT: tuple[str, ...] = ("reversal", "sine", "runtime", "all", "pos", "mlm")
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
    if args.what == "pos":
        return cmd_reproduce_pos(args)
    if args.what == "mlm":
        return cmd_reproduce_mlm(args)
    if args.treebank is not None:
        raise ValueError("--treebank applies to 'drnn reproduce pos' and 'drnn reproduce mlm' only")
    profile = EXPERIMENT_PROFILES[args.profile]
    tasks = ("reversal", "sine", "runtime") if args.what == "all" else (args.what,)
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


def _check_scheduler(scheduler: str | None) -> bool:
    """Fail early on a malformed ``--scheduler`` or a missing Dask; False after printing the error line."""
    if scheduler is None:
        return True
    from numerics.experiments.cluster import MissingDask, import_distributed, parse_scheduler

    parse_scheduler(scheduler)
    try:
        import_distributed()
    except MissingDask as exc:
        print(f"drnn reproduce: error: {exc}", file=sys.stderr)
        return False
    return True


def _treebank_arg(value: str | None) -> str | None:
    """``--treebank`` as an absolute directory path (ValueError naming the option if it has no treebank files)."""
    from numerics.experiments.treebank import TreebankError, find_treebank_files

    if value is None:
        return None
    try:
        find_treebank_files(value)
    except TreebankError as exc:
        raise ValueError(f"--treebank: {exc}") from None
    return str(Path(value).resolve())


def _treebank_jobs(jobs: int | None, profile: str) -> int:
    """Worker processes of a treebank experiment: ``--jobs``, else 1 for ``smoke``, at most 2 for ``quick``."""
    if jobs is not None:
        return jobs
    ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    # smoke: one process reads the treebank once (reading EWT with conllu takes seconds per process).
    return 1 if profile == "smoke" else max(1, min(ncpu, 2 if profile == "quick" else ncpu))


def cmd_reproduce_mlm(args: argparse.Namespace) -> int:
    """``drnn reproduce mlm``: train and test the masked character models; write ``mlm.csv``, ``mlm.md``, the plot."""
    from numerics.experiments.mlm import MLM_PROFILES, mlm_data, plan_mlm
    from numerics.experiments.mlm_report import mlm_summary, unigram_bits, write_mlm_tables
    from numerics.experiments.treebank import TreebankError
    from numerics.figures.mlm import save_mlm_plot

    if args.profile not in MLM_PROFILES:
        raise ValueError(f"--profile must be one of {[p for p in MLM_PROFILES if p != 'smoke']}; got {args.profile!r}")
    profile = MLM_PROFILES[args.profile]
    treebank = _treebank_arg(args.treebank)
    out = output_dir(args.out)
    if not _check_scheduler(args.scheduler):
        return 2
    jobs = _treebank_jobs(args.jobs, profile.name)
    specs = plan_mlm(profile, treebank)
    t0 = time.perf_counter()
    print(f"drnn reproduce mlm --profile {profile.name}: {profile.notes}", flush=True)

    def say(line: str) -> None:
        print(line, flush=True)

    with locked(out):
        try:
            data = mlm_data(specs[0].task_params)  # a damaged treebank fails before any run
        except TreebankError as exc:
            raise ValueError(f"treebank: {exc}") from None
        report = run_all(specs, out, jobs=jobs, log=say, scheduler=args.scheduler)
        wanted = {spec_key(s) for s in specs}
        records = [r for r in load_records(out, warn=say) if spec_key(r["spec"]) in wanted]
        rows = mlm_summary(records, unigram_bits(data, specs[0].task_params))
        paths = write_mlm_tables(out, rows, records, profile.name, profile.notes)
        if not args.no_plots and records:
            paths.append(save_mlm_plot(rows, out))
        for path in paths:
            print(f"wrote {path}", flush=True)
    print(f"done: {len(report['ran'])} run(s) in {time.perf_counter() - t0:.1f} s, "
          f"{len(report['skipped'])} resumed from earlier invocations", flush=True)
    return 0


def cmd_reproduce_pos(args: argparse.Namespace) -> int:
    """``drnn reproduce pos``: train and test the taggers; write ``pos.csv``, ``pos.md``, the cost table, the plot."""
    from numerics.experiments.pos import POS_PROFILES, majority_baseline, measure_cost, plan_pos, pos_data
    from numerics.experiments.pos_report import pos_summary, write_pos_tables
    from numerics.experiments.treebank import TreebankError
    from numerics.figures.pos import save_pos_plot

    if args.profile not in POS_PROFILES:
        raise ValueError(f"--profile must be one of {[p for p in POS_PROFILES if p != 'smoke']}; got {args.profile!r}")
    profile = POS_PROFILES[args.profile]
    treebank = _treebank_arg(args.treebank)
    out = output_dir(args.out)
    if not _check_scheduler(args.scheduler):
        return 2
    jobs = _treebank_jobs(args.jobs, profile.name)
    specs = plan_pos(profile, treebank)
    t0 = time.perf_counter()
    print(f"drnn reproduce pos --profile {profile.name}: {profile.notes}", flush=True)

    def say(line: str) -> None:
        print(line, flush=True)

    with locked(out):
        try:
            train, _, test, _, _ = pos_data(specs[0].task_params)  # a damaged treebank fails before any run
        except TreebankError as exc:
            raise ValueError(f"treebank: {exc}") from None
        report = run_all(specs, out, jobs=jobs, log=say, scheduler=args.scheduler)
        wanted = {spec_key(s) for s in specs}
        records = [r for r in load_records(out, warn=say) if spec_key(r["spec"]) in wanted]
        base = majority_baseline(train, test)
        rows = pos_summary(records, base["accuracy"])
        # Cost of the best d-LSTM (by mean accuracy) and the bidirectional LSTM, measured here one after another.
        delayed = [r for r in rows if r["kind"] == "delayed"]
        cost = []
        if delayed:
            best = max(delayed, key=lambda r: r["accuracy_mean"])
            chosen = [s for s in specs if s.seed == specs[0].seed and s.model is not None and
                      (s.model.kind in ("bidirectional", "stacked") or s.model.delay in (0, best["delay"]))]
            say("measuring cost (inference and training words/s) of " +
                ", ".join(s.model.label for s in chosen if s.model is not None))
            cost = measure_cost(chosen)
        paths = write_pos_tables(out, rows, records, profile.name, cost, profile.notes)
        if not args.no_plots and rows:
            paths.append(save_pos_plot(rows, out))
        for path in paths:
            print(f"wrote {path}", flush=True)
    print(f"done: {len(report['ran'])} run(s) in {time.perf_counter() - t0:.1f} s, "
          f"{len(report['skipped'])} resumed from earlier invocations", flush=True)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``reproduce`` sub-command."""
    p = subparsers.add_parser(
        "reproduce",
        help="reproduce the paper's experiments (reversal, sine filtering, runtime; pos: part-of-speech tagging; "
             "mlm: masked character model)",
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
    p.add_argument("--treebank", default=None, metavar="DIR",
                   help="pos and mlm only: a UD treebank directory with *-ud-{train,dev,test}.conllu[.xz] files "
                        "(default: the "
                        "UD English EWT v2.15 extract shipped with the package)")
    p.add_argument("--no-plots", action="store_true", help="write tables only")
    p.set_defaults(func=cmd_reproduce)


__all__ = [
    "PUBLIC_PROFILES",
    "WHAT",
    "cmd_reproduce",
    "register",
    "write_outputs",
]
