"""Shared helpers of the benchmark scripts: timing and the optional PyTorch peer."""

from __future__ import annotations

import time


def best_of(fn, repeats=5):
    """Run ``fn()`` ``repeats`` times; return the smallest wall-clock time in seconds.

    The best of several runs is the figure least disturbed by other processes.
    """
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def try_torch():
    """The ``torch`` module if importable (it is not a tinygen dependency), else None."""
    try:
        import torch
    except Exception:
        return None
    return torch


def report(case, ours, unit, peer=None, higher_is_better=True):
    """Print one line: our figure, the peer's and the ratio ours/peer (≥1 means we win)."""
    line = f"{case:<34s} tinygen {ours:10.1f} {unit}"
    if peer is not None:
        ratio = ours / peer if higher_is_better else peer / ours
        line += f" | torch {peer:10.1f} {unit} | ratio {ratio:5.2f}x"
    print(line, flush=True)
