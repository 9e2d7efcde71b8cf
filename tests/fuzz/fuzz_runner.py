"""The fuzz itself: malformed values, the calls, the outcome table, the subprocess under a memory limit.

Run by hand (what :func:`fuzz_in_subprocess` runs): ``python tests/fuzz/fuzz_runner.py 10000 table.json``.
"""

from __future__ import annotations

import collections
import importlib
import inspect
import json
import os
import pkgutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from fuzz_exclusions import CALL_TIMEOUT, MEMORY_LIMIT, STRATEGIES, WORK_COUNTS
from fuzz_targets import targets


def public_names() -> list[str]:
    """Dotted names of every public function, class and class method of both packages.

    A module's public names are its ``__all__``, or else its attributes not
    starting with ``_``, keeping only those the module defines (not imports).
    """
    import numerics
    import theory

    names = []
    for pkg in (theory, numerics):
        modules = [pkg.__name__] + [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")]
        for mod_name in modules:
            if any(part.startswith("_") for part in mod_name.split(".")):
                continue
            module = importlib.import_module(mod_name)
            for n in getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]:
                obj = getattr(module, n)
                if getattr(obj, "__module__", None) != mod_name:
                    continue
                if inspect.isclass(obj):
                    names.append(f"{mod_name}.{n}")
                    names += [
                        f"{mod_name}.{n}.{a}"
                        for a, v in vars(obj).items()
                        if not a.startswith("_")
                        and (isinstance(v, (staticmethod, classmethod)) or inspect.isfunction(v))
                    ]
                elif inspect.isfunction(obj):
                    names.append(f"{mod_name}.{n}")
    return names


def bad_values() -> Any:
    """Hypothesis strategy of malformed argument values of every kind."""
    import numpy as np
    from hypothesis import strategies as st

    arrays = [
        np.zeros(0),
        np.zeros((2, 0, 1)),
        np.zeros((0, 2, 2)),
        np.full((4, 2, 2), np.nan),
        np.full((4, 2, 3), np.inf),
        np.ones((4, 2)),
        np.ones((4, 2, 2), dtype=np.int64),
        np.ones((4, 2, 2), dtype=np.complex128),
        np.ones((4, 2, 2), dtype=np.float16),
        np.array(["a"]),
        np.ones((1, 1, 1, 1)),
        np.array(object()),
        np.ones((3, 2)),
        np.ones(3),
        np.array(True),
        # Views that declare far more entries than they hold (issue 22): refused before any allocation.
        np.broadcast_to(np.zeros(3), (10**6, 10**4, 3)),
        np.broadcast_to(np.zeros(2), (10**5, 10**5, 2)),
        np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2 * 10**6, 2 * 10**6), strides=(0, 0)),
        np.lib.stride_tricks.as_strided(np.zeros(1), shape=(10**4, 2, 10**8), strides=(0, 0, 0)),
    ]
    # State dicts with huge layer indices in their names (a hang before).
    w = np.zeros((12, 2))
    huge_names = [{"weight_ih_l0": w, "weight_hh_l0": np.zeros((12, 3)), f"weight_ih_l{i}": w}
                  for i in ("1000000", "1000000000000", "9" * 5000)]
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 5),
        st.sampled_from([10**5, 2**31, 10**13, 2**63, -(2**63)]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=4),
        st.sampled_from(["foo", "", "lstm", "gru", "tanh", "weight_hh", "float16", "float32"]),
        st.lists(st.integers(-2, 4), max_size=3),
        st.lists(st.floats(), max_size=2),
        st.just([]),
        st.just({}),
        st.just({"w": "x"}),
        st.just(object()),
        st.just(()),
        st.just((1, 2, 3, 4)),
        st.sampled_from(arrays),
        st.sampled_from(huge_names),
    )


