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


def best_of_pair(ours, peer, repeats=5, settle=0.5, ratios=None):
    """Time ``ours()`` and ``peer()`` (``peer`` may be None) alternately, ``repeats`` times.

    Returns ``(best_ours, best_peer, median_ratio)``: the smallest wall-clock seconds of
    each and the median over rounds of peer-time / our-time (None without a peer). On a
    shared or virtual machine the speed drifts by tens of percent within a minute; each
    round's ratio compares two runs a fraction of a second apart, so the median ratio is
    far steadier than a ratio of two separately timed best-ofs. Before each run the
    process sleeps ``settle`` seconds, so that the idle-spinning worker threads of the
    other side's thread pool (OpenBLAS, OpenMP) have gone to sleep and do not compete.
    A list passed as ``ratios`` receives the per-round ratios (see :func:`quartiles`).
    """
    t_ours, t_peer = [], []
    for _ in range(repeats):
        time.sleep(settle)
        t_ours.append(best_of(ours, 1))
        if peer is not None:
            time.sleep(settle)
            t_peer.append(best_of(peer, 1))
    if peer is None:
        return min(t_ours), None, None
    rounds = sorted(p / o for o, p in zip(t_ours, t_peer))
    if ratios is not None:
        ratios.extend(rounds)
    return min(t_ours), min(t_peer), quartiles(rounds)[1]


def quartiles(values):
    """(first quartile, median, third quartile) of ``values`` (linear interpolation)."""
    v = sorted(values)
    if not v:
        raise ValueError("quartiles of no values")

    def at(q):
        pos = q * (len(v) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(v) - 1)
        return v[lo] + (pos - lo) * (v[hi] - v[lo])

    return at(0.25), at(0.5), at(0.75)


def host_gflops(n=1024, repeats=10):
    """GFLOPS = 2n³ / t / 10⁹ of an n×n float32 matrix product A·A through NumPy's BLAS,
    t its best wall-clock time over ``repeats`` runs (the first, cold run is discarded by
    the minimum): a check of the host.

    Printed at the start and end of a benchmark run so that a reader can tell a quiet
    machine from a contended one: on this project's 2-CPU VM it reads about 125-200 when
    quiet and fell to 38-116 in contended stretches, when every figure moved with it.
    """
    import numpy as np

    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    t = best_of(lambda: a @ a, repeats)
    return 2 * n**3 / t / 1e9


def try_torch():
    """The ``torch`` module if importable (it is not a tinygen dependency), else None."""
    try:
        import torch
    except Exception:
        return None
    return torch


def report(case, ours, unit, peer=None, higher_is_better=True, ratio=None, spread=None):
    """Print one line: our figure, the peer's and the ratio (≥1 means we win).

    ``ratio`` (e.g. the median of per-round ratios from :func:`best_of_pair`) is printed
    when given; otherwise the ratio of the two figures. ``spread`` = (q1, q3), the
    quartiles of the per-round ratios, is printed after it."""
    line = f"{case:<34s} tinygen {ours:10.1f} {unit}"
    if peer is not None:
        if ratio is None:
            ratio = ours / peer if higher_is_better else peer / ours
        line += f" | torch {peer:10.1f} {unit} | ratio {ratio:5.2f}x"
        if spread is not None:
            line += f" (rounds {spread[0]:.2f}-{spread[1]:.2f})"
    print(line, flush=True)
