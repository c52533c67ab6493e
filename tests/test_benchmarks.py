"""The benchmark scripts' statistics (the scripts themselves run outside the suite)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import _common  # noqa: E402
import compare_vae  # noqa: E402


def test_best_of_pair_median_ratio_is_peer_over_ours(monkeypatch):
    times = iter([1.0, 2.0, 2.0, 2.0, 1.0, 3.0])  # ours, peer alternately
    monkeypatch.setattr(_common, "best_of", lambda fn, repeats=1: next(times))
    best_ours, best_peer, ratio = _common.best_of_pair(None, lambda: None, repeats=3, settle=0)
    assert (best_ours, best_peer) == (1.0, 2.0)
    assert ratio == pytest.approx(2.0)  # per-round ratios 2, 1, 3 → median 2


def test_best_of_pair_without_peer():
    best, peer, ratio = _common.best_of_pair(lambda: None, None, repeats=2, settle=0)
    assert best >= 0 and peer is None and ratio is None


def test_paired_difference_and_its_standard_error():
    rng = np.random.default_rng(0)
    base = rng.normal(-90.0, 20.0, size=4000)  # shared per-image difficulty
    a = base + 0.3 + rng.normal(0, 0.5, size=4000)
    b = base + rng.normal(0, 0.5, size=4000)
    mean, se, t = compare_vae.paired(a, b)
    assert abs(mean - 0.3) < 4 * se
    assert se == pytest.approx(np.sqrt(0.5) / np.sqrt(4000), rel=0.1)  # not 20/√N
    assert t > 10


def test_best_of_pair_hands_back_the_round_ratios(monkeypatch):
    times = iter([1.0, 2.0, 2.0, 2.0, 1.0, 3.0])
    monkeypatch.setattr(_common, "best_of", lambda fn, repeats=1: next(times))
    rounds = []
    _common.best_of_pair(None, lambda: None, repeats=3, settle=0, ratios=rounds)
    assert sorted(rounds) == pytest.approx([1.0, 2.0, 3.0])


def test_quartiles_interpolate():
    assert _common.quartiles([3.0, 1.0, 2.0, 4.0, 5.0]) == pytest.approx((2.0, 3.0, 4.0))
    assert _common.quartiles([1.0, 2.0]) == pytest.approx((1.25, 1.5, 1.75))
    with pytest.raises(ValueError):
        _common.quartiles([])


def test_host_gflops_is_two_n_cubed_over_the_best_time(monkeypatch):
    seen = []

    def fake_best_of(fn, repeats=5):
        seen.append(fn().shape)  # the timed callable is the n×n product itself
        return 1e-6

    monkeypatch.setattr(_common, "best_of", fake_best_of)
    assert _common.host_gflops(n=8, repeats=3) == pytest.approx(2 * 8**3 / 1e-6 / 1e9)
    assert seen == [(8, 8)]


def test_peer_process_runs_the_factory_callable_in_a_child(tmp_path):
    # the child builds fn = peer_probe.make(0.01) and reports its own time for each call;
    # each call appends the child's pid to a file, so we see it ran there, once per call
    log = tmp_path / "calls.txt"
    (tmp_path / "peer_probe.py").write_text(
        "import os, time\n"
        "def make(seconds, path):\n"
        "    def fn():\n"
        "        time.sleep(seconds)\n"
        "        with open(path, 'a') as f:\n"
        "            f.write(f'{os.getpid()}\\n')\n"
        "    return fn\n"
        "def none():\n"
        "    return None\n"
    )
    import os

    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    with _common.PeerProcess("peer_probe", "make", 0.01, str(log), env=env) as peer:
        assert peer.ok
        times = [peer() for _ in range(3)]
        assert _common.best_of(peer, 2) >= 0.01
    assert all(0.01 <= t < 1.0 for t in times)
    pids = log.read_text().split()
    assert len(pids) == 5 and len(set(pids)) == 1 and pids[0] != str(os.getpid())
    with _common.PeerProcess("peer_probe", "none", env=env) as peer:
        assert not peer.ok


def test_peer_setup_says_how_each_side_ran():
    assert "process of its own" in _common.peer_setup(same_process=False)
    assert "this process" in _common.peer_setup(same_process=True)


def test_peer_runner_builds_the_callable_here_or_in_a_child(tmp_path, monkeypatch):
    import os

    (tmp_path / "peer_probe2.py").write_text(
        "import os\n"
        "def make(tag):\n"
        "    def fn():\n"
        "        return (tag, os.getpid())\n"
        "    return fn\n"
        "def none():\n"
        "    return None\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with _common.peer_runner(True, "peer_probe2", "make", "x") as fn:
        assert fn() == ("x", os.getpid())  # this process: the factory's own callable
    with _common.peer_runner(True, "peer_probe2", "none") as fn:
        assert fn is None
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    with _common.peer_runner(False, "peer_probe2", "make", "x") as peer:
        assert isinstance(peer, _common.PeerProcess) and isinstance(peer(), float)
        proc = peer._proc
    assert proc.poll() is not None  # closed on exit
    with _common.peer_runner(False, "peer_probe2", "none") as peer:
        assert peer is None


def test_bench_autoregressive_resume_goes_on_where_the_run_stopped(tmp_path, monkeypatch):
    import bench_autoregressive as bar

    import tinygen.data

    rng = np.random.default_rng(0)
    X = (rng.random((40, 784)) < 0.3).astype(np.uint8)
    monkeypatch.setattr(tinygen.data, "binarized_mnist", lambda split: X)
    monkeypatch.setattr(bar, "held_out", lambda: (X[:10], "valid"))
    ckpt = tmp_path / "fvsbn.npz"
    first = bar.train("fvsbn", None, max_epochs=2, save=ckpt, eval_every=1)
    lrs = []
    from tinygen.models import FVSBN

    fit = FVSBN.fit
    monkeypatch.setattr(FVSBN, "fit", lambda self, *a, **k: lrs.append(k["lr"]) or fit(self, *a, **k))
    second = bar.train("fvsbn", None, max_epochs=1, resume=ckpt, previous=first, eval_every=1)
    assert lrs == [pytest.approx(bar.SETTINGS["fvsbn"]["lr"] * bar.DECAY**2)]
    assert second["epochs"] == 3 and second["resumed_from"]["epochs"] == 2
    assert [line["epoch"] for line in second["trajectory"]] == [1, 2, 3]
    assert second["train_seconds"] > first["train_seconds"]
    # the resumed model starts from the checkpoint's weights, not from a fresh init:
    # its first epoch's loss is below the first run's first epoch
    assert second["trajectory"][2]["train_nll"] < first["trajectory"][0]["train_nll"]
    with pytest.raises(SystemExit, match="--previous"):
        bar.train("fvsbn", None, max_epochs=1, resume=ckpt, previous=None)
    with pytest.raises(SystemExit, match="holds a 'nade' run, not 'fvsbn'"):
        bar.train("fvsbn", None, max_epochs=1, resume=ckpt, previous={**first, "model": "nade"})


def test_bench_autoregressive_masked_taps_times_both_forwards_and_puts_ours_back(monkeypatch):
    """--masked-taps swaps MaskedConv2d.forward for the composite in its rounds only."""
    import bench_autoregressive as bar

    from tinygen.nn import MaskedConv2d

    monkeypatch.setattr(bar, "SPEED_BATCH", 2)
    monkeypatch.setattr(_common.time, "sleep", lambda s: None)
    ours = MaskedConv2d.forward
    calls = []
    monkeypatch.setattr(bar, "_speed_data", lambda steps: calls.append(steps) or
                        (np.random.default_rng(0).random((2 * steps, 1, 28, 28)) < 0.3)
                        .astype(np.float32))
    r = bar.masked_taps(steps=1, rounds=1)
    assert MaskedConv2d.forward is ours and calls == [1]
    assert r["taps_img_s"] > 0 and r["composite_img_s"] > 0 and r["speedup"] > 0
