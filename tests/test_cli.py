"""The ``tinygen`` command: parser, data, lesson, train/sample, errors (mostly in-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygen.cli import main
from tinygen.cli.demo import DEMO
from tinygen.lessons import available_lessons

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_SIGNATURE


# ---------------------------------------------------------------------------- parser / help
def test_help_exits_zero_and_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("data", "lesson", "train", "sample", "demo"):
        assert command in out


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


@pytest.mark.parametrize("verb", ["train", "sample"])
@pytest.mark.parametrize("model", ["rbm", "vae"])
def test_model_help(verb, model, capsys):
    with pytest.raises(SystemExit) as exc:
        main([verb, model, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--name" in out and "--root" in out
    if verb == "sample":
        assert "--checkpoint" in out


def test_unknown_model_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "no-such-model"])
    assert exc.value.code == 2
    assert "rbm" in capsys.readouterr().err  # argparse names the valid choices


def test_python_dash_m_tinygen_help():
    out = subprocess.run(
        [sys.executable, "-m", "tinygen", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "lesson" in out.stdout and "train" in out.stdout


# ---------------------------------------------------------------------------------- lesson
def test_lesson_list(capsys):
    assert main(["lesson", "--list"]) == 0
    names = capsys.readouterr().out.split()
    for name in ("rbm", "vae", "tour"):
        assert name in names
    assert names == available_lessons()


def test_demo_lessons_exist():
    assert set(DEMO) <= set(available_lessons())


def test_unknown_lesson_names_the_available_ones(capsys):
    assert main(["lesson", "no-such-lesson"]) == 2
    err = capsys.readouterr().err
    assert "no-such-lesson" in err
    for name in ("rbm", "vae", "tour"):
        assert name in err


def test_lesson_tour_quick_writes_pictures(tmp_path, capsys):
    out = tmp_path / "x"
    assert main(["--quiet", "lesson", "tour", "--quick", "--out", str(out)]) == 0
    assert "finished" in capsys.readouterr().out
    pictures = sorted(out.glob("*.png"))
    names = {p.name for p in pictures}
    assert {"bars_and_stripes.png", "ring.png", "grid.png", "synthetic_digits.png"} <= names
    assert all(_is_png(p) for p in pictures)
    assert not list(out.glob(".*.tmp"))


# ------------------------------------------------------------------------------------ data
def test_data_info_lists_absent_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out
    assert "binarized_mnist" in out and "mnist" in out
    assert "absent" in out and "present" not in out
    assert "bars_and_stripes" in out  # the embedded sets are listed too


def test_data_info_sees_a_present_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    f = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    f.parent.mkdir()
    f.write_bytes(b"\0" * 10)
    assert main(["data", "info"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if f.name in line]
    assert len(lines) == 1 and "present" in lines[0]


def test_data_download_unknown_name(capsys):
    assert main(["data", "download", "nope"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "binarized_mnist" in err


def test_data_download_offline_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    monkeypatch.setenv("TINYGEN_OFFLINE", "1")
    assert main(["--quiet", "data", "download", "binarized_mnist"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tinygen: error:")
    assert "Traceback" not in err
    assert "TINYGEN_OFFLINE" in err and "TINYGEN_DATA" in err
    assert str(tmp_path) in err and "http" in err  # names the file and the URL
    assert not any(tmp_path.rglob("*"))  # nothing was written, not even a partial file


# ----------------------------------------------------------------------------- train/sample
def test_train_then_sample_rbm_on_bars_and_stripes(tmp_path, capsys):
    root = tmp_path / "runs"
    argv = ["--quiet", "train", "rbm", "--data", "bars_and_stripes", "--n-hidden", "8"]
    argv += ["--epochs", "3", "--batch-size", "10", "--root", str(root), "--name", "bas"]
    assert main(argv) == 0
    run = root / "bas"
    assert str(run) in capsys.readouterr().out  # says where the outputs are

    config = json.loads((run / "config.json").read_text())
    assert config["train"]["epochs"] == 3 and config["train"]["data"] == "bars_and_stripes"
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3]
    for r in records:
        assert np.isfinite(r["reconstruction_error"])
        # exact log-likelihood of 16 binary pixels: at most 0, at least -16 log 2 - slack
        assert -20.0 < r["valid_log_likelihood"] < 0.0
    ckpts = list(run.glob("*.npz"))
    assert [p.name for p in ckpts] == ["rbm.npz"]
    with np.load(ckpts[0], allow_pickle=False) as z:
        assert z["W"].shape == (16, 8)
    assert _is_png(run / "samples.png") and _is_png(run / "filters.png")

    argv = ["--quiet", "sample", "rbm", "--checkpoint", str(run), "--n", "9"]
    argv += ["--n-gibbs", "20", "--root", str(root), "--name", "s"]
    assert main(argv) == 0
    assert _is_png(root / "s" / "samples.png")
    x = np.load(root / "s" / "samples.npy")
    assert x.shape == (9, 16) and ((x >= 0) & (x <= 1)).all()


def test_sample_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    argv = ["sample", "rbm", "--checkpoint", str(tmp_path / "nowhere"), "--root", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "nowhere" in err and "Traceback" not in err


def test_sample_corrupt_checkpoint_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "rbm.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    argv = ["sample", "rbm", "--checkpoint", str(bad), "--root", str(tmp_path / "runs")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "corrupt" in err


def test_console_script_is_declared():
    cfg = (ROOT / "setup.cfg").read_text()
    assert "tinygen = tinygen.cli:main" in cfg
    assert os.access(ROOT / "tinygen" / "__main__.py", os.R_OK)
