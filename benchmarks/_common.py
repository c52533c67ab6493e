"""Shared helpers of the benchmark scripts: timing and the optional PyTorch peer."""

from __future__ import annotations

import contextlib
import time


def best_of(fn, repeats=5):
    """Run ``fn()`` ``repeats`` times; return the smallest wall-clock time in seconds.

    The best of several runs is the figure least disturbed by other processes. A ``fn``
    that returns a float (a :class:`PeerProcess`) reports its own time, which is used.
    """
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        own = fn()
        elapsed = time.perf_counter() - t0
        times.append(own if isinstance(own, float) else elapsed)
    return min(times)


class PeerProcess:
    """The peer's timed callable, run in a child Python process of its own.

    ``PeerProcess("bench_vae", "torch_runner", objective, k, batch_size, steps)`` starts
    ``python benchmarks/_common.py bench_vae torch_runner ...``; the child builds the
    callable by ``bench_vae.torch_runner(...)`` (it warms it up) and then waits. Calling
    the object has the child run it once and returns the child's own wall-clock seconds for
    it. ``None`` from the factory (PyTorch not importable) makes :attr:`ok` False.

    Why a process of its own: the two libraries otherwise share one process's state: the
    allocator's heap and thread pools (PyTorch's OpenMP, NumPy's OpenBLAS) whose idle
    workers compete for the same cores. Each library runs here as its users get it, while
    the rounds still alternate between them a fraction of a second apart.
    """

    def __init__(self, module, factory, *args, env=None):
        import json
        import os
        import subprocess
        import sys

        here = os.path.dirname(os.path.abspath(__file__))
        self._proc = subprocess.Popen(
            [sys.executable, os.path.join(here, "_common.py"), module, factory, json.dumps(args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=None if env is None else {**os.environ, **env},
        )
        self.ok = self._proc.stdout.readline().strip() == "ready"

    def __call__(self):
        self._proc.stdin.write("run\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the peer process ended")
        return float(line)

    def close(self):
        if self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.wait(timeout=60)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def peer_runner(same_process, module, factory, *args):
    """Context manager giving the peer's timed callable for :func:`best_of_pair`, or None
    when PyTorch is not importable: ``module.factory(*args)``, built in a
    :class:`PeerProcess` of its own (closed on exit), or in this process with
    ``same_process``."""
    if same_process:
        import importlib

        yield getattr(importlib.import_module(module), factory)(*args)
        return
    with PeerProcess(module, factory, *args) as proc:
        yield proc if proc.ok else None


def _serve_peer(module, factory, args_json):
    """The child's side of :class:`PeerProcess`."""
    import importlib
    import json
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    fn = getattr(importlib.import_module(module), factory)(*json.loads(args_json))
    print("ready" if fn is not None else "none", flush=True)
    if fn is None:
        return
    for line in sys.stdin:
        if line.strip() != "run":
            break
        t0 = time.perf_counter()
        fn()
        print(repr(time.perf_counter() - t0), flush=True)


def peer_setup(same_process):
    """One line saying how the two sides ran (one process, or PyTorch in its own)."""
    if same_process:
        return "PyTorch ran in this process, beside tinygen"
    return "PyTorch ran in a process of its own; the rounds alternate between the two"


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


def report(case, ours, unit, peer=None, higher_is_better=True, ratio=None, spread=None,
           peer_name="torch"):
    """Print one line: our figure, the peer's (named ``peer_name``) and the ratio (≥1
    means we win).

    ``ratio`` (e.g. the median of per-round ratios from :func:`best_of_pair`) is printed
    when given; otherwise the ratio of the two figures. ``spread`` = (q1, q3), the
    quartiles of the per-round ratios, is printed after it."""
    line = f"{case:<34s} tinygen {ours:10.1f} {unit}"
    if peer is not None:
        if ratio is None:
            ratio = ours / peer if higher_is_better else peer / ours
        line += f" | {peer_name} {peer:10.1f} {unit} | ratio {ratio:5.2f}x"
        if spread is not None:
            line += f" (rounds {spread[0]:.2f}-{spread[1]:.2f})"
    print(line, flush=True)


if __name__ == "__main__":
    import sys

    _serve_peer(*sys.argv[1:4])
