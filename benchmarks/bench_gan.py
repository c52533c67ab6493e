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
  learning-rate schedule of :data:`SETTINGS`. Three variants by default: ``minimax``,
  ``non_saturating``, and ``non_saturating`` + instance noise (σ₀ of :data:`SETTINGS`,
  annealed linearly to 0 over the first half of training); ``--variants`` adds PacGAN's
  packed discriminators (``+pack2``, ``+pack4``: D judges m samples at once, its first
  layer m times as wide, with m × the batch of samples per step).
* Score (:func:`tinygen.models.gan_scores.mode_coverage`): 2,500 samples; a sample is
  high-quality within 3σ of its nearest centre; a mode is recovered when it is the nearest
  centre of at least one high-quality sample (VEEGAN §5.1; PacGAN's ``MetricLogger``).
  10 seeds per variant (seed = model initialisation, data and minibatches).
* Goals (issue 18): ring — 8/8 modes with ≥ 95% high-quality samples in ≥ 9 of 10 seeds;
  grid — ≥ 24.5 modes on average with ≥ 90% high-quality samples.

The published rows (VEEGAN Table 1: 5 runs; PacGAN Table 1: 10 runs) are printed beside
ours. VEEGAN's networks, step counts and ring size differ from ours and PacGAN's, so
compare the definitions, not the architectures. NOTE: the rows of PUBLISHED are *not yet
checked against the papers*: they were written down without the papers at hand, and the
sources reachable offline (the VEEGAN project page, PacGAN's repository README) hold both
tables only as images. Check them against Srivastava et al. (2017), Table 1, and Lin et
al. (2018), Table 1, before quoting them.

Usage::

    python benchmarks/bench_gan.py --quick                 # 2 seeds, grid only, short (~2 min)
    python benchmarks/bench_gan.py                         # 10 seeds × 3 variants × 2 datasets
    python benchmarks/bench_gan.py --datasets ring --variants non_saturating --seeds 10
    python benchmarks/bench_gan.py --jobs 2 --json runs/bench_gan.json
    python benchmarks/bench_gan.py --dcgan-speed           # DCGAN iteration vs PyTorch (~40 s)
    python benchmarks/bench_gan.py --datasets grid --variants non_saturating+pack4
    OPENBLAS_NUM_THREADS=2 python benchmarks/bench_gan.py --mnist --time-budget 2400
    OPENBLAS_NUM_THREADS=2 python benchmarks/bench_gan.py --mnist --pack 2   # PacGAN2

``--dcgan-speed`` times one DCGAN training iteration (``GAN.fit``'s D step and G step,
Adam, batch 64 of 28 × 28, width 64) in tinygen and the same architecture in PyTorch CPU,
in alternating rounds with PyTorch in a process of its own (``_common.best_of_pair``:
the median over rounds of the per-round speed ratio).
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
#: Unverified transcriptions (see the module docstring): printed marked as such.
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

#: The default variants, then PacGAN's packed discriminators (Lin et al., 2018): ``+pack2``
#: and ``+pack4`` judge 2 or 4 samples at a time, with batch × m samples per step so that
#: D sees as many inputs (packs) per step as the unpacked GAN.
DEFAULT_VARIANTS = ("minimax", "non_saturating", "non_saturating+noise")
VARIANTS = (*DEFAULT_VARIANTS, "non_saturating+pack2", "non_saturating+pack4", "minimax+pack2",
            "feature_matching")


def _pack(variant):
    """m of a ``+packm`` variant; 1 for the others."""
    tail = variant.split("+")[-1]
    return int(tail[4:]) if tail.startswith("pack") else 1


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
        pack=_pack(variant),
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
        batch_size=s["batch_size"] * gan.pack,
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
        lines.append(f"  {label + ' *':34s} {modes:6.1f}        {100 * hq:8.1f}%")
    lines.append("  (* published rows, transcribed but not yet checked against the papers)")
    lines.append(
        "  (seeds ok: seeds with every mode and ≥ 95% high-quality samples; goal: "
        + ("≥ 9 of 10 such seeds)" if name == "ring" else "≥ 24.5 modes and ≥ 90% on average)")
    )
    return "\n".join(lines)


# ------------------------------------------------------------------ DCGAN iteration speed
#: The timed DCGAN: width 64, z of 64, batch 64 of 28 × 28 (``tinygen.models.DCGAN``'s
#: defaults, the MNIST run's settings).
SPEED_BATCH, SPEED_WIDTH, SPEED_LATENT = 64, 64, 64


def _speed_data(steps):
    """``steps`` batches of binary 28 × 28 images (the same arrays in either process)."""
    rng = np.random.default_rng(0)
    return (rng.random((steps * SPEED_BATCH, 1, 28, 28)) < 0.3).astype(np.float32)


def torch_dcgan_runner(steps, threads=None):
    """One round of ``steps`` DCGAN iterations in PyTorch (CPU, float32), warmed up; None
    without torch. The same architecture as :class:`tinygen.models.DCGAN`, the same two
    Adam steps per iteration as ``GAN.fit`` (D on data and detached samples; then G
    through D), the non-saturating losses from logits."""
    from _common import try_torch

    torch = try_torch()
    if torch is None:
        return None
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    tn, w, nz = torch.nn, SPEED_WIDTH, SPEED_LATENT
    G = tn.Sequential(
        tn.Linear(nz, 2 * w * 49), tn.BatchNorm1d(2 * w * 49), tn.ReLU(),
        tn.Unflatten(1, (2 * w, 7, 7)),
        tn.ConvTranspose2d(2 * w, w, 4, 2, 1), tn.BatchNorm2d(w), tn.ReLU(),
        tn.ConvTranspose2d(w, 1, 4, 2, 1), tn.Sigmoid(),
    )  # fmt: skip
    D = tn.Sequential(
        tn.Conv2d(1, w, 4, 2, 1), tn.LeakyReLU(0.2),
        tn.Conv2d(w, 2 * w, 4, 2, 1), tn.BatchNorm2d(2 * w), tn.LeakyReLU(0.2),
        tn.Flatten(), tn.Linear(2 * w * 49, 1),
    )  # fmt: skip
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    X = torch.from_numpy(_speed_data(steps))
    softplus, bs = torch.nn.functional.softplus, SPEED_BATCH

    def trun():
        for i in range(steps):
            xb = X[i * bs : (i + 1) * bs]
            with torch.no_grad():
                fake = G(torch.randn(bs, nz))
            loss_d = softplus(-D(xb)).mean() + softplus(D(fake)).mean()
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            for p in D.parameters():
                p.requires_grad_(False)
            loss_g = softplus(-D(G(torch.randn(bs, nz)))).mean()
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            for p in D.parameters():
                p.requires_grad_(True)
            loss_d.item(), loss_g.item()  # GAN.fit reads both losses every step

    trun()
    return trun


def _tinygen_dcgan_round(steps):
    """A callable running ``steps`` iterations of ``DCGAN.fit`` (k = 1, batch 64), warmed up."""
    from tinygen.models.dcgan import DCGAN

    gan = DCGAN(n_latent=SPEED_LATENT, width=SPEED_WIDTH, random_state=0)
    X = _speed_data(steps)
    seeds = iter(range(1_000_000))

    def run():
        gan.fit(X, n_steps=steps, batch_size=SPEED_BATCH, lr=2e-4, random_state=next(seeds))

    run()
    return run


def dcgan_speed(steps=4, rounds=9, threads=None, same_process=False):
    """DCGAN training iterations per second: tinygen beside PyTorch CPU (alternating rounds,
    PyTorch in a process of its own).

    Returns a dict of the figures (iterations/s and the median per-round ratios)."""
    from _common import (
        best_of_pair,
        host_gflops,
        peer_runner,
        peer_setup,
        quartiles,
        report,
        try_torch,
    )

    torch = try_torch()
    print(f"numpy {np.__version__}; torch {torch.__version__ if torch else 'not installed'}")
    if torch is not None:
        print(peer_setup(same_process))
    print(f"host check: 1024² sgemm {host_gflops():.0f} GFLOPS at the start")
    print(
        f"DCGAN iteration = one D step + one G step (Adam), batch {SPEED_BATCH} of 28×28, "
        f"width {SPEED_WIDTH}, z {SPEED_LATENT}; {steps} iterations per round"
    )
    out = {}
    ours = _tinygen_dcgan_round(steps)
    rounds_r = []
    with peer_runner(same_process, "bench_gan", "torch_dcgan_runner", steps, threads) as peer:
        t_ours, t_peer, ratio = best_of_pair(ours, peer, rounds, ratios=rounds_r)
    out["tinygen_it_s"] = steps / t_ours
    out["torch_it_s"] = None if t_peer is None else steps / t_peer
    # ratio here = tinygen speed / PyTorch speed = median of t_peer / t_ours
    out["ratio_vs_torch"] = ratio
    report(
        "DCGAN iteration (batch 64)", steps / t_ours, "it/s",
        None if t_peer is None else steps / t_peer,
        ratio=ratio, spread=quartiles(rounds_r)[::2] if rounds_r else None,
    )  # fmt: skip
    print(f"host check: 1024² sgemm {host_gflops():.0f} GFLOPS at the end")
    return out


# ------------------------------------------------------------------------ MNIST DCGAN
#: The MNIST run: DCGAN defaults (width 64, z of 64, non-saturating), Adam 2e-4 (β₁ = 0.5),
#: batch 64, on the 50,000 binarized MNIST training images, for a wall-clock budget.
MNIST_SETTINGS = dict(width=64, n_latent=64, lr=2e-4, batch_size=64, n_score=10_000)


def _ceiling(clf, reference):
    """The scores of real images: the 2,000 held-out MNIST test images (binarized, never
    seen by the classifier or the DCGAN) and 10,000 binarized training images (the
    DCGAN's own data; the same count as the samples, for the Fréchet distance)."""
    from tinygen.data import binarized_mnist
    from tinygen.models.classifier_scores import classifier_score
    from tinygen.models.mnist_classifier import binarize, classifier_split

    _, (H, h) = classifier_split()
    Hb = binarize(H, random_state=0)
    train = binarized_mnist("train")[: MNIST_SETTINGS["n_score"]].astype(np.float32)
    return {
        "held_out_accuracy": clf.accuracy(Hb, h),
        "real_test_2000": classifier_score(clf, Hb, reference).as_dict(),
        "real_train_10000": classifier_score(
            clf, train.reshape(-1, 1, 28, 28), reference
        ).as_dict(),
    }


def _score_samples(gan, clf, reference, n, seed, ema=None):
    """Scores of ``n`` samples, and of their first 2,000 (the ceiling's count).

    ``ema``: as :meth:`GAN.sample`'s (None: the averaged generator when the GAN has one).
    """
    from tinygen.models.classifier_scores import classifier_score

    S = gan.sample(n, random_state=seed, ema=ema)
    out = {f"samples_{n}": classifier_score(clf, S, reference).as_dict()}
    if n > 2000:
        out["samples_2000"] = classifier_score(clf, S[:2000], reference).as_dict()
    gan.train()
    return out, S


def _score_line(name, s):
    fd = "" if s["frechet"] is None else f", Fréchet {s['frechet']:8.2f}"
    return (
        f"  {name:34s} classes {s['classes_covered']:2d}/10, KL to uniform "
        f"{s['kl_uniform']:.4f}{fd}  (n = {s['n']})"
    )


def mnist_run(time_budget=2400.0, out="runs/bench_gan_mnist", seed=0, score_every=3000,
              noise=0.0, noise_anneal_steps=None, pack=1, ema_decay=None, reuse_fake=False,
              objective="non_saturating"):
    """Train the DCGAN on binarized MNIST for ``time_budget`` seconds and score it.

    Writes under ``out``: ``gan.npz`` (+ config; every 1,000 steps), ``samples.png`` (a
    grid of 100 samples), ``mnist.json`` (the scores, the ceiling and the trajectory) and
    ``mnist_classifier.npz`` (the scoring classifier, trained on first use, ~1 min).
    With ``ema_decay`` the samples come from the averaged generator, and the trained
    generator's samples (the same z) are scored beside them as ``live_samples_*``.
    """
    from tinygen.data import binarized_mnist
    from tinygen.models.classifier_scores import gaussian_fit
    from tinygen.models.dcgan import DCGAN
    from tinygen.models.mnist_classifier import MNISTClassifier
    from tinygen.viz import image_grid

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    s = MNIST_SETTINGS
    t0 = time.perf_counter()
    clf = MNISTClassifier.trained(out / "mnist_classifier.npz")
    # reference features: the 10,000 binarized MNIST validation images (real digits that
    # neither the DCGAN nor the classifier trained on)
    valid = binarized_mnist("valid").astype(np.float32).reshape(-1, 1, 28, 28)
    reference = gaussian_fit(clf.predict_and_features(valid)[1])
    ceiling = _ceiling(clf, reference)
    print(
        f"classifier ready in {time.perf_counter() - t0:.0f} s; held-out accuracy "
        f"{100 * ceiling['held_out_accuracy']:.2f}%",
        flush=True,
    )
    X = binarized_mnist("train").astype(np.float32).reshape(-1, 1, 28, 28)
    gan = DCGAN(n_latent=s["n_latent"], width=s["width"], objective=objective,
                instance_noise=noise,
                noise_anneal_steps=noise_anneal_steps, pack=pack, ema_decay=ema_decay,
                random_state=seed)
    trajectory = []

    def callback(step, m):
        h = m.history_
        line = {
            "step": step,
            "seconds": h["time"][-1],
            "d_real": float(np.mean(h["d_real"][-500:])),
            "d_fake": float(np.mean(h["d_fake"][-500:])),
            "g_loss": float(np.mean(h["g_loss"][-500:])),
        }
        msg = (
            f"step {step:6d}  {line['seconds']:6.0f} s  D(x) {line['d_real']:.2f}  "
            f"D(G(z)) {line['d_fake']:.2f}  L_G {line['g_loss']:.2f}"
        )
        if step % score_every == 0:
            sc, _ = _score_samples(m, clf, reference, 2000, 10_000 + seed)
            line["samples_2000"] = sc["samples_2000"]
            sc = sc["samples_2000"]
            msg += (
                f"  | 2,000 samples: {sc['classes_covered']} classes, KL "
                f"{sc['kl_uniform']:.4f}, Fréchet {sc['frechet']:.2f}"
            )
            if ema_decay is not None:
                live, _ = _score_samples(m, clf, reference, 2000, 10_000 + seed, ema=False)
                line["live_samples_2000"] = live = live["samples_2000"]
                msg += f"  | trained G: KL {live['kl_uniform']:.4f}, Fréchet {live['frechet']:.2f}"
        trajectory.append(line)
        print(msg, flush=True)

    gan.fit(
        X,
        n_steps=10**7,
        batch_size=s["batch_size"] * pack,  # D sees batch_size packs per step
        lr=s["lr"],
        random_state=seed,
        callback=callback,
        callback_every=min(500, score_every),
        checkpoint=out / "gan.npz",
        checkpoint_every=1000,
        time_budget=time_budget,
        reuse_fake=reuse_fake,
    )
    steps, seconds = len(gan.history_["d_loss"]), gan.history_["time"][-1]
    scores, S = _score_samples(gan, clf, reference, s["n_score"], 10_000 + seed)
    if ema_decay is not None:
        live, _ = _score_samples(gan, clf, reference, s["n_score"], 10_000 + seed, ema=False)
        scores.update({f"live_{k}": v for k, v in live.items()})
    grid = image_grid(
        S[:100],
        out / "samples.png",
        nrow=10,
        title=f"DCGAN, binarized MNIST, {steps} steps ({seconds / 60:.0f} min)",
    )
    result = {
        "settings": {**s, "time_budget": time_budget, "seed": seed, "instance_noise": noise,
                     "noise_anneal_steps": noise_anneal_steps, "pack": pack,
                     "ema_decay": ema_decay, "reuse_fake": reuse_fake,
                     "objective": objective},
        "steps": steps,
        "train_seconds": seconds,
        "epochs": steps * s["batch_size"] * pack / len(X),
        **scores,
        **ceiling,
        "trajectory": trajectory,
        "goal_classes": scores[f"samples_{s['n_score']}"]["classes_covered"] == 10,
        "goal_kl": scores[f"samples_{s['n_score']}"]["kl_uniform"] <= 0.05,
    }
    (out / "mnist.json").write_text(json.dumps(result, indent=1))
    print(
        f"\nDCGAN on binarized MNIST: {steps} steps ({result['epochs']:.1f} epochs) in "
        f"{seconds:.0f} s; Fréchet distances to the features of 10,000 binarized MNIST "
        "validation images"
    )
    for name, key in (
        ("DCGAN samples", f"samples_{s['n_score']}"),
        ("DCGAN samples (first 2,000)", "samples_2000"),
        *((("trained G, not averaged", f"live_samples_{s['n_score']}"),) if ema_decay else ()),
        ("real: held-out test images", "real_test_2000"),
        ("real: binarized training images", "real_train_10000"),
    ):
        print(_score_line(name, result[key]))
    print(
        f"  goals: all 10 classes {'met' if result['goal_classes'] else 'not met'}, "
        f"KL ≤ 0.05 {'met' if result['goal_kl'] else 'not met'}; grid {grid}"
    )
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", choices=["ring", "grid"], default=["ring", "grid"])
    p.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(DEFAULT_VARIANTS))
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=None, help="generator steps (default SETTINGS)")
    p.add_argument("--jobs", type=int, default=1, help="runs in parallel processes")
    p.add_argument("--quick", action="store_true", help="2 seeds, grid, 3000 steps")
    p.add_argument("--json", type=str, default=None, help="write every run's scores here")
    p.add_argument(
        "--dcgan-speed",
        action="store_true",
        help="time the DCGAN iteration beside PyTorch CPU",
    )
    p.add_argument("--rounds", type=int, default=9, help="alternating rounds (--dcgan-speed)")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (speed)")
    p.add_argument("--peer-same-process", action="store_true", help="PyTorch in this process")
    p.add_argument("--mnist", action="store_true", help="train and score the MNIST DCGAN")
    p.add_argument("--time-budget", type=float, default=2400.0, help="seconds (--mnist)")
    p.add_argument("--out", type=str, default="runs/bench_gan_mnist", help="folder (--mnist)")
    p.add_argument("--noise", type=float, default=0.0,
                   help="--mnist: instance noise σ₀ on D's inputs, annealed to 0")
    p.add_argument("--noise-anneal-steps", type=int, default=None,
                   help="--mnist: generator steps over which σ goes from σ₀ to 0")
    p.add_argument("--pack", type=int, default=1,
                   help="--mnist: PacGAN's m, images per discriminator input")
    p.add_argument("--ema", type=float, default=None, metavar="BETA",
                   help="--mnist: sample from the generator averaged with decay BETA "
                        "(e.g. 0.999), and score the trained one beside it")
    p.add_argument("--reuse-fake", action="store_true",
                   help="--mnist: G's step scores the D step's samples again (one G pass fewer)")
    from tinygen.models.gan import OBJECTIVES

    p.add_argument("--objective", choices=OBJECTIVES, default="non_saturating",
                   help="--mnist: the generator's loss")
    args = p.parse_args(argv)
    if args.mnist:
        shared = Path(__file__).resolve().parents[2] / "shared" / "data"
        if "TINYGEN_DATA" not in os.environ and shared.is_dir():
            os.environ["TINYGEN_DATA"] = str(shared)
        return mnist_run(args.time_budget, args.out, seed=args.first_seed, noise=args.noise,
                         noise_anneal_steps=args.noise_anneal_steps, pack=args.pack,
                         ema_decay=args.ema, reuse_fake=args.reuse_fake,
                         objective=args.objective)
    if args.dcgan_speed:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        return dcgan_speed(
            steps=2 if args.quick else 4,
            rounds=3 if args.quick else args.rounds,
            threads=args.threads,
            same_process=args.peer_same_process,
        )
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
