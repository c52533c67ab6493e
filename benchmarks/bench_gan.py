"""Benchmark: mode collapse of GANs on the 2-D ring of 8 and grid of 25 Gaussians.

Protocol
--------
* Data (``tinygen.data``): ``ring`` — 8 Gaussians on the unit circle, σ = 0.01; ``grid`` —
  5 × 5 Gaussians at {−4, −2, 0, 2, 4}², σ = 0.05. These are the exact means and
  variances of PacGAN's code (Lin et al., 2018, ``synthetic_data_experiments``), whose
  2D-grid is VEEGAN's (Srivastava et al., 2017); the ring of Metz et al. (2017) and VEEGAN
  has radius 2 and σ = 0.02, the same picture scaled by 2 (σ / radius = 0.01 either way).
  100,000 training points per seed.
* Model: :class:`tinygen.models.MLPGAN` — G 2 → 128 → 128 → 128 → 2 (ReLU), z ~ N(0, I₂);
  D 2 → 128 → 128 → 128 → 1 (LeakyReLU 0.2); Adam (β₁ = 0.5), batch 256, k = 1, the
  learning-rate schedule of :data:`SETTINGS`. Three variants: ``minimax``,
  ``non_saturating``, and ``non_saturating`` + instance noise (σ₀ of :data:`SETTINGS`,
  annealed linearly to 0 over the first half of training).
* Score (:func:`tinygen.models.gan_scores.mode_coverage`): 2,500 samples; a sample is
  high-quality within 3σ of its nearest centre; a mode is recovered when it is the nearest
  centre of at least one high-quality sample (VEEGAN §5.1; PacGAN's ``MetricLogger``).
  10 seeds per variant (seed = model initialisation, data and minibatches).
* Goals (issue 18): ring — 8/8 modes with ≥ 95% high-quality samples in ≥ 9 of 10 seeds;
  grid — ≥ 24.5 modes on average with ≥ 90% high-quality samples.

The published rows (VEEGAN Table 1: 5 runs; PacGAN Table 1: 10 runs) are printed beside
ours. They were transcribed from the papers (see PUBLISHED); VEEGAN's networks, step
counts and ring size differ from ours and PacGAN's, so compare the definitions, not the
architectures.

Usage::

    python benchmarks/bench_gan.py --quick                 # 2 seeds, grid only, short (~2 min)
    python benchmarks/bench_gan.py                         # 10 seeds × 3 variants × 2 datasets
    python benchmarks/bench_gan.py --datasets ring --variants non_saturating --seeds 10
    python benchmarks/bench_gan.py --jobs 2 --json runs/bench_gan.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: (modes, high-quality fraction) as published; None where a paper does not report it.
PUBLISHED = {
    "ring": [
        ("VEEGAN T1: GAN", 1.0, 0.993),
        ("VEEGAN T1: ALI", 2.8, 0.0013),
        ("VEEGAN T1: Unrolled GAN", 7.6, 0.356),
        ("VEEGAN T1: VEEGAN", 8.0, 0.529),
        ("PacGAN T1: GAN", 6.3, 0.982),
        ("PacGAN T1: PacGAN2", 7.9, 0.956),
        ("PacGAN T1: PacGAN4", 7.8, 0.959),
    ],
    "grid": [
        ("VEEGAN T1: GAN", 3.3, 0.005),
        ("VEEGAN T1: ALI", 15.8, 0.016),
        ("VEEGAN T1: Unrolled GAN", 23.6, 0.16),
        ("VEEGAN T1: VEEGAN", 24.6, 0.40),
        ("PacGAN T1: GAN", 17.3, 0.948),
        ("PacGAN T1: PacGAN2", 23.8, 0.913),
        ("PacGAN T1: PacGAN4", 24.8, 0.936),
    ],
}

#: Training settings per dataset (shared with ``tinygen train gan --data ring|grid``):
#: generator steps, the step at which the learning rate drops, the two learning rates,
#: batch size, instance-noise σ₀ (the "+noise" variant).
from tinygen.cli.models.gan import MIXTURE_DEFAULTS as SETTINGS  # noqa: E402

QUICK = {"n_steps": 3000, "decay_at": 2000}

VARIANTS = ("minimax", "non_saturating", "non_saturating+noise")


def dataset(name, seed, n=100_000):
    """(points, centres, std) of the ring or the grid."""
    from tinygen.data import grid, ring

    if name == "ring":
        X, C = ring(n, n_modes=8, radius=1.0, std=0.01, random_state=seed)
        return X, C, 0.01
    if name == "grid":
        X, C = grid(n, side=5, spacing=2.0, std=0.05, random_state=seed)
        return X, C, 0.05
    raise ValueError(f"dataset must be 'ring' or 'grid', got {name!r}")


def lr_schedule(lr, lr_final, decay_at):
    """Step t ↦ lr before ``decay_at``, ``lr_final`` after."""
    return lambda t: lr if t < decay_at else lr_final


def build(variant, settings, seed):
    """The MLPGAN of one variant, before training."""
    from tinygen.models.gan import MLPGAN

    objective = variant.split("+")[0]
    noise = settings["noise"] if variant.endswith("+noise") else 0.0
    return MLPGAN(
        objective=objective,
        instance_noise=noise,
        noise_anneal_steps=settings["n_steps"] // 2,
        random_state=seed,
    )


def train(name, variant, seed, settings=None, quiet=True):
    """Train one GAN; returns (model, seconds)."""
    s = dict(SETTINGS[name] if settings is None else settings)
    X, _, _ = dataset(name, seed)
    gan = build(variant, s, seed)
    t0 = time.perf_counter()
    gan.fit(
        X,
        n_steps=s["n_steps"],
        batch_size=s["batch_size"],
        lr=lr_schedule(s["lr"], s["lr_final"], s["decay_at"]),
        random_state=seed,
        verbose=not quiet,
    )
    return gan, time.perf_counter() - t0


def run_one(args):
    """Train and score one (dataset, variant, seed); a JSON-able dict."""
    name, variant, seed, settings = args
    from tinygen.models.gan_scores import N_SAMPLES, mode_coverage

    gan, seconds = train(name, variant, seed, settings)
    _, C, std = dataset(name, seed, n=0)
    score = mode_coverage(gan.sample(N_SAMPLES, random_state=10_000 + seed), C, std)
    h = gan.history_
    return {
        "dataset": name,
        "variant": variant,
        "seed": seed,
        **score.as_dict(),
        "seconds": seconds,
        "final_d_real": float(np.mean(h["d_real"][-200:])),
        "final_d_fake": float(np.mean(h["d_fake"][-200:])),
    }


def summarise(results, name):
    """Per variant: mean ± std of modes and high-quality fraction, and the goal's count."""
    n_modes = 8 if name == "ring" else 25
    out = {}
    for variant in VARIANTS:
        rows = [r for r in results if r["dataset"] == name and r["variant"] == variant]
        if not rows:
            continue
        modes = np.array([r["modes"] for r in rows], float)
        hq = np.array([r["high_quality"] for r in rows], float)
        out[variant] = {
            "seeds": len(rows),
            "modes_mean": float(modes.mean()),
            "modes_std": float(modes.std()),
            "hq_mean": float(hq.mean()),
            "hq_std": float(hq.std()),
            # ring goal: all modes and ≥ 95% high quality, seed by seed
            "all_modes_hq95": int(np.sum((modes == n_modes) & (hq >= 0.95))),
            "seconds_mean": float(np.mean([r["seconds"] for r in rows])),
        }
    return out


