"""``tinygen train gan`` / ``tinygen sample gan`` (in-process, a few steps each)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinygen.cli import main
from tinygen.cli.models import gan as cli_gan


def _train(tmp_path, *extra, name="g"):
    argv = ["--quiet", "train", "gan", "--root", str(tmp_path), "--name", name, *extra]
    return main(argv), tmp_path / name


def test_train_and_sample_on_the_ring(tmp_path, capsys):
    status, run = _train(tmp_path, "--data", "ring", "--steps", "40", "--checkpoint-every", "20")
    assert status == 0
    out = capsys.readouterr().out
    assert "modes recovered" in out and "high-quality" in out
    assert (run / "gan.npz").exists() and (run / "gan.npz.json").exists()
    assert (run / "samples.png").read_bytes()[:4] == b"\x89PNG"
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics[:2]] == [20, 40]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "modes", "high_quality"} <= set(metrics[0])
    assert "final_modes" in metrics[-1]
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["train"]["n_steps"] == 40 and cfg["model"]["class"] == "MLPGAN"

    target = tmp_path / "s" / "ring.npy"
    argv = ["--quiet", "sample", "gan", "--root", str(tmp_path), "--checkpoint", str(run)]
    assert main([*argv, "--n", "300", "--out", str(target)]) == 0
    x = np.load(target)
    assert x.shape == (300, 2) and np.all(np.isfinite(x))
    # the same seed gives the same samples; labels are refused for an unconditional GAN
    assert main([*argv, "--n", "300", "--out", str(tmp_path / "again.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "again.npy"), x)
    assert main([*argv, "--labels", "1"]) == 2
    assert "conditional" in capsys.readouterr().err


def test_defaults_are_the_benchmark_settings():
    p = __import__("argparse").ArgumentParser()
    cli_gan.add_train_args(p)
    for data in ("ring", "grid"):
        s = cli_gan._settings(p.parse_args(["--data", data]))
        assert s == cli_gan.MIXTURE_DEFAULTS[data]
    s = cli_gan._settings(p.parse_args(["--data", "ring", "--steps", "600"]))
    assert s["n_steps"] == 600 and s["decay_at"] == 400  # the drop keeps its place
    s = cli_gan._settings(p.parse_args(["--data", "mnist", "--lr", "1e-3"]))
    assert s["lr"] == s["lr_final"] == 1e-3
    # the loss that reaches the goals on each mixture, unless --objective says otherwise
    assert cli_gan._objective(p.parse_args(["--data", "grid"])) == "minimax"
    assert cli_gan._objective(p.parse_args(["--data", "ring"])) == "non_saturating"
    assert cli_gan._objective(p.parse_args(["--data", "mnist"])) == "non_saturating"
    assert cli_gan._objective(p.parse_args(["--data", "grid", "--objective",
                                            "non_saturating"])) == "non_saturating"


def test_conditional_dcgan_on_mnist_and_labelled_samples(tmp_path, capsys):
    pytest.importorskip("tinygen.data")
    from tinygen.data import DataError, mnist

    try:
        mnist("test")
    except DataError:
        pytest.skip("the MNIST test set is not available")
    status, run = _train(
        tmp_path,
        "--data",
        "mnist",
        "--conditional",
        "--n-train",
        "64",
        "--steps",
        "2",
        "--batch-size",
        "16",
        "--width",
        "4",
        "--latent",
        "8",
        "--checkpoint-every",
        "1",
    )
    assert status == 0
    cfg = json.loads((run / "gan.npz.json").read_text())
    assert cfg["class"] == "DCGAN" and cfg["conditional"] is True
    out = tmp_path / "digits.npy"
    argv = ["--quiet", "sample", "gan", "--root", str(tmp_path), "--checkpoint", str(run)]
    assert main([*argv, "--n", "12", "--labels", "0,1,2", "--out", str(out)]) == 0
    x = np.load(out)
    assert x.shape == (12, 1, 28, 28) and x.min() >= 0 and x.max() <= 1
    np.testing.assert_array_equal(np.load(tmp_path / "digits.labels.npy"), [0, 1, 2] * 4)
    capsys.readouterr()
    assert main([*argv, "--n", "4"]) == 2  # a conditional GAN needs --labels
    assert "--labels" in capsys.readouterr().err
    assert main([*argv, "--n", "4", "--labels", "10"]) == 2


def test_packed_gan_on_the_grid(tmp_path, capsys):
    status, run = _train(tmp_path, "--data", "grid", "--pack", "4", "--steps", "4",
                         "--batch-size", "16", "--checkpoint-every", "2")
    assert status == 0
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["model"]["pack"] == 4 and cfg["model"]["class"] == "MLPGAN"
    argv = ["--quiet", "sample", "gan", "--root", str(tmp_path), "--checkpoint", str(run)]
    assert main([*argv, "--n", "10", "--out", str(tmp_path / "p.npy")]) == 0
    assert np.load(tmp_path / "p.npy").shape == (10, 2)  # samples are not packed


def test_averaged_generator_from_the_cli(tmp_path, capsys):
    status, run = _train(tmp_path, "--data", "ring", "--ema", "0.9", "--steps", "6",
                         "--batch-size", "16", "--checkpoint-every", "3", "--reuse-fake")
    assert status == 0
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["model"]["ema_decay"] == 0.9
    from tinygen.models.gan import GAN

    model = GAN.from_checkpoint(run / "gan.npz")
    argv = ["--quiet", "sample", "gan", "--root", str(tmp_path), "--checkpoint", str(run)]
    assert main([*argv, "--n", "5", "--out", str(tmp_path / "e.npy"), "--seed", "4"]) == 0
    # sample draws from the average, not from the trained generator
    np.testing.assert_array_equal(np.load(tmp_path / "e.npy"), model.sample(5, random_state=4))
    assert not np.allclose(np.load(tmp_path / "e.npy"), model.sample(5, random_state=4, ema=False))
    assert main(["--quiet", "train", "gan", "--root", str(tmp_path), "--name", "bad",
                 "--data", "ring", "--ema", "1.0", "--steps", "1"]) == 2
    assert "ema_decay" in capsys.readouterr().err


def test_the_objective_choices_are_the_models():
    """The CLI spells out the losses (it imports no model to parse its arguments)."""
    import argparse

    from tinygen.cli.models.gan import add_train_args
    from tinygen.models.gan import OBJECTIVES

    parser = argparse.ArgumentParser()
    add_train_args(parser)
    (action,) = [a for a in parser._actions if a.dest == "objective"]
    assert tuple(action.choices) == OBJECTIVES


def test_feature_matching_from_the_cli(tmp_path):
    status, run = _train(tmp_path, "--data", "ring", "--objective", "feature_matching",
                         "--steps", "4", "--batch-size", "16", "--checkpoint-every", "2")
    assert status == 0
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["model"]["objective"] == "feature_matching"
    from tinygen.models.gan import GAN

    assert GAN.from_checkpoint(run / "gan.npz").objective == "feature_matching"


def test_conditional_needs_labelled_data(tmp_path, capsys):
    status, _ = _train(tmp_path, "--data", "grid", "--conditional", "--steps", "1")
    assert status == 2
    assert "--data mnist" in capsys.readouterr().err


def test_nan_loss_is_reported_and_the_checkpoint_kept(tmp_path, capsys):
    status, run = _train(
        tmp_path, "--data", "grid", "--steps", "30", "--lr", "1e30", "--checkpoint-every", "1"
    )
    assert status == 1
    out = capsys.readouterr().out
    assert "loss became" in out and "Lower the learning rate" in out
    assert (run / "gan.npz").exists()


def test_sample_without_a_checkpoint_names_the_train_command(tmp_path, capsys):
    argv = ["--quiet", "sample", "gan", "--root", str(tmp_path), "--checkpoint", str(tmp_path)]
    assert main(argv) == 1
    assert "tinygen train gan" in capsys.readouterr().err


@pytest.mark.slow
def test_lesson_gan_quick_writes_its_pictures(tmp_path):
    """``tinygen lesson gan --quick`` runs offline (about 40 s here) and saves every figure."""
    out = tmp_path / "lesson"
    assert main(["--quiet", "lesson", "gan", "--quick", "--out", str(out)]) == 0
    for name in ("saturation", "ring_training", "instance_noise", "dcgan_samples", "cgan_by_class",
                 "packing_jsd"):
        assert (out / f"{name}.png").read_bytes()[:4] == b"\x89PNG", name
