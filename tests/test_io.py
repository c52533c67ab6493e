"""``tinygen.io``: atomic ``.npz`` checkpoints, loaded with ``allow_pickle=False``."""

from __future__ import annotations

import numpy as np
import pytest

from tinygen import Tensor
from tinygen import io as tio
from tinygen.io import CheckpointError, load_npz, save_npz


def _no_temp_files(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


def test_round_trip_keeps_values_dtypes_shapes(tmp_path):
    arrays = {
        "W": np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32),
        "b": np.zeros(4, dtype=np.float64),
        "n": np.int64(5),
        "name": np.array("RBM"),
        "t": Tensor([1.0, 2.0]),
    }
    path = save_npz(tmp_path / "ck.npz", arrays)
    back = load_npz(path)
    assert set(back) == set(arrays)
    np.testing.assert_array_equal(back["W"], arrays["W"])
    assert back["W"].dtype == np.float32 and back["b"].dtype == np.float64
    assert back["n"].shape == () and int(back["n"]) == 5
    assert str(back["name"]) == "RBM"
    np.testing.assert_array_equal(back["t"], [1.0, 2.0])
    assert all(isinstance(v, np.ndarray) for v in back.values())


def test_suffix_added_and_parents_created(tmp_path):
    path = save_npz(tmp_path / "a" / "b" / "model", {"x": np.ones(2)})
    assert path == tmp_path / "a" / "b" / "model.npz" and path.is_file()
    path2 = save_npz(tmp_path / "model.v2", {"x": np.ones(2)})
    assert path2.name == "model.v2.npz"


def test_overwrite_replaces_the_file(tmp_path):
    path = save_npz(tmp_path / "m.npz", {"x": np.zeros(3)})
    save_npz(path, {"x": np.ones(3)})
    np.testing.assert_array_equal(load_npz(path)["x"], np.ones(3))
    assert _no_temp_files(tmp_path)


@pytest.mark.parametrize("exc_type", [RuntimeError, KeyboardInterrupt])
def test_failure_mid_write_keeps_previous_file(tmp_path, monkeypatch, exc_type):
    path = save_npz(tmp_path / "m.npz", {"W": np.arange(3.0)})
    before = path.read_bytes()
    real_savez = np.savez

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a zip file")  # some bytes reach the temp file, then...
        raise exc_type("disk full")

    monkeypatch.setattr(tio.np, "savez", broken_savez)
    with pytest.raises(exc_type):
        save_npz(path, {"W": np.arange(1000.0)})
    monkeypatch.setattr(tio.np, "savez", real_savez)
    assert path.read_bytes() == before
    np.testing.assert_array_equal(load_npz(path)["W"], np.arange(3.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # no temp file left


def test_failure_on_first_write_leaves_nothing(tmp_path, monkeypatch):
    def broken_savez(f, **arrays):
        f.write(b"PK")
        raise OSError("no space left on device")

    monkeypatch.setattr(tio.np, "savez", broken_savez)
    with pytest.raises(OSError):
        save_npz(tmp_path / "new.npz", {"x": np.ones(2)})
    assert list(tmp_path.iterdir()) == []


def test_truncated_file_names_the_file(tmp_path):
    path = save_npz(tmp_path / "m.npz", {"W": np.ones((50, 50))})
    data = path.read_bytes()
    for cut in (len(data) // 2, 30, 0):
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="m.npz") as exc:
            load_npz(path)
        assert "corrupt" in str(exc.value)


def test_not_a_zip_file(tmp_path):
    path = tmp_path / "m.npz"
    path.write_text("this is not a checkpoint\n")
    with pytest.raises(CheckpointError, match=str(path)):
        load_npz(path)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist") as exc:
        load_npz(tmp_path / "absent.npz")
    assert "absent.npz" in str(exc.value)
    assert isinstance(exc.value, ValueError)  # CheckpointError is a ValueError


def test_required_keys(tmp_path):
    path = save_npz(tmp_path / "m.npz", {"W": np.ones(2), "b": np.ones(2)})
    assert set(load_npz(path, required=("W", "b"))) == {"W", "b"}
    with pytest.raises(CheckpointError, match=r"lacks \['c'\]"):
        load_npz(path, required=("W", "c"))


class _Evil:
    """Unpickling this object would run code; loading must refuse before that."""

    ran = []

    def __reduce__(self):
        return (_Evil.ran.append, ("unpickled!",))


def test_object_arrays_are_not_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    obj = np.empty(1, dtype=object)
    obj[0] = _Evil()
    np.savez(path, x=obj)  # np.savez pickles object arrays
    with pytest.raises((CheckpointError, ValueError)):
        load_npz(path)
    assert _Evil.ran == []
