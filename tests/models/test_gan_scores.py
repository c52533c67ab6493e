"""The mode-coverage score of the 2-D benchmarks, and benchmarks/bench_gan.py's tables."""

import sys
from pathlib import Path

import numpy as np
import pytest

from tinygen.data import grid, ring
from tinygen.models.gan_scores import mode_coverage

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_gan  # noqa: E402


def test_data_samples_score_all_modes_and_about_99_7_percent():
    """Samples of the mixture itself: every mode, and the χ²₂ mass within 3σ, 1 − e^{−9/2}."""
    X, C = grid(20000, random_state=0)
    s = mode_coverage(X, C, 0.05)
    assert s.modes == 25
    assert s.high_quality == pytest.approx(1 - np.exp(-4.5), abs=0.002)
    assert s.counts.sum() == round(s.high_quality * len(X))
    X, C = ring(20000, random_state=1)
    assert mode_coverage(X, C, 0.01).modes == 8


def test_a_collapsed_generator_has_one_mode_and_all_high_quality():
    X, C = ring(2500, random_state=0)
    collapsed = np.repeat(C[3:4], 2500, axis=0) + 0.001
    s = mode_coverage(collapsed, C, 0.01)
    assert s.modes == 1 and s.high_quality == 1.0
    assert s.counts[3] == 2500 and s.counts.sum() == 2500


def test_samples_between_modes_recover_nothing():
    _, C = ring(0)
    mid = 0.5 * (C + np.roll(C, 1, axis=0))  # half-way between neighbours: far beyond 3σ
    s = mode_coverage(np.repeat(mid, 100, axis=0), C, 0.01)
    assert s.modes == 0 and s.high_quality == 0.0


def test_the_radius_is_three_sigma_exactly():
    C = np.zeros((1, 2))
    pts = np.array([[0.0299, 0.0], [0.0301, 0.0], [0.0, -0.0299]])
    s = mode_coverage(pts, C, 0.01)
    assert s.high_quality == pytest.approx(2 / 3) and s.modes == 1
    assert mode_coverage(pts, C, 0.01, n_std=4).high_quality == 1.0


def test_a_mode_counts_only_through_its_nearest_high_quality_samples():
    C = np.array([[0.0, 0.0], [1.0, 0.0]])
    # one good sample at mode 0, one bad sample nearest mode 1: only mode 0 recovered
    s = mode_coverage(np.array([[0.0, 0.001], [0.6, 0.0]]), C, 0.01)
    assert s.modes == 1 and list(s.counts) == [1, 0]


def test_bad_shapes_and_std():
    with pytest.raises(ValueError, match="share d"):
        mode_coverage(np.zeros((3, 2)), np.zeros((4, 3)), 0.1)
    with pytest.raises(ValueError, match="std"):
        mode_coverage(np.zeros((3, 2)), np.zeros((4, 2)), 0.0)
    assert mode_coverage(np.zeros((0, 2)), np.zeros((4, 2)), 0.1).modes == 0


# ----------------------------------------------------------- the benchmark's bookkeeping
def _run(name, variant, seed, modes, hq):
    return dict(dataset=name, variant=variant, seed=seed, modes=modes, high_quality=hq, seconds=1)


def test_bench_datasets_have_the_published_geometry():
    X, C, std = bench_gan.dataset("grid", 0, n=10)
    assert std == 0.05 and C.shape == (25, 2)
    assert sorted(set(np.round(C[:, 0], 6))) == [-4, -2, 0, 2, 4]
    X, C, std = bench_gan.dataset("ring", 0, n=10)
    assert std == 0.01 and C.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(C, axis=1), 1.0, rtol=1e-6)


def test_bench_summary_and_goals():
    runs = [_run("ring", "non_saturating", s, 8, 0.96) for s in range(9)]
    runs += [_run("ring", "non_saturating", 9, 7, 0.99)]
    runs += [_run("ring", "minimax", s, 8, 0.94) for s in range(10)]
    summ = bench_gan.summarise(runs, "ring")
    assert summ["non_saturating"]["all_modes_hq95"] == 9
    assert summ["non_saturating"]["modes_mean"] == pytest.approx(7.9)
    assert summ["minimax"]["all_modes_hq95"] == 0  # 94% < 95% in every seed
    met = bench_gan.goal_met(summ, "ring")
    assert met == {"minimax": False, "non_saturating": True}
    grid_runs = [_run("grid", "non_saturating", s, 25 if s else 23, 0.92) for s in range(10)]
    gs = bench_gan.summarise(grid_runs, "grid")
    assert gs["non_saturating"]["modes_mean"] == pytest.approx(24.8)
    assert bench_gan.goal_met(gs, "grid") == {"non_saturating": True}
    table = bench_gan.format_table(gs, "grid")
    assert "PacGAN4" in table and "VEEGAN" in table and "met" in table


def test_bench_lr_schedule_and_variants():
    f = bench_gan.lr_schedule(1e-3, 2e-4, 10)
    assert f(0) == f(9) == 1e-3 and f(10) == f(99) == 2e-4
    s = dict(bench_gan.SETTINGS["ring"])
    g = bench_gan.build("non_saturating+noise", s, 0)
    assert g.objective == "non_saturating" and g.instance_noise == s["noise"]
    assert bench_gan.build("minimax", s, 0).instance_noise == 0.0
    assert bench_gan.build("minimax", s, 0).pack == 1
    packed = bench_gan.build("non_saturating+pack4", s, 0)
    assert packed.pack == 4 and packed.instance_noise == 0.0
    assert packed.discriminator.net[0].in_features == 8
