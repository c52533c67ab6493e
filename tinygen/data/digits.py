r"""Synthetic handwritten-looking digits that the code draws itself (offline image data).

Each digit 0-9 has one or two *stroke templates*: polylines and elliptic arcs in a unit
box (x to the right, y downwards). To draw an image, the template's points are jittered
(a smooth random wobble), scaled to a 20 x 20 box, distorted by a random linear map
and, as in MNIST, centred on the centre of ink mass in the 28 x 28 frame:

.. math::  p' = A p + c - m + t, \qquad
           A = R(\theta) \begin{pmatrix} s_x & h \\ 0 & s_y \end{pmatrix},

with rotation :math:`\theta`, scales :math:`s_x, s_y`, shear :math:`h`, :math:`c` the
frame's middle, :math:`m` the length-weighted mean of the mapped strokes' midpoints and
:math:`t` a small random shift. The ink at a pixel centre :math:`q` is
an anti-aliased pen of half-width :math:`w`,

.. math::  I(q) = \operatorname{clip}\big(w + \tfrac12 - d(q), 0, 1\big), \qquad
           d(q) = \min_{[a, b]} \lVert q - \operatorname{proj}_{[a,b]}\, q \rVert,

times a random ink level, plus a little Gaussian noise, clipped to [0, 1]. The distance
to a segment is :math:`\lVert q - a - \tau (b - a) \rVert` with
:math:`\tau = \operatorname{clip}(\langle q - a, b - a \rangle / \lVert b - a \rVert^2, 0, 1)`,
computed for all pixels and images at once (one loop over the few segments).

The classes are balanced; the same ``random_state`` gives the same images.
"""

from __future__ import annotations

import numpy as np

from ..rng import as_generator

__all__ = ["synthetic_digits", "TEMPLATES"]


def _arc(cx, cy, rx, ry, t0, t1, n=None):
    """Points of an elliptic arc from angle t0 to t1 (degrees; 90 = top, y downwards)."""
    if n is None:
        n = max(3, int(abs(t1 - t0) / 22.5) + 1)
    t = np.deg2rad(np.linspace(t0, t1, n))
    return np.stack([cx + rx * np.cos(t), cy - ry * np.sin(t)], axis=1)


def _line(*points):
    return np.asarray(points, dtype=np.float64)


def _join(*parts):
    """One polyline through several parts (arcs and lines), in order."""
    return np.concatenate([np.atleast_2d(p) for p in parts])


# Each template is a list of strokes; each stroke is an (m, 2) polyline in the unit box.
TEMPLATES: dict[int, list[list[np.ndarray]]] = {
    0: [
        [_arc(0.5, 0.5, 0.3, 0.42, 100, 460)],
        [_arc(0.5, 0.5, 0.26, 0.44, 80, 450)],
    ],
    1: [
        [_line((0.35, 0.25), (0.55, 0.06), (0.55, 0.94))],
        [_line((0.5, 0.06), (0.5, 0.94))],
    ],
    2: [
        [
            _join(
                _arc(0.5, 0.3, 0.28, 0.22, 165, -20),
                _line((0.22, 0.92), (0.82, 0.92)),
            )
        ],
        [
            _join(
                _arc(0.48, 0.3, 0.26, 0.22, 160, -10),
                _arc(0.2, 0.34, 0.54, 0.56, 0, -90, n=5),
                _line((0.82, 0.9)),
            )
        ],
    ],
    3: [
        [
            _join(
                _arc(0.48, 0.28, 0.25, 0.2, 155, -90),
                _arc(0.48, 0.7, 0.29, 0.22, 90, -155),
            )
        ],
        [
            _join(
                _line((0.25, 0.08), (0.75, 0.08), (0.45, 0.45)),
                _arc(0.48, 0.68, 0.29, 0.24, 80, -160),
            )
        ],
    ],
    4: [
        [_line((0.6, 0.06), (0.18, 0.64), (0.85, 0.64)), _line((0.64, 0.3), (0.64, 0.94))],
        [_line((0.25, 0.06), (0.22, 0.55), (0.82, 0.55)), _line((0.7, 0.06), (0.7, 0.94))],
    ],
    5: [
        [
            _join(
                _line((0.78, 0.08), (0.3, 0.08), (0.26, 0.46)),
                _arc(0.48, 0.66, 0.3, 0.25, 125, -150),
            )
        ],
        [
            _join(
                _line((0.3, 0.08), (0.26, 0.46)),
                _arc(0.48, 0.66, 0.28, 0.26, 125, -150),
            ),
            _line((0.3, 0.08), (0.78, 0.1)),
        ],
    ],
    6: [
        [
            _join(
                _arc(0.78, 0.6, 0.5, 0.55, 110, 180),
                _arc(0.5, 0.7, 0.22, 0.22, 180, 540),
            )
        ],
        [
            _join(
                _line((0.68, 0.06), (0.3, 0.55)),
                _arc(0.5, 0.7, 0.24, 0.22, 150, 510),
            )
        ],
    ],
    7: [
        [_line((0.18, 0.08), (0.82, 0.08), (0.42, 0.94))],
        [_line((0.18, 0.12), (0.82, 0.08), (0.48, 0.94)), _line((0.4, 0.5), (0.75, 0.5))],
    ],
    8: [
        [_arc(0.5, 0.28, 0.21, 0.2, -90, 270), _arc(0.5, 0.7, 0.27, 0.22, 90, 450)],
        [
            _join(
                _arc(0.5, 0.28, 0.22, 0.2, -60, 240),
                _line((0.72, 0.75)),
                _arc(0.48, 0.74, 0.24, 0.2, 0, -180),
                _line((0.7, 0.36)),
            )
        ],
    ],
    9: [
        [_join(_arc(0.48, 0.3, 0.25, 0.22, -10, 360), _line((0.66, 0.94)))],
        [_arc(0.5, 0.3, 0.24, 0.22, 0, 360), _line((0.74, 0.3), (0.74, 0.94))],
    ],
}


