"""``tinygen train|sample sbn`` and ``tinygen train|sample dbm`` (in-process, tiny models on
bars-and-stripes, so offline and fast)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinygen.cli import main
from tinygen.data import bars_and_stripes
from tinygen.models.dbm import DBM
from tinygen.models.sigmoid_belief_net import SigmoidBeliefNet

TRAIN = {
    "sbn": ["--hidden", "6", "3", "--epochs", "3", "--eval-k", "20"],
    "dbm": ["--n-hidden1", "6", "--n-hidden2", "4", "--pretrain-epochs", "2", "--epochs", "2",
            "--n-persistent", "10", "--ais-betas", "50", "--ais-runs", "5"],
}
LOAD = {"sbn": SigmoidBeliefNet.load, "dbm": DBM.load}


def _train(tmp_path, model, *extra, name=None):
    name = name or model
    argv = ["--quiet", "train", model, "--root", str(tmp_path), "--name", name,
            "--data", "bars_and_stripes", "--bas-size", "3", *TRAIN[model], *extra]
    return main(argv), tmp_path / name


def _metrics(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_train_sbn_logs_checkpoints_and_evaluates(tmp_path, capsys):
    status, run = _train(tmp_path, "sbn")
    assert status == 0
    out = capsys.readouterr().out
    assert "valid log p-hat (k=20, 14 images)" in out
    records = _metrics(run)
    assert [r["step"] for r in records] == [1, 2, 3, 3]
    for r in records[:3]:
        # 9 binary pixels and 9 hidden units: the exact log-likelihood is tractable
        assert -9 * np.log(2) - 3 < r["valid_log_likelihood"] < 0
        assert np.isfinite(r["train_log_p_hat"]) and np.isfinite(r["valid_log_p_hat"])
    assert records[-1]["eval_k"] == 20 and records[-1]["eval_n"] == 14
    assert records[-1]["final_valid_log_p_hat"] < 0
    net = SigmoidBeliefNet.load(run / "sbn.npz")
    assert net.layer_sizes == [9, 6, 3] and len(net.history_) == 3
    assert (run / "samples.png").read_bytes()[:4] == b"\x89PNG"
    config = json.loads((run / "config.json").read_text())
    assert config["layer_sizes"] == [9, 6, 3] and config["lr"] == 0.5  # the bars default


def test_train_dbm_logs_checkpoints_and_bounds_with_exact_and_ais_log_z(tmp_path, capsys):
    status, run = _train(tmp_path, "dbm")
    assert status == 0
    out = capsys.readouterr().out
    assert "log Z exact" in out and "AIS (50 betas, 5 runs)" in out
    records = _metrics(run)
    assert [r["step"] for r in records] == [0, 1, 2, 2]  # 0: after pretraining
    for r in records[:3]:
        assert r["valid_bound"] <= r["valid_log_likelihood"] + 1e-6 < 1e-6  # 𝓛 ≤ log P(v) ≤ 0
    final = records[-1]
    assert final["log_z_method"] == "exact"
    assert final["final_valid_bound"] == pytest.approx(records[2]["valid_bound"], abs=1e-6)
    assert final["ais_log_z_low"] <= final["ais_log_z"] <= final["ais_log_z_high"]
    model = DBM.load(run / "dbm.npz")
    assert (model.n_visible, model.n_hidden1, model.n_hidden2) == (9, 6, 4)
    assert model.epochs_done_ == 2
    assert (run / "samples.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("model", ["sbn", "dbm"])
def test_sample_writes_binary_npy_of_the_models_shape_and_is_seeded(tmp_path, model):
    assert _train(tmp_path, model)[0] == 0
    argv = ["--quiet", "sample", model, "--root", str(tmp_path), "--name", "s",
            "--checkpoint", str(tmp_path / model), "--n", "7"]
    if model == "dbm":
        argv += ["--n-gibbs", "20"]
    assert main([*argv, "--out", str(tmp_path / "a.npy")]) == 0
    assert main([*argv, "--out", str(tmp_path / "b")]) == 0  # .npy appended
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert a.shape == (7, 9) and set(np.unique(a)) <= {0.0, 1.0}
    np.testing.assert_array_equal(a, b)
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"
    assert main(argv) == 0  # default: samples.npy in the run folder
    assert np.load(tmp_path / "s" / "samples.npy").shape == (7, 9)


def test_wrong_missing_and_corrupt_checkpoints_are_one_line_errors(tmp_path, capsys):
    assert _train(tmp_path, "sbn")[0] == 0
    assert _train(tmp_path, "dbm")[0] == 0
    capsys.readouterr()
    common = ["--quiet", "sample"]
    root = ["--root", str(tmp_path / "runs")]
    assert main([*common, "dbm", "--checkpoint", str(tmp_path / "sbn" / "sbn.npz"), *root]) == 1
    err = capsys.readouterr().err
    assert "not a DBM checkpoint" in err and "Traceback" not in err
    assert main([*common, "sbn", "--checkpoint", str(tmp_path / "dbm" / "dbm.npz"), *root]) == 1
    assert "not a SigmoidBeliefNet checkpoint" in capsys.readouterr().err
    assert main([*common, "sbn", "--checkpoint", str(tmp_path / "nowhere"), *root]) == 1
    assert "no SBN checkpoint" in capsys.readouterr().err
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    for model in ("sbn", "dbm"):
        assert main([*common, model, "--checkpoint", str(bad), *root]) == 1
        assert "corrupt" in capsys.readouterr().err


def test_bad_options_are_usage_errors(tmp_path, capsys):
    assert _train(tmp_path, "sbn", "--k", "0", name="x")[0] == 2
    assert "--k" in capsys.readouterr().err
    assert _train(tmp_path, "dbm", "--lr", "-1", name="y")[0] == 2
    assert "--lr" in capsys.readouterr().err
    assert _train(tmp_path, "dbm", "--n-hidden1", "0", name="z")[0] == 2
    assert "--n-hidden1" in capsys.readouterr().err


def test_a_diverging_sbn_run_ends_with_status_1_and_keeps_the_last_good_checkpoint(
    tmp_path, capsys, monkeypatch
):
    # a NaN in the third epoch (the model's own test makes a real one with an absurd lr)
    real_epoch, calls = SigmoidBeliefNet._epoch, []

    def third_goes_nan(self, *args):
        calls.append(1)
        score = real_epoch(self, *args)
        if len(calls) == 3:
            self.W[0][0, 0] = np.nan
        return score

    monkeypatch.setattr(SigmoidBeliefNet, "_epoch", third_goes_nan)
    status, run = _train(tmp_path, "sbn", "--epochs", "5")
    assert status == 1
    assert "lower lr" in capsys.readouterr().out
    assert [r["step"] for r in _metrics(run)] == [1, 2]  # no final evaluation either
    net = SigmoidBeliefNet.load(run / "sbn.npz")
    assert len(net.history_) == 2 and all(np.isfinite(w).all() for w in net.W)
    assert np.isfinite(net.log_prob_exact(bars_and_stripes(3))).all()


def test_a_diverging_dbm_run_ends_with_status_1(tmp_path, capsys):
    status, run = _train(tmp_path, "dbm", "--lr", "1e30", "--pretrain-epochs", "0")
    assert status == 1
    assert "lower the learning rate" in capsys.readouterr().out
    done = [r["step"] for r in _metrics(run)]
    assert done == [1]  # (this lr overflows in the second epoch)
    model = DBM.load(run / "dbm.npz")
    assert model.epochs_done_ == 1 and np.isfinite(model.W1).all()
