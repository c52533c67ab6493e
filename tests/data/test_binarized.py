"""Binarized MNIST: the real files, the .amat parser and its errors."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.conftest import require_file
from tinygen.data import DataError, DownloadError, binarized
from tinygen.data.binarized import binarized_mnist, parse_amat


def _amat(x: np.ndarray) -> bytes:
    """Larochelle's layout: 784 values "0"/"1" separated by spaces, one row a line."""
    out = np.full((x.shape[0], 2 * x.shape[1]), ord(" "), dtype=np.uint8)
    out[:, 0::2] = x + ord("0")
    out[:, -1] = ord("\n")
    return out.tobytes()


def _store(tmp_path, monkeypatch, split, content: bytes, gz: bool = True):
    folder = tmp_path / "binarized_mnist"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"binarized_mnist_{split}.amat" + (".gz" if gz else "")
    path = folder / name
    path.write_bytes(gzip.compress(content, compresslevel=1) if gz else content)
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    return path


def test_valid_split_shape_dtype_values():
    require_file("binarized_mnist/binarized_mnist_valid.amat.gz")
    x = binarized_mnist("valid")
    assert x.shape == (10000, 784)
    assert x.dtype == np.uint8
    assert set(np.unique(x)) == {0, 1}
    # About 13% of binarized MNIST pixels are on; every image has some ink.
    assert 0.10 < x.mean() < 0.16
    assert x.sum(axis=1).min() > 20
    # Images look like digits: the border is almost always off, the centre often on.
    img = x.reshape(-1, 28, 28)
    assert img[:, 0, :].mean() < 0.01 and img[:, 14, 14].mean() > 0.2


def test_train_split_shape_and_not_a_copy_of_valid():
    require_file("binarized_mnist/binarized_mnist_train.amat.gz")
    x = binarized_mnist("train")
    assert x.shape == (50000, 784) and x.dtype == np.uint8
    assert x.max() == 1 and 0.10 < x.mean() < 0.16
    assert len(np.unique(x[:500], axis=0)) == 500


def test_unknown_split():
    with pytest.raises(ValueError, match="valid"):
        binarized_mnist("validation")


@given(hnp.arrays(np.uint8, st.tuples(st.integers(1, 6), st.just(784)), elements=st.integers(0, 1)))
def test_parse_roundtrip(x):
    assert np.array_equal(parse_amat(_amat(x)), x)


@given(
    hnp.arrays(np.uint8, st.tuples(st.integers(1, 4), st.just(784)), elements=st.integers(0, 1)),
    st.sampled_from([b"  ", b"\t", b" \r"]),
)
def test_parse_irregular_spacing_uses_general_path(x, sep):
    text = b"".join(sep.join(b"%d" % v for v in row) + b" \r\n\n" for row in x)
    assert np.array_equal(parse_amat(text), x)


def test_plain_and_gz_files_read_alike(tmp_path, monkeypatch):
    x = (np.random.default_rng(0).random((10000, 784)) < 0.13).astype(np.uint8)
    path = _store(tmp_path, monkeypatch, "test", _amat(x), gz=False)
    assert np.array_equal(binarized_mnist("test"), x)
    path.unlink()
    _store(tmp_path, monkeypatch, "test", _amat(x), gz=True)
    assert np.array_equal(binarized_mnist("test"), x)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda t: t.replace(b"0", b"2", 1), "line 1 holds b'2'"),
        (lambda t: t.replace(b"0 ", b"0.5 ", 1), "line 1 holds b'.'"),
        (lambda t: t.replace(b"0 0", b"00", 1), "not a single 0 or 1"),
        (lambda t: t[: len(t) // 2], "values, expected 784"),
        (lambda t: t[: 2 * 1568], "has 2 rows, expected 3"),
        (lambda t: t.replace(b" 1\n", b"\n", 1), "values, expected 784"),
    ],
)
def test_parse_malformed(mutate, message):
    x = np.zeros((3, 784), np.uint8)
    x[:, -1] = 1
    with pytest.raises(DataError, match=message) as err:
        parse_amat(mutate(_amat(x)), "some/file.amat", n_rows=3)
    assert "some/file.amat" in str(err.value) and "re-download" in str(err.value)


def test_truncated_gzip_copy_names_file(tmp_path, monkeypatch):
    src = require_file("binarized_mnist/binarized_mnist_valid.amat.gz")
    dst = tmp_path / "binarized_mnist" / src.name
    dst.parent.mkdir()
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 3])
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    with pytest.raises(DataError, match="truncated") as err:
        binarized_mnist("valid")
    assert str(dst) in str(err.value) and "TINYGEN_DATA" in str(err.value)


def test_file_with_missing_rows_names_file(tmp_path, monkeypatch):
    x = np.ones((9999, 784), np.uint8)
    path = _store(tmp_path, monkeypatch, "valid", _amat(x))
    with pytest.raises(DataError, match="9999 rows, expected 10000") as err:
        binarized_mnist("valid")
    assert str(path) in str(err.value)


def test_missing_file_offline_names_url_and_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    missing = tmp_path / "nowhere"
    monkeypatch.setattr(binarized, "MIRRORS", [missing.as_uri() + "/"])
    with pytest.raises(DownloadError) as err:
        binarized_mnist("test")
    msg = str(err.value)
    assert "TINYGEN_DATA" in msg and "binarized_mnist_test.amat" in msg
    assert (missing.as_uri() + "/binarized_mnist_test.amat") in msg
    assert not list(tmp_path.rglob("*.amat*")), "a failed download must leave no file"


def test_missing_file_with_offline_flag(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    monkeypatch.setenv("TINYGEN_OFFLINE", "1")
    with pytest.raises(DownloadError) as err:
        binarized_mnist("test")
    msg = str(err.value)
    assert "TINYGEN_DATA" in msg
    assert "http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/" in msg


def test_downloads_from_mirror_when_absent(tmp_path, monkeypatch):
    x = (np.random.default_rng(1).random((10000, 784)) < 0.5).astype(np.uint8)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "binarized_mnist_test.amat").write_bytes(_amat(x))
    cache = tmp_path / "cache"
    monkeypatch.setenv("TINYGEN_DATA", str(cache))
    monkeypatch.setattr(binarized, "MIRRORS", [mirror.as_uri() + "/"])
    assert np.array_equal(binarized_mnist("test"), x)
    assert (cache / "binarized_mnist" / "binarized_mnist_test.amat").is_file()
    # The cached copy is used as is from now on, even with the mirror gone.
    shutil.rmtree(mirror)
    assert np.array_equal(binarized_mnist("test"), x)
