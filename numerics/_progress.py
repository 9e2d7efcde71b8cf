"""Progress bars for long loops: a text bar for log lines and one redrawn in place on a terminal.

Training (:func:`numerics.train.loop.train`) redraws a bar per epoch; the
experiment runner (:func:`numerics.experiments.runner.run_all`) puts the
same bar at the start of each line it logs.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def bar(done: int, total: int, width: int = 20) -> str:
    """``#`` for the finished share of ``width`` characters, ``-`` for the rest (full when ``total`` is 0)."""
    k = round(width * min(done, total) / total) if total else width
    return "#" * k + "-" * (width - k)


class Progress:
    """A one-line progress bar redrawn in place (``\\r``) on a terminal.

    Parameters
    ----------
    total : int
        Number of ticks (epochs).
    stream : text stream, optional
        Default ``sys.stderr``.
    enabled : bool, optional
        Default: only when ``stream`` is a terminal, so logs and CI stay clean.
    width : int
        Characters of the bar.
    """

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None, width: int = 24) -> None:
        self.total, self.width = max(int(total), 1), width
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else bool(enabled)
        self.t0 = time.perf_counter()

    def update(self, done: int, text: str = "") -> None:
        """Redraw with ``done`` of ``total`` ticks finished and a status ``text``."""
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.t0
        # \x1b[K clears what a longer previous line left behind.
        self.stream.write(f"\r[{bar(done, self.total, self.width)}] {done}/{self.total} {text} "
                          f"({elapsed:.1f} s)\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        """End the line, so later output starts on a fresh one."""
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