def goal_met(summary, name):
    """Issue 18's goal for the dataset, per variant: True / False."""
    met = {}
    for variant, s in summary.items():
        if name == "ring":
            met[variant] = s["all_modes_hq95"] >= 0.9 * s["seeds"]
        else:
            met[variant] = s["modes_mean"] >= 24.5 and s["hq_mean"] >= 0.90
    return met


def format_table(summary, name):
    """The table printed for one dataset: ours, then the published rows."""
    n_modes = 8 if name == "ring" else 25
    met = goal_met(summary, name)
    lines = [
        f"{name}: modes recovered (of {n_modes}) and high-quality samples (within 3σ), "
        "2,500 samples",
        f"  {'model':34s} {'modes':>12s} {'high quality':>16s}  {'seeds ok':>8s}  goal",
    ]
    for variant, s in summary.items():
        ok = f"{s['all_modes_hq95']}/{s['seeds']}"
        lines.append(
            f"  {'tinygen ' + variant:34s} {s['modes_mean']:6.2f} ± {s['modes_std']:4.2f} "
            f"{100 * s['hq_mean']:8.1f}% ± {100 * s['hq_std']:4.1f}  {ok:>8s}  "
            f"{'met' if met[variant] else 'not met'}"
        )
    for label, modes, hq in PUBLISHED[name]:
        lines.append(f"  {label:34s} {modes:6.1f}        {100 * hq:8.1f}%")
    lines.append(
        "  (seeds ok: seeds with every mode and ≥ 95% high-quality samples; goal: "
        + ("≥ 9 of 10 such seeds)" if name == "ring" else "≥ 24.5 modes and ≥ 90% on average)")
    )
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", choices=["ring", "grid"], default=["ring", "grid"])
    p.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=None, help="generator steps (default SETTINGS)")
    p.add_argument("--jobs", type=int, default=1, help="runs in parallel processes")
    p.add_argument("--quick", action="store_true", help="2 seeds, grid, 3000 steps")
    p.add_argument("--json", type=str, default=None, help="write every run's scores here")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.datasets = (
            min(args.seeds, 2),
            ["grid"]
            if args.datasets
            == [
                "ring",
                "grid",
            ]
            else args.datasets,
        )
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    jobs = []
    for name in args.datasets:
        s = dict(SETTINGS[name])
        if args.quick:
            s.update(QUICK)
        if args.steps:
            s["decay_at"] = int(args.steps * s["decay_at"] / s["n_steps"])
            s["n_steps"] = args.steps
        for variant in args.variants:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                jobs.append((name, variant, seed, s))
    t0 = time.perf_counter()
    results = []
    if args.jobs > 1:
        from multiprocessing import Pool

        with Pool(args.jobs) as pool:
            for r in pool.imap_unordered(run_one, jobs):
                results.append(r)
                print(_one_line(r), flush=True)
    else:
        for job in jobs:
            r = run_one(job)
            results.append(r)
            print(_one_line(r), flush=True)
    print(f"\n{len(results)} runs in {time.perf_counter() - t0:.0f} s")
    summaries = {}
    for name in args.datasets:
        summaries[name] = summarise(results, name)
        print()
        print(format_table(summaries[name], name))
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"runs": results, "summary": summaries}, indent=1))
        print(f"\nwrote {path}")
    return summaries


def _one_line(r):
    return (
        f"{r['dataset']:4s} {r['variant']:22s} seed {r['seed']:2d}: {r['modes']:2d} modes, "
        f"{100 * r['high_quality']:5.1f}% HQ, D(x)={r['final_d_real']:.2f} "
        f"D(G(z))={r['final_d_fake']:.2f}, {r['seconds']:.0f} s"
    )


if __name__ == "__main__":
    main()
