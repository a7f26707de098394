"""The data an energy measurement streams through a design (energy depends on data).

- ``random``: uniform random codes: activation and weight codes over all finite codes, block
  scales with magnitude codes uniform in 0x30..0x40 (about 0.5 to 2), a random positive tensor
  scale near 1; ``blocks`` blocks per dot product.
- ``worst``: maximum input toggling: every input bit flips on every beat (each beat's codes are the
  bitwise complement of the previous beat's, NaN codes avoided by flipping their lowest bit); it
  maximises the toggling of the inputs, not provably of every internal net.
- ``real``: the dot products exact mode hands to :func:`nvlut.golden.dot` when an ``nvlut ablate``
  model runs its quantized layers on test samples (:mod:`nvlut.energy.real_data`).

Every workload is a :class:`nvlut.verif.vectors.Batch` of the same shape for all designs of the
same weight format, so designs are compared on identical operands.
"""

import numpy as np

from nvlut.verif.vectors import make_batch

SYNTHETIC = ("random", "worst")
WORKLOADS = SYNTHETIC + ("real",)


def _no_nan_e4m3(x):
    return np.where((x & 0x7F) == 0x7F, x ^ 0x01, x).astype(np.uint8)


def synthetic(params, kind, n, blocks, seed=0):
    """A ``random`` or ``worst`` batch of ``n`` dot products of ``blocks`` blocks for ``params``
    (fp4 weights)."""
    if params.weights != "fp4":
        raise ValueError(f"weights: the synthetic workloads are written for fp4 weights, "
                         f"not {params.weights}")
    rng = np.random.default_rng([seed, WORKLOADS.index(kind)])
    shape = (n, blocks, params.block)
    t = (np.float32(1.0) + rng.random(n, np.float32)).view(np.uint32)
    if kind == "random":
        a = rng.integers(0, 16, shape, dtype=np.uint8)
        w = rng.integers(0, 16, shape, dtype=np.uint8)
        sa = rng.integers(0x30, 0x41, shape[:2], dtype=np.uint8)
        sw = rng.integers(0x30, 0x41, shape[:2], dtype=np.uint8)
        return make_batch(params, a, w, sa, sw if params.block_scaled else None, t)
    # worst: beat k+1 = ~beat k on every field; beats run row-major over (n, blocks)
    beats = n * blocks
    a0 = rng.integers(0, 16, params.block, dtype=np.uint8)
    w0 = rng.integers(0, 16, params.block, dtype=np.uint8)
    flip = (np.arange(beats) % 2).astype(bool)
    a = np.where(flip[:, None], a0 ^ 0xF, a0).reshape(shape).astype(np.uint8)
    w = np.where(flip[:, None], w0 ^ 0xF, w0).reshape(shape).astype(np.uint8)
    s0 = np.uint8(0x38)
    sa = _no_nan_e4m3(np.where(flip, s0 ^ 0xFF, s0)).reshape(shape[:2])
    sw = sa.copy()
    t = np.where(np.arange(n) % 2, np.uint32(0x3F800000) ^ np.uint32(0x7F7FFFFF),
                 np.uint32(0x3F800000)).astype(np.uint32)
    return make_batch(params, a, w, sa, sw if params.block_scaled else None, t)
