"""``tinygen.runs.Run``: the run folder, config, metrics, checkpoints, progress bars."""

from __future__ import annotations

import json
import math

import numpy as np

from tinygen.io import load_npz
from tinygen.runs import Run, atomic_savez, progress


def test_run_folder_layout(tmp_path):
    run = Run("exp", root=tmp_path / "runs")
    assert run.dir == tmp_path / "runs" / "exp" and run.dir.is_dir()
    assert run.path("a.png") == run.dir / "a.png"
    Run("exp", root=tmp_path / "runs")  # reopening an existing folder is fine


def test_default_name_is_a_timestamp(tmp_path):
    run = Run(root=tmp_path)
    assert run.dir.parent == tmp_path
    stamp = run.dir.name
    assert len(stamp) == 15 and stamp[8] == "-" and stamp.replace("-", "").isdigit()


def test_config_round_trip(tmp_path):
    run = Run("c", root=tmp_path)
    config = {
        "n_hidden": 16,
        "lr": 0.05,
        "hidden": (200, 200),
        "nested": {"k": np.int64(3), "x": np.float32(0.5)},
        "method": "pcd",
        "budget": None,
        "flag": True,
    }
    path = run.save_config(config)
    assert path == run.dir / "config.json"
    back = run.load_config()
    assert back == {
        "n_hidden": 16,
        "lr": 0.05,
        "hidden": [200, 200],
        "nested": {"k": 3, "x": 0.5},
        "method": "pcd",
        "budget": None,
        "flag": True,
    }
    assert json.loads(path.read_text()) == back
    assert not list(run.dir.glob(".*tmp"))  # the temporary file was renamed away


def test_metrics_are_json_lines(tmp_path):
    run = Run("m", root=tmp_path)
    assert run.metrics() == []
    run.log_metrics(1, loss=np.float32(2.5), ll=-90.25)
    run.log_metrics(2, loss=1.5, ll=float("nan"), note="ok")
    lines = (run.dir / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first == {"step": 1, "loss": 2.5, "ll": -90.25}
    second = json.loads(lines[1])  # strict JSON: NaN is written as a string, not as NaN
    assert second["step"] == 2 and second["ll"] == "nan" and second["note"] == "ok"
    assert run.metrics() == [first, second]


def test_checkpoint_path(tmp_path):
    run = Run("k", root=tmp_path)
    assert run.checkpoint_path() == run.dir / "model.npz"
    assert run.checkpoint_path("rbm") == run.dir / "rbm.npz"
    assert run.checkpoint_path("rbm.npz") == run.dir / "rbm.npz"  # no double suffix


def test_atomic_savez_round_trip(tmp_path):
    run = Run("s", root=tmp_path)
    W = np.arange(6, dtype=np.float32).reshape(2, 3)
    path = atomic_savez(run.checkpoint_path("w"), W=W, step=np.int64(7))
    assert path == run.dir / "w.npz"
    back = load_npz(path, required=("W", "step"))
    np.testing.assert_array_equal(back["W"], W)
    assert back["W"].dtype == np.float32 and int(back["step"]) == 7


def test_saved_records_and_prints(tmp_path, capsys):
    run = Run("p", root=tmp_path)
    p = run.saved(run.path("x.png"))
    assert run.pictures == [p]
    assert str(p) in capsys.readouterr().out


def test_progress_is_quiet_off_a_terminal_and_yields_everything(tmp_path, capsys):
    assert list(progress(range(5))) == [0, 1, 2, 3, 4]  # pytest's stderr is not a TTY
    run = Run("q", root=tmp_path, quiet=True)
    assert sum(run.progress(range(10), desc="x")) == 45
    assert capsys.readouterr().err == ""
    assert math.isclose(sum(progress([0.5, 0.25], quiet=True)), 0.75)
