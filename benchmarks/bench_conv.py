"""Benchmark: a PixelCNN-shaped training step (forward + backward, no optimizer).

The net of issue 3: a 7×7 mask-A convolution 1→64 (padding 3; the mask is an elementwise
product with the weight), five 3×3 convolutions 64→64 (padding 1) each followed by ReLU,
and a 1×1 convolution 64→1, on a batch of 32 binary 28×28 images, float32, with a
Bernoulli (logistic) loss. Prints ms/step and images/s (best of several repetitions,
because the machine is shared), and PyTorch's figures and the ratio when ``torch`` is
importable.

Run: ``python benchmarks/bench_conv.py [--repeats 10] [--batch 32]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tinygen import Tensor
from tinygen.autograd.ops.elementwise import Log1p, ReLU
from tinygen.functional.conv import conv2d

C, K, BATCH, SIDE, N_HIDDEN = 64, 7, 32, 28, 5


def mask_a(kernel=K, dtype=np.float32):
    """PixelCNN mask A: the centre pixel and everything after it in raster order hidden."""
    m = np.ones((kernel, kernel), dtype=dtype)
    m[kernel // 2, kernel // 2 :] = 0
    m[kernel // 2 + 1 :] = 0
    return m


def make_params(rng):
    def w(o, i, k):
        return Tensor(
            (rng.standard_normal((o, i, k, k)) * np.sqrt(2.0 / (i * k * k))).astype(np.float32),
            requires_grad=True,
        )

    def b(o):
        return Tensor(np.zeros(o, np.float32), requires_grad=True)

    params = [(w(C, 1, K), b(C))]
    params += [(w(C, C, 3), b(C)) for _ in range(N_HIDDEN)]
    params += [(w(1, C, 1), b(1))]
    return params


def step(params, x, mask):
    (w0, b0), *hidden, (wl, bl) = params
    h = ReLU.apply(conv2d(x, w0 * mask, b0, padding=K // 2))
    for w, b in hidden:
        h = ReLU.apply(conv2d(h, w, b, padding=1))
    logits = conv2d(h, wl, bl)
    # Bernoulli negative log-likelihood: softplus(l) − x·l, written with primitives
    loss = ((logits.relu() + Log1p.apply((-logits.abs()).exp())) - logits * x).sum() / x.shape[0]
    for p in params:
        for t in p:
            t.grad = None
    loss.backward()
    return loss.item()


def bench_tinygen(batch, repeats):
    rng = np.random.default_rng(0)
    params = make_params(rng)
    x = Tensor((rng.random((batch, 1, SIDE, SIDE)) < 0.3).astype(np.float32))
    mask = Tensor(mask_a())
    step(params, x, mask)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step(params, x, mask)
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def bench_torch(batch, repeats):
    import torch  # noqa: PLC0415

    torch.manual_seed(0)
    convs = [torch.nn.Conv2d(1, C, K, padding=K // 2)]
    convs += [torch.nn.Conv2d(C, C, 3, padding=1) for _ in range(N_HIDDEN)]
    convs += [torch.nn.Conv2d(C, 1, 1)]
    mask = torch.from_numpy(mask_a())
    x = (torch.rand(batch, 1, SIDE, SIDE) < 0.3).float()

    def tstep():
        for c in convs:
            c.zero_grad()
        h = torch.relu(
            torch.nn.functional.conv2d(x, convs[0].weight * mask, convs[0].bias, padding=K // 2)
        )
        for c in convs[1:-1]:
            h = torch.relu(c(h))
        logits = convs[-1](h)
        loss = (
            torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / batch
        )
        loss.backward()

    tstep()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        tstep()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()
    best, med = bench_tinygen(args.batch, args.repeats)
    print(
        f"tinygen  PixelCNN-shaped fwd+bwd, batch {args.batch}: best {best * 1e3:.1f} ms/step "
        f"({args.batch / best:.1f} images/s), median {med * 1e3:.1f} ms"
    )
    if args.no_torch:
        return
    try:
        tbest, tmed = bench_torch(args.batch, args.repeats)
    except ImportError:
        print("torch    not importable: no PyTorch comparison")
        return
    print(
        f"torch    PixelCNN-shaped fwd+bwd, batch {args.batch}: best {tbest * 1e3:.1f} ms/step "
        f"({args.batch / tbest:.1f} images/s), median {tmed * 1e3:.1f} ms"
    )
    print(f"ratio    tinygen/torch images/s = {tbest / best:.2f} (goal ≥ 0.70)")


if __name__ == "__main__":
    main()
