"""Data: real datasets (cached, downloaded on demand) and embedded ones the code generates.

Real data (cache folder ``$TINYGEN_DATA`` or ``~/.cache/tinygen``; see :mod:`.cache`):

* :func:`binarized_mnist` — Larochelle's fixed binarization, (N, 784) uint8 0/1;
* :func:`mnist` — MNIST from the IDX files, checked against their MD5 sums.

Embedded data (offline, deterministic given ``random_state``):

* :func:`bars_and_stripes` — all n x n bar and stripe patterns;
* :func:`ring`, :func:`grid` — 2-D Gaussian mixtures with their mode centres;
* :func:`synthetic_digits` — labelled 28 x 28 digits drawn from stroke templates.

And :func:`minibatches`, the epoch iterator every training loop uses.
"""

from .batches import minibatches, n_batches
from .binarized import binarized_mnist
from .cache import DataError, DownloadError, data_dir, datasets, download, info
from .digits import synthetic_digits
from .idx import mnist
from .mixtures import grid, ring
from .patterns import bars_and_stripes

__all__ = [
    "binarized_mnist",
    "mnist",
    "bars_and_stripes",
    "ring",
    "grid",
    "synthetic_digits",
    "minibatches",
    "n_batches",
    "data_dir",
    "datasets",
    "download",
    "info",
    "DataError",
    "DownloadError",
]