class CallTimeout(BaseException):
    """A call ran past ``CALL_TIMEOUT`` (a BaseException so no ``except Exception`` in the code swallows it)."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise CallTimeout


def names_argument(arg: str, message: str) -> bool:
    """Whether an error message names the argument (``hidden_size`` counts for ``hidden_sizes``)."""
    return arg in message or arg.rstrip("s") in message


def run_fuzz(calls: int) -> dict[str, Any]:
    """Make at least ``calls`` malformed calls; return the outcome table and the unclean calls."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    unclean: list[str] = []
    from hypothesis.errors import InvalidArgument

    os.chdir(tempfile.mkdtemp(prefix="drnn-fuzz-"))  # figures write their files here, bad paths too
    warnings.simplefilter("ignore")  # matplotlib's and hypothesis's warnings about the calls themselves
    tgt = targets()
    bad = bad_values()
    # A target without arguments has nothing to malform: it is called once, not sampled.
    names = sorted(n for n in tgt if tgt[n][1])
    signal.signal(signal.SIGALRM, _on_alarm)

    @st.composite
    def malformed(draw: Any) -> tuple[str, str, dict[str, Any]]:
        name = draw(st.sampled_from(names))
        kwargs = tgt[name][1]
        if not kwargs:
            return name, "", {}
        arg = draw(st.sampled_from(sorted(kwargs)))
        if (name, arg) in WORK_COUNTS:
            return name, arg, {**kwargs, arg: draw(bad.filter(lambda v: not (isinstance(v, int) and v > 10_000)))}
        return name, arg, {**kwargs, arg: draw(bad)}

    def one(call: tuple[str, str, dict[str, Any]]) -> None:
        name, arg, kwargs = call
        fn = tgt[name][0]
        signal.setitimer(signal.ITIMER_REAL, CALL_TIMEOUT)
        try:
            try:
                fn(**kwargs)
            finally:  # stop the clock before the outcome is judged (formatting a message takes time too)
                signal.setitimer(signal.ITIMER_REAL, 0)
            kind = "succeeded"
        except (ValueError, TypeError) as exc:
            # A strategy factory reports bad arguments as hypothesis's own do: InvalidArgument (a TypeError).
            expected = InvalidArgument if name in STRATEGIES else (ValueError, TypeError)
            kind = "clean" if isinstance(exc, expected) and names_argument(arg, str(exc)) else "unclean"
            detail = f"{type(exc).__name__}: {exc}"
        except CallTimeout:
            kind, detail = "unclean", f"no answer within {CALL_TIMEOUT} s"
        except Exception as exc:  # every other exception is a finding
            kind, detail = "unclean", f"{type(exc).__name__}: {exc}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        table[name][kind] += 1
        if kind == "unclean" and len(unclean) < 2000:
            shown = {
                k: (type(v).__name__ + (str(getattr(v, "shape", "")) if hasattr(v, "shape") else f" {v!r}"[:40]))
                for k, v in kwargs.items()
                if k == arg
            }
            unclean.append(f"{name}({shown}): {detail[:300]}")

    for name in sorted(set(tgt) - set(names)):
        one((name, "", {}))
    done, round_ = 0, 0
    while done < calls:
        batch = min(calls - done, 2000)

        @hseed(round_)
        @settings(max_examples=batch, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(malformed())
        def fuzz(call: tuple[str, str, dict[str, Any]]) -> None:
            one(call)

        fuzz()
        done = sum(sum(c.values()) for c in table.values())
        round_ += 1
        if round_ > 50:  # hypothesis ran out of new examples; report what was made
            break
    return {"calls": done, "table": {k: dict(v) for k, v in sorted(table.items())}, "unclean": unclean}


def format_table(result: dict[str, Any]) -> str:
    """The outcome table as Markdown, one row per target, with the totals."""
    rows = ["| target | calls | succeeded | clean errors | unclean |", "| --- | ---: | ---: | ---: | ---: |"]
    total = collections.Counter()
    for name, c in result["table"].items():
        n = sum(c.values())
        total.update(c)
        rows.append(f"| {name} | {n} | {c.get('succeeded', 0)} | {c.get('clean', 0)} | {c.get('unclean', 0)} |")
    rows.append(f"| **total** | {result['calls']} | {total['succeeded']} | {total['clean']} | {total['unclean']} |")
    return "\n".join(rows)


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def fuzz_in_subprocess(calls: int, out: Path) -> dict[str, Any]:
    """Run the fuzz in a child process under ``MEMORY_LIMIT``; return its result."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, str(calls), str(out)],
        preexec_fn=_limit_memory,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"fuzz subprocess failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    result = json.loads(out.read_text())
    print(
        f"\nfuzz: {result['calls']} calls in {time.perf_counter() - started:.0f} s "
        f"(table in {out})\n{format_table(result)}"
    )
    return result


def _resolves(dotted: str) -> bool:
    """Whether ``dotted`` names an attribute reachable from an importable module."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


def main(argv: list[str]) -> None:
    """``fuzz_runner.py CALLS OUT.json``: run the fuzz, write the result as JSON, print the table."""
    calls, out = int(argv[1]), Path(argv[2]).resolve()
    res = run_fuzz(calls)
    out.write_text(json.dumps(res, indent=1))
    print(format_table(res))


if __name__ == "__main__":
    main(sys.argv)
