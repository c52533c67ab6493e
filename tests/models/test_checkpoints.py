"""Every model's ``save``/``load`` goes through :mod:`tinygen.io`: the ``.npz`` suffix rule,
atomic writes, and one set of errors for missing, corrupt and foreign files."""

from __future__ import annotations

import numpy as np
import pytest

from tinygen import nn
from tinygen.io import CheckpointError
from tinygen.models.boltzmann_machine import BoltzmannMachine
from tinygen.models.dbn import DBN
from tinygen.models.gaussian_rbm import GaussianBernoulliRBM
from tinygen.models.rbm import RBM

MODELS = {
    "RBM": (lambda: RBM(4, 3, random_state=0), RBM.load),
    "GaussianBernoulliRBM": (
        lambda: GaussianBernoulliRBM(4, 3, random_state=0),
        GaussianBernoulliRBM.load,
    ),
    "DBN": (lambda: DBN([4, 3, 2], random_state=0), DBN.load),
    "BoltzmannMachine": (lambda: BoltzmannMachine(3, 2, random_state=0), BoltzmannMachine.load),
    "Module": (
        lambda: nn.Linear(4, 3, random_state=0),
        lambda p: nn.Linear(4, 3, random_state=1).load(p),
    ),
}


@pytest.fixture(params=sorted(MODELS))
def model_and_load(request):
    make, load = MODELS[request.param]
    return make(), load


def test_suffix_is_added_and_the_returned_path_loads(model_and_load, tmp_path):
    model, load = model_and_load
    path = model.save(tmp_path / "sub" / "ckpt")
    assert path == tmp_path / "sub" / "ckpt.npz" and path.is_file()
    assert sorted(p.name for p in path.parent.iterdir()) == ["ckpt.npz"]  # no temp file left
    assert load(path) is not None
    assert model.save(tmp_path / "a.npz") == tmp_path / "a.npz"


def test_missing_corrupt_and_foreign_files_are_named(model_and_load, tmp_path):
    model, load = model_and_load
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load(tmp_path / "nope.npz")
    good = model.save(tmp_path / "good.npz").read_bytes()
    bad = tmp_path / "truncated.npz"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match="truncated.npz"):
        load(bad)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.zeros(3))
    with pytest.raises((ValueError, KeyError), match="foreign.npz"):  # Module: KeyError
        load(foreign)


def test_interrupted_save_keeps_the_previous_checkpoint(model_and_load, tmp_path, monkeypatch):
    model, load = model_and_load
    path = model.save(tmp_path / "ckpt.npz")
    old = path.read_bytes()

    def die(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", die)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]
    load(path)
