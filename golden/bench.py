"""Benchmark of the golden model: ``python -m nvlut.golden.bench`` prints elements per second.

A figure, not a test: one million element products (n * nb * B) per weight format, B = 16.
"""

import argparse
import time

import numpy as np

from .dot import dot
from .formats import CODE_DTYPE


def bench(weights, n, nb, block, repeat, rng):
    a = rng.integers(0, 16, (n, nb, block), dtype=np.uint8)
    wmax = {"fp4": 16, "fp8": 256, "fp16": 0x7C00}[weights]
    w = rng.integers(0, wmax, (n, nb, block)).astype(CODE_DTYPE[weights])
    sa = rng.integers(0x30, 0x48, (n, nb), dtype=np.uint8)
    sw = rng.integers(0x30, 0x48, (n, nb), dtype=np.uint8) if weights == "fp4" else None
    t = np.full(n, np.float32(0.75).view(np.uint32), np.uint32)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        dot(a, w, sa, sw, t, weights)
        best = min(best, time.perf_counter() - start)
    return n * nb * block / best, n / best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--elements", type=int, default=1 << 20)
    parser.add_argument("--nb", type=int, default=4, help="blocks per dot product")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    block = 16
    n = args.elements // (args.nb * block)
    rng = np.random.default_rng(0)
    print(f"golden dot: {n * args.nb * block} elements = {n} dot products x {args.nb} blocks x B={block}")
    for weights in ("fp4", "fp8", "fp16"):
        eps, dps = bench(weights, n, args.nb, block, args.repeat, rng)
        print(f"  {weights:5s} {eps / 1e6:7.2f} M elements/s  {dps / 1e3:8.1f} k dot products/s")


if __name__ == "__main__":
    main()