def _segments(template):
    """(S, 2, 2) segments [a, b] of a template's strokes."""
    return np.concatenate([np.stack([s[:-1], s[1:]], axis=1) for s in template])


_SEGMENTS = [[_segments(t) for t in TEMPLATES[d]] for d in range(10)]
_MAX_SEG = max(s.shape[0] for variants in _SEGMENTS for s in variants)


def _padded():
    """All variants as one (V, S_max, 2, 2) array with a validity mask (V, S_max)."""
    variants = [s for d in range(10) for s in _SEGMENTS[d]]
    segs = np.zeros((len(variants), _MAX_SEG, 2, 2))
    valid = np.zeros((len(variants), _MAX_SEG), dtype=bool)
    for v, s in enumerate(variants):
        segs[v, : s.shape[0]] = s
        valid[v, : s.shape[0]] = True
    digit_of = np.repeat(np.arange(10), [len(_SEGMENTS[d]) for d in range(10)])
    return segs, valid, digit_of


def _render(a, b, half_width, size):
    """Anti-aliased ink of segments a, b of shape (B, S, 2) into images (B, size, size)."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) + np.float32(0.5)
    qx, qy = xs.reshape(1, -1), ys.reshape(1, -1)  # pixel centres, (1, P)
    d2 = np.full((a.shape[0], qx.size), np.inf, dtype=np.float32)
    dx, dy, tau, tmp = (np.empty_like(d2) for _ in range(4))
    for s in range(a.shape[1]):  # a few dozen segments; everything else is vectorized
        ax, ay = a[:, s, 0:1], a[:, s, 1:2]  # (B, 1)
        abx, aby = b[:, s, 0:1] - ax, b[:, s, 1:2] - ay
        inv = 1.0 / np.maximum(abx * abx + aby * aby, np.float32(1e-12))
        np.subtract(qx, ax, out=dx)
        np.subtract(qy, ay, out=dy)
        # tau = clip(<q - a, b - a> / |b - a|^2, 0, 1): the nearest point's position
        np.multiply(dx, abx, out=tau)
        np.multiply(dy, aby, out=tmp)
        tau += tmp
        tau *= inv
        np.clip(tau, 0.0, 1.0, out=tau)
        # q - a - tau (b - a), squared length
        np.multiply(tau, abx, out=tmp)
        dx -= tmp
        np.multiply(tau, aby, out=tmp)
        dy -= tmp
        dx *= dx
        dy *= dy
        dx += dy
        np.minimum(d2, dx, out=d2)
    ink = np.sqrt(d2, out=d2)
    np.subtract(half_width[:, None].astype(np.float32) + np.float32(0.5), ink, out=ink)
    np.clip(ink, 0.0, 1.0, out=ink)
    return ink.reshape(-1, size, size)


def synthetic_digits(n: int, random_state=None, size: int = 28, noise: float = 0.03):
    """Labelled grey-level digits 0-9 drawn from stroke templates with random jitter.

    Parameters
    ----------
    n : int
        Number of images; the labels are balanced (each digit appears ``n // 10`` or
        ``n // 10 + 1`` times) in random order.
    random_state : None, int or numpy.random.Generator
        Same seed, same images (bit for bit).
    size : int
        Side of the square image (28 as in MNIST; the digit fills the central 20/28).
    noise : float
        Standard deviation of the additive Gaussian pixel noise (before clipping).

    Returns
    -------
    images : numpy.ndarray of shape (n, size, size), float32 in [0, 1]
        White ink on black, like MNIST.
    labels : numpy.ndarray of shape (n,), int64 in 0..9
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be an integer >= 0, got {n!r}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 8:
        raise ValueError(f"size must be an integer >= 8, got {size!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    n, size = int(n), int(size)
    rng = as_generator(random_state)
    segs, valid, digit_of = _padded()

    labels = rng.permutation(np.arange(n) % 10).astype(np.int64)
    # Pick a template variant of the right digit for each image.
    n_var = np.bincount(digit_of, minlength=10)
    first = np.concatenate([[0], np.cumsum(n_var)[:-1]])
    variant = first[labels] + (rng.random(n) * n_var[labels]).astype(np.int64)

    # Random affine map and pen, one per image.
    theta = np.deg2rad(rng.uniform(-15, 15, n))
    sx = rng.uniform(0.75, 1.1, n)
    sy = sx * rng.uniform(0.9, 1.1, n)
    shear = rng.uniform(-0.3, 0.3, n)
    shift = rng.normal(0.0, 0.6, (n, 2)) * size / 28
    half_width = rng.uniform(0.7, 1.6, n) * size / 28
    ink_level = rng.uniform(0.8, 1.0, n)
    # Smooth wobble: a random low-frequency displacement field over the unit box.
    wobble = rng.normal(0, 0.04, (n, 2, 3))  # per axis, weights of the 3 smooth bumps below

    cos, sin = np.cos(theta), np.sin(theta)
    R = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)  # (n, 2, 2)
    S = np.zeros((n, 2, 2))
    S[:, 0, 0], S[:, 0, 1], S[:, 1, 1] = sx, shear, sy
    A = R @ S

    p = segs[variant]  # (n, S, 2, 2) in the unit box
    u, v = p[..., 0], p[..., 1]
    bend = np.sin(np.pi * np.stack([u, v, u * v], -1))  # (n, S, 2, 3) smooth basis
    p = p + np.einsum("nsek,nck->nsec", bend, wobble)
    box = 20.0 * size / 28
    centre = np.array([size / 2, size / 2])
    p = (p - 0.5) * box  # centred pixel offsets
    p = np.einsum("nij,nsej->nsei", A, p)
    # As in MNIST, centre each digit on its centre of ink mass (length-weighted segment
    # midpoints), then move it by a small random shift.
    valid_n = valid[variant]
    length = np.linalg.norm(p[:, :, 1] - p[:, :, 0], axis=-1) * valid_n  # (n, S)
    mid = p.mean(axis=2)  # (n, S, 2)
    mass = np.einsum("ns,nsc->nc", length, mid) / np.maximum(length.sum(1), 1e-9)[:, None]
    p = p - mass[:, None, None] + centre + shift[:, None, None]
    # Padding segments (templates have fewer than S_max) go far off the frame: no ink.
    p[~valid_n] = -1e4
    p = p.astype(np.float32)

    images = np.empty((n, size, size), dtype=np.float32)
    # Render in chunks of images sorted by template, so that each chunk loops only over
    # the segments its templates have (bounded memory; every image is drawn on its own,
    # so the result does not depend on the chunking).
    by_template = np.argsort(variant, kind="stable")
    n_seg = valid_n.sum(axis=1)
    chunk = 512
    for lo in range(0, n, chunk):
        idx = by_template[lo : lo + chunk]
        m = int(n_seg[idx].max())
        images[idx] = _render(p[idx, :m, 0], p[idx, :m, 1], half_width[idx], size)
    images *= ink_level[:, None, None].astype(np.float32)
    images += np.float32(noise) * rng.standard_normal(images.shape, dtype=np.float32)
    np.clip(images, 0.0, 1.0, out=images)
    return images, labels
