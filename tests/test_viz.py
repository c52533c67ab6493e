"""``tinygen.viz``: every function writes a valid PNG for every input layout."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread

from tinygen import Tensor
from tinygen.viz import filters_grid, image_grid, scatter_2d, tile_images, training_curves

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RNG = np.random.default_rng(0)


def assert_png(path, returned):
    """``returned`` is the Path written, a real PNG, and no temp file is left beside it."""
    assert returned == path
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    img = imread(path)
    assert img.ndim == 3 and img.shape[2] in (3, 4) and min(img.shape[:2]) >= 8
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    return img


LAYOUTS = {
    "NHW": (RNG.random((6, 5, 7)), {}),
    "ND_square": (RNG.random((5, 16)), {}),
    "ND_shape": (RNG.random((5, 12)), {"shape": (3, 4)}),
    "N1HW": (RNG.random((4, 1, 6, 6)), {}),
    "N3HW": (RNG.random((4, 3, 6, 6)), {}),
    "NHW3": (RNG.random((4, 6, 6, 3)), {}),
    "tensor": (Tensor(RNG.random((4, 8, 8)).astype(np.float32)), {}),
    "uint8_binary": (RNG.integers(0, 2, (10, 9)).astype(np.uint8), {}),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_image_grid_layouts(tmp_path, layout):
    images, kwargs = LAYOUTS[layout]
    path = tmp_path / "deep" / "er" / f"{layout}.png"  # parents are created
    assert_png(path, image_grid(images, path, title=layout, **kwargs))


def test_image_grid_is_a_pixel_exact_tiling(tmp_path):
    # black and white images tile into a grid whose pixel values are exactly 0 and 1,
    # separated by the grey pad value
    x = np.zeros((4, 3, 3))
    x[1] = x[3] = 1.0
    grid = tile_images(x, nrow=2, pad=1)
    assert grid.shape == (2 * 4 + 1, 2 * 4 + 1, 1)
    np.testing.assert_array_equal(grid[1:4, 1:4, 0], 0.0)
    np.testing.assert_array_equal(grid[1:4, 5:8, 0], 1.0)
    np.testing.assert_array_equal(grid[5:8, 5:8, 0], 1.0)
    assert np.all(grid[0, :, 0] == 0.5) and np.all(grid[:, 4, 0] == 0.5)
    # clipped to [0, 1]; nrow caps the columns; incomplete last row is padded
    g = tile_images(np.full((5, 2, 2), 3.0), nrow=3, pad=0)
    assert g.shape == (4, 6, 1) and g.max() == 1.0 and g[2:, 4:, 0].tolist() == [[0.5] * 2] * 2


@pytest.mark.parametrize(
    "images, kwargs, match",
    [
        (np.zeros((3, 10)), {}, "shape=\\(H, W\\)"),
        (np.zeros((3, 10)), {"shape": (3, 4)}, "holds 12 pixels"),
        (np.zeros((3, 2, 5, 5)), {}, "C = 1 or 3"),
        (np.zeros((0, 4, 4)), {}, "empty"),
        (np.full((2, 4, 4), np.nan), {}, "NaN"),
        (np.zeros(5), {}, "images must be"),
    ],
)
def test_image_grid_rejects_bad_input_clearly(tmp_path, images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        image_grid(images, tmp_path / "x.png", **kwargs)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


@pytest.mark.parametrize("orientation", ["out_in", "in_out"])
def test_filters_grid(tmp_path, orientation):
    W = RNG.standard_normal((10, 36))  # 10 filters of 6x6
    W[3] = 2.0  # a constant filter is drawn mid-grey, not a division by zero
    W = W if orientation == "out_in" else W.T
    path = tmp_path / "f" / "filters.png"
    assert_png(path, filters_grid(W, path, shape=(6, 6), n_filters=8, title="filters"))


def test_filters_grid_wrong_shape(tmp_path):
    with pytest.raises(ValueError, match="length 36"):
        filters_grid(np.zeros((5, 20)), tmp_path / "f.png", shape=(6, 6))


def test_training_curves(tmp_path):
    curves = {
        "train": [3.0, 2.0, 1.5, 1.2],
        "valid": (np.array([2, 4]), np.array([2.1, 1.4])),
        "pairs": np.array([[1, 2.5], [3, 1.9]]),
        "tensor": Tensor([2.0, 1.0, np.nan, 0.5]),
    }
    path = tmp_path / "c" / "curves.png"
    assert_png(path, training_curves(curves, path, ylabel="loss", title="t", logy=True))


@pytest.mark.parametrize(
    "curves, match",
    [({}, "non-empty"), ({"a": np.zeros((3, 3))}, "curve 'a'"), ({"a": ([1, 2], [1])}, "x has")],
)
def test_training_curves_bad_input(tmp_path, curves, match):
    with pytest.raises(ValueError, match=match):
        training_curves(curves, tmp_path / "c.png")


def test_scatter_2d(tmp_path):
    pts = RNG.standard_normal((300, 2)).astype(np.float32)
    centres = np.array([[0.0, 0.0], [1.0, 1.0]])
    p1 = tmp_path / "s" / "one.png"
    assert_png(p1, scatter_2d(pts, p1, centres=centres, title="ring"))
    p2 = tmp_path / "s" / "two.png"
    sets = {"data": pts, "model": Tensor(pts[:50] + 1)}
    assert_png(p2, scatter_2d(sets, p2, centres=centres, lim=3.0))
    p3 = tmp_path / "s" / "three.png"
    assert_png(p3, scatter_2d(pts, p3, lim=(-2, 2)))


def test_scatter_2d_bad_shape(tmp_path):
    with pytest.raises(ValueError, match=r"\(n_points, 2\)"):
        scatter_2d(np.zeros((10, 3)), tmp_path / "s.png")
    with pytest.raises(ValueError, match="centres"):
        scatter_2d(np.zeros((10, 2)), tmp_path / "s.png", centres=np.zeros(4))


def test_str_path_and_distinct_content(tmp_path):
    a = image_grid(np.zeros((4, 4, 4)), str(tmp_path / "a.png"))
    b = image_grid(np.ones((4, 4, 4)), str(tmp_path / "b.png"))
    assert a == tmp_path / "a.png"
    ia, ib = imread(a), imread(b)
    assert ia.shape == ib.shape and not np.array_equal(ia, ib)
