"""Paired comparison of two trained VAEs (e.g. IWAE-k vs ELBO training at equal time).

Both checkpoints (written by ``bench_vae.py --save``) are scored on the *same* validation
images with the *same* random draws (common random numbers): per image n,
dₙ = log p̂_A(xₙ) − log p̂_B(xₙ), each log p̂ the k-sample importance estimate L_k. The
mean of dₙ and its standard error s_d/√N are printed; because the two models find the
same images easy or hard, s_d is far smaller than either model's own spread, so a gap of a
few tenths of a nat is measurable with a few thousand images where two separate
"NLL ± SE" figures would overlap.

    python benchmarks/compare_vae.py runs/vae_iwae.npz runs/vae_elbo.npz --eval-n 2000

When ``bench_vae.py --save CKPT`` has already written ``CKPT.valid_ll.npy`` (its own
evaluation, seed 1, same images) those values are used instead of recomputing them.

Prints one line per model and one for the paired difference (A better when positive).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np


def paired(ll_a, ll_b):
    """(mean, standard error, t) of the paired differences ll_a − ll_b."""
    d = np.asarray(ll_a, np.float64) - np.asarray(ll_b, np.float64)
    se = float(d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else float("nan")
    mean = float(d.mean())
    return mean, se, (mean / se if se > 0 else float("nan"))


def main(argv=None):
    from tinygen.data import binarized_mnist
    from tinygen.models.vae import VAE

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a", help="checkpoint A (.npz from bench_vae.py --save)")
    p.add_argument("b", help="checkpoint B")
    p.add_argument("--eval-n", type=int, default=2000, help="first N validation images")
    p.add_argument("--eval-k", type=int, default=5000, help="importance samples")
    p.add_argument("--seed", type=int, default=1, help="as bench_vae.py's evaluation (seed+1)")
    p.add_argument("--recompute", action="store_true", help="ignore saved per-image values")
    args = p.parse_args(argv)

    X = binarized_mnist("valid")[: args.eval_n].astype(np.float32)
    lls = []
    for path in (args.a, args.b):
        saved = Path(f"{path}.valid_ll.npy")  # written by bench_vae.py --save
        ll = None
        if saved.exists() and not args.recompute:
            ll = np.load(saved, allow_pickle=False)
            ll, source = (ll, f"from {saved.name}") if len(ll) == args.eval_n else (None, "")
        if ll is None:
            t0 = time.perf_counter()
            ll = VAE.from_checkpoint(path).log_likelihood(
                X, k=args.eval_k, batch_size=100, random_state=args.seed
            )
            source = f"k={args.eval_k}, {time.perf_counter() - t0:.0f} s"
        lls.append(ll)
        print(
            f"{path}: NLL {-ll.mean():.3f} ± {ll.std(ddof=1) / math.sqrt(len(ll)):.3f} nats "
            f"({len(ll)} valid images, {source})",
            flush=True,
        )
    mean, se, t = paired(*lls)
    print(
        f"paired: log p(A) − log p(B) = {mean:+.3f} ± {se:.3f} nats (t = {t:.1f}, "
        f"{len(lls[0])} images)",
        flush=True,
    )
    return mean, se


if __name__ == "__main__":
    main()
