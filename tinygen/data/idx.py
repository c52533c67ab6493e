"""MNIST from the canonical IDX files, verified against their published MD5 sums.

The IDX format (LeCun et al.) is a big-endian header followed by raw values: the magic
number ``0x00 0x00 <type> <ndim>`` (type ``0x08`` = unsigned byte), then ``ndim`` sizes
as 32-bit integers. Images are ``0x00000803`` (2051) with sizes (N, 28, 28); labels are
``0x00000801`` (2049) with size (N,).

References
----------
.. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to
   document recognition", Proc. IEEE 86(11), 1998. http://yann.lecun.com/exdb/mnist/
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from .cache import (
    DataError,
    RemoteFile,
    bad_gzip_error,
    corrupt_file_hint,
    fetch,
    md5sum,
    register,
)

__all__ = ["mnist", "read_idx", "MIRRORS", "MD5"]

#: Base URLs tried in order: LeCun's original site, then the mirrors torchvision uses.
MIRRORS = [
    "http://yann.lecun.com/exdb/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]
#: Published MD5 digests of the four gzipped files.
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
SPLITS = {"train": ("train", 60000), "test": ("t10k", 10000)}
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049


def _remote(name: str) -> RemoteFile:
    return RemoteFile(relpath=f"mnist/{name}", urls=tuple(m + name for m in MIRRORS), md5=MD5[name])


def _files() -> list[RemoteFile]:
    return [_remote(name) for name in MD5]


register("mnist", _files)


def read_idx(path: str | Path, magic: int, shape_tail: tuple[int, ...] = ()) -> np.ndarray:
    """Read a gzipped unsigned-byte IDX file into an array of shape (N, *shape_tail).

    Checks the magic number, the number of dimensions, the trailing sizes and that the
    payload holds exactly ``prod(sizes)`` bytes.

    Raises
    ------
    DataError
        Naming the file and how to fix it, on any mismatch or a broken gzip stream.
    """
    path = Path(path)
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise bad_gzip_error(path, exc) from None
    ndim = 1 + len(shape_tail)
    header = 4 + 4 * ndim
    found = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if found != magic:
        raise DataError(
            f"{path}: IDX magic number is {found}, expected {magic}; wrong or corrupt file. "
            + corrupt_file_hint(path)
        )
    if len(data) < header:
        raise DataError(f"{path}: too short for an IDX header. {corrupt_file_hint(path)}")
    sizes = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if sizes[1:] != tuple(shape_tail):
        raise DataError(
            f"{path}: item shape {sizes[1:]}, expected {shape_tail}. {corrupt_file_hint(path)}"
        )
    expected = int(np.prod(sizes))
    if len(data) - header != expected:
        raise DataError(
            f"{path}: holds {len(data) - header} bytes of data, its header promises "
            f"{expected}; the file is truncated or corrupt. {corrupt_file_hint(path)}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(sizes).copy()


def _verified(rf: RemoteFile) -> Path:
    path = fetch(rf)
    digest = md5sum(path)
    if digest != rf.md5:
        raise DataError(
            f"{path}: MD5 {digest} differs from the published {rf.md5}; the file is "
            f"corrupt or not the canonical one. {corrupt_file_hint(path)}"
        )
    return path


def mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST grey-level digits and their labels.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 or 10,000 examples, from ``<data_dir>/mnist/{train,t10k}-*-ubyte.gz``
        (downloaded when absent; every load checks the published MD5 sum).

    Returns
    -------
    images : numpy.ndarray of shape (n_samples, 28, 28), uint8 in 0..255
    labels : numpy.ndarray of shape (n_samples,), int64 in 0..9

    Raises
    ------
    DataError
        A file is corrupt (MD5, gzip, magic number or size), naming it and the fix; or it
        is absent and cannot be downloaded (naming ``TINYGEN_DATA`` and the URL).

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning
       applied to document recognition", Proc. IEEE 86(11), 1998.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    prefix, n = SPLITS[split]
    img_path = _verified(_remote(f"{prefix}-images-idx3-ubyte.gz"))
    lab_path = _verified(_remote(f"{prefix}-labels-idx1-ubyte.gz"))
    images = read_idx(img_path, IMAGES_MAGIC, (28, 28))
    labels = read_idx(lab_path, LABELS_MAGIC).astype(np.int64)
    if images.shape[0] != n or labels.shape[0] != n:
        raise DataError(
            f"{img_path} and {lab_path} hold {images.shape[0]} images and {labels.shape[0]} "
            f"labels, expected {n} each. {corrupt_file_hint(img_path)}"
        )
    if labels.max(initial=0) > 9:
        raise DataError(f"{lab_path}: labels outside 0..9. {corrupt_file_hint(lab_path)}")
    return images, labels
