"""Back-pressure patterns: when the harness holds ``o__ready`` low and when it leaves ``i__valid`` low.

A pattern is a pair ``(ready, gaps)``: ``ready`` is a bit pattern (uint8[r], r <= 65536) that the
harness repeats on ``o__ready`` cycle by cycle, or ``None`` for always ready; ``gaps`` (uint16[beats])
is the number of idle cycles before each input beat. Modes:

- ``none``: ready always high, no gaps (full throughput);
- ``runs``: ready held low for runs of 1..64 cycles between runs of 1..64 high cycles;
- ``random``: ready high with probability 1/2 each cycle;
- ``gaps``: 0..3 idle cycles before a random half of the beats, ready always high;
- ``both``: ``random`` ready and ``gaps``.
"""

import numpy as np

from .harness import READY_MAX

MODES = ("none", "runs", "random", "gaps", "both")


def check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"backpressure: {mode!r} is not allowed; choose one of {', '.join(MODES)}")


def pattern(mode, beats, seed=0):
    """``(ready uint8[r] or None, gaps uint16[beats])`` for ``mode``."""
    check_mode(mode)
    rng = np.random.default_rng(seed)
    ready = None
    if mode == "runs":
        lengths = rng.integers(1, 65, size=512)
        ready = np.repeat(np.arange(lengths.size) % 2, lengths).astype(np.uint8)[:READY_MAX]
    elif mode in ("random", "both"):
        ready = rng.integers(0, 2, size=4093, dtype=np.uint8)
    gaps = np.zeros(beats, dtype=np.uint16)
    if mode in ("gaps", "both"):
        gaps = np.where(rng.random(beats) < 0.5, rng.integers(1, 4, size=beats), 0).astype(np.uint16)
    return ready, gaps
