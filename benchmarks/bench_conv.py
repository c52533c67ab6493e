"""Benchmark: a PixelCNN-shaped training step (forward + backward, no optimizer).

The net of issue 3: a 7×7 mask-A convolution 1→64 (padding 3; the mask is an elementwise
product with the weight), five 3×3 convolutions 64→64 (padding 1) each followed by ReLU,
and a 1×1 convolution 64→1, on a batch of 32 binary 28×28 images, float32, with a
Bernoulli (logistic) loss. Prints ms/step and images/s (best of several repetitions,
because the machine is shared), and PyTorch's figures and the ratio when ``torch`` is
importable.

Run: ``python benchmarks/bench_conv.py [--repeats 10] [--batch 32] [--whole-batch]``. The
steps are interleaved so that all see the same load; ``--whole-batch`` adds tinygen with
the batch lowered in one chunk (``conv_kernels._CHUNK_BYTES`` unlimited), to measure what
the chunking buys, and ``--col2im`` tinygen with every input gradient by col2im (stride-1
ones are otherwise a convolution with the mirrored kernel). On a busy machine compare
them single-threaded too: ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/...``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tinygen import Tensor
from tinygen.autograd.ops import conv_kernels
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


def tinygen_step(batch):
    rng = np.random.default_rng(0)
    params = make_params(rng)
    x = Tensor((rng.random((batch, 1, SIDE, SIDE)) < 0.3).astype(np.float32))
    mask = Tensor(mask_a())
    return lambda: step(params, x, mask)


def torch_step(batch):
    import torch  # noqa: PLC0415

    torch.manual_seed(0)
    convs = [torch.nn.Conv2d(1, C, K, padding=K // 2)]
    convs += [torch.nn.Conv2d(C, C, 3, padding=1) for _ in range(N_HIDDEN)]
    convs += [torch.nn.Conv2d(C, 1, 1)]
    mask = torch.from_numpy(mask_a())
    x = (torch.rand(batch, 1, SIDE, SIDE) < 0.3).float()
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    def tstep():
        for c in convs:
            c.zero_grad()
        w0 = convs[0].weight * mask
        h = torch.relu(torch.nn.functional.conv2d(x, w0, convs[0].bias, padding=K // 2))
        for c in convs[1:-1]:
            h = torch.relu(c(h))
        loss = bce(convs[-1](h), x, reduction="sum") / batch
        loss.backward()

    return tstep


def _whole_batch(f):
    """``f`` run with the convolutions' column matrices made for the whole batch at once."""

    def g():
        saved, conv_kernels._CHUNK_BYTES = conv_kernels._CHUNK_BYTES, 1 << 62
        try:
            return f()
        finally:
            conv_kernels._CHUNK_BYTES = saved

    return g


def _by_col2im(f):
    """``f`` run with every input gradient by col2im (``conv_kernels._STRIDE1_BY_CONV`` off)."""

    def g():
        saved, conv_kernels._STRIDE1_BY_CONV = conv_kernels._STRIDE1_BY_CONV, False
        try:
            return f()
        finally:
            conv_kernels._STRIDE1_BY_CONV = saved

    return g


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--quick", action="store_true", help="3 repeats (a smoke run)")
    parser.add_argument(
        "--whole-batch", action="store_true", help="also time tinygen without batch chunks"
    )
    parser.add_argument(
        "--col2im", action="store_true",
        help="also time tinygen with stride-1 input gradients by col2im, not as a convolution",
    )
    args = parser.parse_args()
    if args.quick:
        args.repeats = 3
    steps = {"tinygen": tinygen_step(args.batch)}
    if args.whole_batch:
        steps["tinygen-whole"] = _whole_batch(tinygen_step(args.batch))
    if args.col2im:
        steps["tinygen-col2im"] = _by_col2im(tinygen_step(args.batch))
    if not args.no_torch:
        try:
            steps["torch"] = torch_step(args.batch)
        except ImportError:
            print("torch    not importable: no PyTorch comparison")
    wall = {name: [] for name in steps}
    cpu = {name: [] for name in steps}
    for f in steps.values():  # warm-up
        f()
    for _ in range(args.repeats):  # interleaved, so both see the same machine load
        for name, f in steps.items():
            t0, c0 = time.perf_counter(), time.process_time()
            f()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    for name in steps:
        best = min(wall[name])
        print(
            f"{name:13s} PixelCNN-shaped fwd+bwd, batch {args.batch}: "
            f"best {best * 1e3:.1f} ms/step "
            f"({args.batch / best:.1f} images/s), median {np.median(wall[name]) * 1e3:.1f} ms, "
            f"best CPU time {min(cpu[name]) * 1e3:.1f} ms"
        )
    if "torch" in steps:
        ratio = min(wall["torch"]) / min(wall["tinygen"])
        print(f"ratio    tinygen/torch images/s = {ratio:.2f} (goal >= 0.70)")


if __name__ == "__main__":
    main()
