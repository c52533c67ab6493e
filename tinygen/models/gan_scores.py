r"""Scores of a GAN's samples on the 2-D mixtures: modes recovered and high-quality samples.

The definitions of VEEGAN (Srivastava et al., 2017, §5.1) and PacGAN (Lin et al., 2018,
§5; their code's ``MetricLogger``): draw 2,500 samples; assign each to its nearest mode
centre; a sample is *high quality* if it lies within three standard deviations of that
centre, ‖x − μ_nearest‖ < 3σ; the *modes recovered* are the mixture components whose
centre is nearest to at least one high-quality sample. The two numbers pull apart: a
generator that collapses onto one mode has 100% high-quality samples, one that spreads
mass evenly between the modes recovers them all with few high-quality samples.

``lessons/gan.py`` §5 and ``benchmarks/bench_gan.py`` report them.

References
----------
Srivastava, A., Valkov, L., Russell, C., Gutmann, M. U. & Sutton, C. (2017). VEEGAN:
    reducing mode collapse in GANs using implicit variational learning. NIPS.
Lin, Z., Khetan, A., Fanti, G. & Oh, S. (2018). PacGAN: the power of two samples in
    generative adversarial networks. NeurIPS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ModeCoverage", "mode_coverage", "N_SAMPLES"]

#: Samples scored per trained model in VEEGAN and PacGAN.
N_SAMPLES = 2500


@dataclass
class ModeCoverage:
    """modes : int, modes recovered; high_quality : float, fraction of high-quality samples;
    counts : int array of shape (n_modes,), high-quality samples assigned to each mode."""

    modes: int
    high_quality: float
    counts: np.ndarray

    def as_dict(self):
        return {
            "modes": int(self.modes),
            "high_quality": float(self.high_quality),
            "counts": [int(c) for c in self.counts],
        }


def mode_coverage(samples, centres, std, n_std=3.0):
    """Modes recovered and fraction of high-quality samples (VEEGAN / PacGAN definitions).

    Parameters
    ----------
    samples : array of shape (n_samples, d)
    centres : array of shape (n_modes, d)
    std : float
        σ of each (isotropic) mixture component.
    n_std : float, default 3
        The high-quality radius in units of σ.

    Returns
    -------
    ModeCoverage
    """
    S = np.asarray(samples, dtype=np.float64)
    C = np.asarray(centres, dtype=np.float64)
    if S.ndim != 2 or C.ndim != 2 or S.shape[1] != C.shape[1]:
        raise ValueError(
            f"samples (n, d) and centres (n_modes, d) must share d; got shapes {S.shape}, {C.shape}"
        )
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std!r}")
    if len(S) == 0:
        return ModeCoverage(0, 0.0, np.zeros(len(C), dtype=np.int64))
    # squared distances by ‖x‖² − 2 x·μ + ‖μ‖², one BLAS product for all pairs
    d2 = (S * S).sum(1)[:, None] - 2.0 * S @ C.T + (C * C).sum(1)[None, :]
    nearest = d2.argmin(axis=1)
    dist = np.sqrt(np.maximum(d2[np.arange(len(S)), nearest], 0.0))
    hq = dist < n_std * std
    counts = np.bincount(nearest[hq], minlength=len(C))
    return ModeCoverage(int((counts > 0).sum()), float(hq.mean()), counts)
