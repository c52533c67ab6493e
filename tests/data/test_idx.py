"""MNIST from IDX files: the real test split, checksums, header checks, errors."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from tests.conftest import require_file
from tinygen.data import DataError, DownloadError, idx, mnist
from tinygen.data.cache import md5sum
from tinygen.data.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx

TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _idx_bytes(magic: int, array: np.ndarray) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _copy_test_files(tmp_path):
    for name in TEST_FILES:
        src = require_file(f"mnist/{name}")
        (tmp_path / "mnist").mkdir(parents=True, exist_ok=True)
        shutil.copy(src, tmp_path / "mnist" / name)
    return tmp_path / "mnist"


def test_test_split_shape_dtype_values():
    for name in TEST_FILES:
        require_file(f"mnist/{name}")
    images, labels = mnist("test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.int64
    assert images.min() == 0 and images.max() == 255
    assert 30 < images.mean() < 37  # MNIST's mean grey level is about 33
    counts = np.bincount(labels, minlength=10)
    assert counts.sum() == 10000 and counts.size == 10 and counts.min() > 850
    # Known facts of the canonical test set: the first two labels are 7 and 2.
    assert labels[:2].tolist() == [7, 2]


def test_shared_files_match_published_md5():
    for name in TEST_FILES:
        assert md5sum(require_file(f"mnist/{name}")) == idx.MD5[name]


def test_md5_mismatch_names_file(tmp_path, monkeypatch):
    folder = _copy_test_files(tmp_path)
    path = folder / TEST_FILES[1]
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    with pytest.raises(DataError, match="MD5") as err:
        mnist("test")
    assert str(path) in str(err.value) and "Delete" in str(err.value)


def test_truncated_file_names_file(tmp_path, monkeypatch):
    folder = _copy_test_files(tmp_path)
    path = folder / TEST_FILES[0]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    with pytest.raises(DataError) as err:
        mnist("test")
    assert str(path) in str(err.value)


def test_read_idx_roundtrip_and_header_checks(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, 5).astype(np.uint8)
    p_img, p_lab = tmp_path / "img.gz", tmp_path / "lab.gz"
    p_img.write_bytes(gzip.compress(_idx_bytes(IMAGES_MAGIC, images)))
    p_lab.write_bytes(gzip.compress(_idx_bytes(LABELS_MAGIC, labels)))
    assert np.array_equal(read_idx(p_img, IMAGES_MAGIC, (28, 28)), images)
    assert np.array_equal(read_idx(p_lab, LABELS_MAGIC), labels)
    with pytest.raises(DataError, match="magic number is 2049, expected 2051"):
        read_idx(p_lab, IMAGES_MAGIC, (28, 28))
    p_bad = tmp_path / "short.gz"
    p_bad.write_bytes(gzip.compress(_idx_bytes(IMAGES_MAGIC, images)[:-7]))
    with pytest.raises(DataError, match="truncated") as err:
        read_idx(p_bad, IMAGES_MAGIC, (28, 28))
    assert str(p_bad) in str(err.value)
    p_shape = tmp_path / "shape.gz"
    p_shape.write_bytes(gzip.compress(_idx_bytes(IMAGES_MAGIC, images.reshape(5, 14, 56))))
    with pytest.raises(DataError, match="item shape"):
        read_idx(p_shape, IMAGES_MAGIC, (28, 28))
    p_plain = tmp_path / "plain.gz"
    p_plain.write_bytes(_idx_bytes(IMAGES_MAGIC, images))
    with pytest.raises(DataError, match="not a valid gzip"):
        read_idx(p_plain, IMAGES_MAGIC, (28, 28))


def test_missing_train_offline_names_url_and_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    dead = [(tmp_path / "no-mirror").as_uri() + "/", "http://127.0.0.1:9/mnist/"]
    monkeypatch.setattr(idx, "MIRRORS", dead)
    with pytest.raises(DownloadError) as err:
        mnist("train")
    msg = str(err.value)
    assert "TINYGEN_DATA" in msg and "train-images-idx3-ubyte.gz" in msg
    assert dead[0] + "train-images-idx3-ubyte.gz" in msg
    assert dead[1] + "train-images-idx3-ubyte.gz" in msg
    assert not list(tmp_path.rglob("*ubyte*")), "a failed download must leave no file"


def test_download_verifies_md5(tmp_path, monkeypatch):
    """Served from a local mirror, the real test files pass; a tampered one is refused."""
    mirror = _copy_test_files(tmp_path / "mirror")
    cache = tmp_path / "cache"
    monkeypatch.setenv("TINYGEN_DATA", str(cache))
    monkeypatch.setattr(idx, "MIRRORS", [mirror.as_uri() + "/"])
    images, labels = mnist("test")
    assert images.shape == (10000, 28, 28) and labels[0] == 7
    shutil.rmtree(cache)
    path = mirror / TEST_FILES[1]
    data = bytearray(path.read_bytes())
    data[20] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(DownloadError, match="MD5 mismatch"):
        mnist("test")
    assert not (cache / "mnist" / TEST_FILES[1]).exists()
    assert not list((cache / "mnist").glob("*.part"))


def test_unknown_split():
    with pytest.raises(ValueError, match="train"):
        mnist("valid")
