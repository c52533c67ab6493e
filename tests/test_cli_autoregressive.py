"""``tinygen train|sample|complete`` for the autoregressive models (in-process, tiny models on
the embedded synthetic digits, so offline)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinygen import models
from tinygen.cli import main
from tinygen.cli.complete import half_mask

TINY = {
    "fvsbn": [],
    "nade": ["--hidden", "8"],
    "pixelcnn": ["--channels", "2", "--layers", "1"],
    "gated_pixelcnn": ["--channels", "2", "--layers", "1"],
    "pixelrnn": ["--channels", "2", "--layers", "1"],
}
CLASS = {"fvsbn": "FVSBN", "nade": "NADE", "pixelcnn": "PixelCNN",
         "gated_pixelcnn": "GatedPixelCNN", "pixelrnn": "PixelRNN"}


def _train(tmp_path, model, *extra, name=None):
    name = name or model
    argv = ["--quiet", "train", model, "--root", str(tmp_path), "--name", name,
            "--data", "synthetic_digits", "--n-train", "64", "--epochs", "1",
            "--batch-size", "32", "--eval-n", "16", "--n-samples", "4", *TINY[model], *extra]
    return main(argv), tmp_path / name


@pytest.mark.parametrize("model", sorted(TINY))
def test_train_writes_a_checkpoint_that_loads_as_the_model(tmp_path, capsys, model):
    status, run = _train(tmp_path, model)
    assert status == 0
    out = capsys.readouterr().out
    assert "test NLL (16 images)" in out
    ckpt = run / f"{model}.npz"
    assert ckpt.exists() and (run / "samples.png").read_bytes()[:4] == b"\x89PNG"
    loaded = models.from_checkpoint(ckpt) if hasattr(models, "from_checkpoint") else None
    loaded = loaded or getattr(models, CLASS[model]).from_checkpoint(ckpt)
    assert type(loaded).__name__ == CLASS[model]
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert "test_nll" in metrics[-1] and np.isfinite(metrics[-1]["test_nll"])
    # the NLL printed is the loaded model's exact NLL on the same 16 test digits
    printed = float(out.split("test NLL (16 images):")[1].split()[0])
    assert metrics[-1]["test_nll"] == pytest.approx(printed, abs=0.006)


def test_sample_writes_npy_of_the_models_shape_and_is_seeded(tmp_path):
    for model in ("nade", "pixelcnn"):
        assert _train(tmp_path, model)[0] == 0
        argv = ["--quiet", "sample", model, "--root", str(tmp_path),
                "--checkpoint", str(tmp_path / model), "--n", "5"]
        assert main([*argv, "--out", str(tmp_path / f"{model}-a.npy")]) == 0
        assert main([*argv, "--out", str(tmp_path / f"{model}-b")]) == 0  # .npy appended
        a, b = np.load(tmp_path / f"{model}-a.npy"), np.load(tmp_path / f"{model}-b.npy")
        assert a.shape == ((5, 784) if model == "nade" else (5, 1, 28, 28))
        assert set(np.unique(a)) <= {0.0, 1.0}
        np.testing.assert_array_equal(a, b)
        assert (tmp_path / f"{model}-a.png").exists()


@pytest.mark.parametrize("known", ["top", "left"])
def test_complete_keeps_the_known_half_and_fills_the_rest(tmp_path, capsys, known):
    assert _train(tmp_path, "pixelcnn")[0] == 0
    out = tmp_path / "c.png"
    argv = ["--quiet", "complete", "pixelcnn", "--checkpoint", str(tmp_path / "pixelcnn"),
            f"--{known}-half", "--n", "3", "--samples", "2", "--out", str(out)]
    assert main(argv) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    original = np.load(tmp_path / "c.original.npy")
    mask = np.load(tmp_path / "c.mask.npy")
    completions = np.load(tmp_path / "c.completions.npy")
    assert original.shape == mask.shape == (3, 1, 28, 28)
    assert completions.shape == (3, 2, 1, 28, 28)
    np.testing.assert_array_equal(mask[0, 0], half_mask((28, 28), known))
    known_px = np.broadcast_to(mask[:, None], completions.shape)
    np.testing.assert_array_equal(
        completions[known_px], np.broadcast_to(original[:, None], completions.shape)[known_px]
    )
    assert set(np.unique(completions)) <= {0.0, 1.0}
    # the test digits are the run's data (synthetic, read from its config), not MNIST
    assert "completions" in capsys.readouterr().out


def test_half_mask():
    m = half_mask((4, 6), "top")
    assert m[:2].all() and not m[2:].any()
    m = half_mask((4, 6), "left")
    assert m[:, :3].all() and not m[:, 3:].any()
    with pytest.raises(ValueError, match="top"):
        half_mask((4, 4), "bottom")


def test_clear_errors(tmp_path, capsys):
    assert _train(tmp_path, "nade")[0] == 0
    run = str(tmp_path / "nade")
    # a NADE checkpoint given to the PixelCNN commands: name the right command
    assert main(["--quiet", "sample", "pixelcnn", "--root", str(tmp_path),
                 "--checkpoint", run]) == 2
    assert "NADE" in capsys.readouterr().err
    assert main(["--quiet", "complete", "nade", "--checkpoint", run, "--n", "0"]) == 2
    assert "--n" in capsys.readouterr().err
    assert main(["--quiet", "sample", "nade", "--root", str(tmp_path), "--checkpoint", run,
                 "--n", "0"]) == 2
    assert main(["--quiet", "train", "nade", "--root", str(tmp_path), "--name", "bad",
                 "--data", "synthetic_digits", "--lr", "-1"]) == 2
    assert "--lr" in capsys.readouterr().err
    assert main(["--quiet", "sample", "nade", "--root", str(tmp_path),
                 "--checkpoint", str(tmp_path / "missing")]) == 1
    assert "no NADE checkpoint" in capsys.readouterr().err
