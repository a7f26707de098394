"""Width of the accumulator ``X`` across blocks (docs/numerics.md 2.1).

``X`` sums the terms ``S_j * M_j * 2^(Q_j - Qmin)`` of up to ``max_blocks`` blocks on the exact
grid, so ``|X| <= max_blocks * B * max|a| * max|w| * max|scale product|`` in integer views. The RTL
sizes its accumulator with :func:`accumulator_width`; ``tests/test_golden_dot.py`` checks that the
extreme sum of the golden model fits it.
"""

from .formats import E2M1, E4M3, WEIGHT_FORMATS


def accumulator_width(weights, block, max_blocks, block_scaled):
    """Two's-complement width of the accumulator ``X`` that holds any sum of ``max_blocks`` blocks.

    ``|X| <= max_blocks * block * 12 * max_int(weights) * (largest scale product) * 2**-Qmin``,
    the largest scale product being ``448 * 2^9`` for ``sa`` alone and its square with ``sw``.
    """
    if weights not in WEIGHT_FORMATS:
        raise ValueError(f"weights: {weights!r} is not allowed; choose one of "
                         f"{', '.join(WEIGHT_FORMATS)}")
    scale_max = E4M3.max_int ** (2 if block_scaled else 1)
    bound = max_blocks * block * E2M1.max_int * WEIGHT_FORMATS[weights].max_int * scale_max
    return 1 + bound.bit_length()
