"""Stimulus for the MAC: adversarial random dot products, directed special cases, element pairs.

Every generator returns a :class:`~nvlut.verif.vectors.Batch` for a design's parameters. The random
kinds (:data:`KINDS`) aim at the corners of ``docs/numerics.md``:

- ``typical``: scales near 1, finite codes, a few blocks;
- ``anycode``: every field uniformly random over all its codes (NaN scales, fp16 Inf/NaN), t a
  random bit pattern or, one time in four, +-0, +-Inf, NaN, the extreme subnormals or the maximum;
- ``tiny``: smallest scales and tensor scales, so results are subnormal or round to zero;
- ``huge``: largest scales and tensor scales, so results overflow;
- ``cancel``: the second half of the blocks negates the first (exact zero, then the sign of t
  decides), sometimes with one element perturbed (near-cancellation);
- ``ties``: one nonzero element and a tensor scale chosen so that the exact result lies exactly
  half-way between two binary32 numbers (normal and subnormal);
- ``long``: many blocks with the largest magnitudes (accumulator width at ``max_blocks``).
"""

import numpy as np

from nvlut import golden

from .vectors import ONE_E4M3, make_batch, reference

KINDS = ("typical", "anycode", "tiny", "huge", "cancel", "ties", "long")
#: share of each kind in a :func:`adversarial` batch
SHARES = {"typical": 0.25, "anycode": 0.15, "tiny": 0.12, "huge": 0.12, "cancel": 0.12,
          "ties": 0.2, "long": 0.04}
#: largest block count of the short kinds
SHORT_BLOCKS = 8
#: binary32 bits of 1.0
ONE_F32 = 0x3F800000


def _finite_weights(params, rng, shape):
    """Random finite weight codes (no NaN, no Inf)."""
    if params.weights == "fp4":
        return rng.integers(0, 16, size=shape, dtype=np.uint8)
    if params.weights == "fp8":
        w = rng.integers(0, 256, size=shape, dtype=np.uint8)
        return np.where((w & 0x7F) == 0x7F, w ^ 0x01, w).astype(np.uint8)
    w = rng.integers(0, 1 << 16, size=shape, dtype=np.uint16)
    return np.where((w & 0x7C00) == 0x7C00, w ^ 0x4000, w).astype(np.uint16)


def _any_weights(params, rng, shape):
    return rng.integers(0, 1 << params.weight_bits, size=shape,
                        dtype=golden.CODE_DTYPE[params.weights])


def _scales(rng, shape, lo, hi):
    """E4M3 codes with magnitude codes in lo..hi and a sign bit set 1 time in 8."""
    mag = rng.integers(lo, hi + 1, size=shape)
    return (mag | np.where(rng.random(shape) < 0.125, 0x80, 0)).astype(np.uint8)


def _t(rng, n, emin, emax):
    """Random binary32 bits with unbiased exponent in emin..emax (-127: subnormal) and any sign."""
    e = rng.integers(emin, emax + 1, size=n) + 127
    frac = rng.integers(0, 1 << 23, size=n)
    sign = rng.integers(0, 2, size=n)
    return ((sign << 31) | (np.clip(e, 0, 254) << 23) | frac).astype(np.uint32)


def _blocks(rng, n, hi):
    return rng.integers(1, hi + 1, size=n)


def _batch(params, a, w, sa, sw, t, nb):
    return make_batch(params, a, w, sa, sw if params.block_scaled else None, t, nb)


def kind_batch(params, kind, n, rng):
    """``n`` random dot products of ``kind`` (one of :data:`KINDS`)."""
    B = params.block
    nbmax = min(params.max_blocks, SHORT_BLOCKS)
    shape = (n, nbmax, B)
    nb = _blocks(rng, n, nbmax)
    a = rng.integers(0, 16, size=shape, dtype=np.uint8)
    w = _finite_weights(params, rng, shape)
    if kind == "typical":
        sa, sw = _scales(rng, shape[:2], 0x28, 0x48), _scales(rng, shape[:2], 0x28, 0x48)
        return _batch(params, a, w, sa, sw, _t(rng, n, -20, 20), nb)
    if kind == "anycode":
        sa = rng.integers(0, 256, size=shape[:2], dtype=np.uint8)
        sw = rng.integers(0, 256, size=shape[:2], dtype=np.uint8)
        # a NaN anywhere decides the whole dot product: keep them rare by blocks, not by codes
        clean = rng.random(shape[:2]) < 0.9
        sa = np.where(clean & ((sa & 0x7F) == 0x7F), sa ^ 1, sa).astype(np.uint8)
        sw = np.where(clean & ((sw & 0x7F) == 0x7F), sw ^ 1, sw).astype(np.uint8)
        w = np.where(clean[:, :, None] & (rng.random(shape) < 0.9), w,
                     _any_weights(params, rng, shape))
        t = rng.integers(0, 1 << 32, size=n, dtype=np.uint32)
        special_t = np.array([0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x00000001,
                              0x807FFFFF, 0x7F7FFFFF], np.uint32)
        t = np.where(rng.random(n) < 0.25, rng.choice(special_t, size=n), t).astype(np.uint32)
        return _batch(params, a, w, sa, sw, t, _blocks(rng, n, min(nbmax, 3)))
    if kind == "tiny":
        sa, sw = _scales(rng, shape[:2], 0x00, 0x10), _scales(rng, shape[:2], 0x00, 0x10)
        return _steer(params, _batch(params, a, w, sa, sw, _t(rng, n, 0, 0), nb), rng, -152, -124)
    if kind == "huge":
        sa, sw = _scales(rng, shape[:2], 0x70, 0x7E), _scales(rng, shape[:2], 0x70, 0x7E)
        return _steer(params, _batch(params, a, w, sa, sw, _t(rng, n, 0, 0), nb), rng, 125, 129)
    if kind == "cancel":
        return _cancel(params, rng, n, nbmax)
    if kind == "ties":
        return _ties(params, rng, n)
    if kind == "long":
        return _long(params, rng, n)
    raise ValueError(f"kind: {kind!r} is not allowed; choose one of {', '.join(KINDS)}")


def _steer(params, batch, rng, lo, hi):
    """Rescale ``t`` so that each result's binary exponent lands in ``lo..hi`` (where the result
    with the original ``t`` is finite and nonzero)."""
    y0 = golden.decode_binary32(reference(params, batch)[0]).astype(np.float64)
    ok = np.isfinite(y0) & (y0 != 0)
    e0 = np.floor(np.log2(np.abs(np.where(ok, y0, 1.0))))
    t0 = golden.decode_binary32(batch.t).astype(np.float64)
    target = rng.integers(lo, hi + 1, size=batch.n)
    t = np.ldexp(t0, (target - e0).astype(np.int64))
    with np.errstate(over="ignore", under="ignore"):
        t32 = t.astype(np.float32)
    ok &= (t32 != 0) & np.isfinite(t32)
    batch.t = np.where(ok, t32.view(np.uint32), batch.t).astype(np.uint32)
    return batch


def _cancel(params, rng, n, nbmax):
    """``2h`` blocks where block ``h + j`` is block ``j`` with every activation sign flipped (an
    exact zero sum); in 30 % of the rows one element of block ``h`` changes magnitude instead
    (near-cancellation). With ``max_blocks = 1`` there is nothing to cancel: ``h = 1``, one block."""
    B = params.block
    half = max(nbmax // 2, 1)
    h = rng.integers(1, half + 1, size=n)
    nb = np.minimum(2 * h, nbmax)
    a = rng.integers(0, 16, size=(n, half, B), dtype=np.uint8)
    w = _finite_weights(params, rng, (n, half, B))
    sa = _scales(rng, (n, half), 0x20, 0x50)
    sw = _scales(rng, (n, half), 0x20, 0x50)
    j = np.arange(nbmax)[None, :]
    second = j >= h[:, None]
    src = np.where(second, j - h[:, None], j) % half            # block j copies block src
    take = lambda x: np.take_along_axis(x, src.reshape(src.shape + (1,) * (x.ndim - 2)), axis=1)
    a2 = take(a) ^ np.where(second, 0x8, 0).astype(np.uint8)[:, :, None]
    rows = np.nonzero((rng.random(n) < 0.3) & (nb > 1))[0]
    a2[rows, h[rows], rng.integers(0, B, size=rows.size)] ^= 1  # one element changes magnitude
    return _batch(params, a2, take(w), take(sa), take(sw), _t(rng, n, -10, 10), nb)


def _ties(params, rng, n):
    """One nonzero product; t makes the exact result a binary32 rounding tie."""
    B = params.block
    a = np.zeros((n, 1, B), np.uint8) | np.where(rng.random((n, 1, B)) < 0.5, 0x8, 0).astype(np.uint8)
    w = _finite_weights(params, rng, (n, 1, B))
    lane = rng.integers(0, B, size=n)
    a[np.arange(n), 0, lane] = rng.integers(1, 8, size=n) | (rng.integers(0, 2, size=n) << 3)
    sa, sw = _scales(rng, (n, 1), 0x01, 0x7E), _scales(rng, (n, 1), 0x01, 0x7E)
    # value of the nonzero product = p * 2**-(1 + fw) * Ma * Mw * 2**(Qa + Qw)
    p, _, _ = golden.element_product(a[np.arange(n), 0, lane], w[np.arange(n), 0, lane],
                                     params.weights)
    m, q, _ = golden.scale_view(sa[:, 0])
    if params.block_scaled:
        mw, qw, _ = golden.scale_view(sw[:, 0])
        m, q = m * mw, q + qw
    x = np.abs(p * m)
    zero = x == 0
    x = np.where(zero, 1, x)
    tz = _trailing_zeros(x)
    odd = x >> tz                                          # odd part of the product's integer
    e_val = q - 1 - golden.GRID_EXP[params.weights] + tz   # value = odd * 2**e_val
    lo = _bit_length(odd)
    subnormal = rng.random(n) < 0.3
    # normal tie: odd * m_t has 25 bits; subnormal tie: the last kept bit is 2**-149, one more bit
    want = np.where(subnormal, rng.integers(lo + 1, 25, size=n), 25)
    # an odd m_t of k bits gives a product of lo + k - 1 or lo + k bits: try both k
    ok = np.zeros(n, bool)
    mt = np.ones(n, np.int64)
    for extra in (0, 1):
        k = np.clip(want - lo + extra, 1, 24)
        cand = rng.integers(0, 1 << 23, size=n) & ((1 << (k - 1)) - 1) | (1 << (k - 1)) | 1
        hit = ~ok & (_bit_length(odd * cand) == want)
        mt = np.where(hit, cand, mt)
        ok |= hit
    ok &= ~zero & (want > lo)
    e_result = np.where(subnormal, -150, rng.integers(-125 - 24, 100, size=n))
    e_t = e_result - e_val                                 # t = mt * 2**e_t
    t = np.ldexp(mt.astype(np.float64), e_t)
    with np.errstate(over="ignore"):
        t32 = t.astype(np.float32)
    ok &= np.isfinite(t32) & (t32 != 0) & (t32.astype(np.float64) == t)
    t32 = np.where(rng.random(n) < 0.5, -t32, t32)
    tbits = np.where(ok, t32.view(np.uint32), _t(rng, n, -5, 5)).astype(np.uint32)
    return _batch(params, a, w, sa, sw, tbits, np.ones(n, np.int64))


def _trailing_zeros(x):
    x = np.asarray(x, np.int64)
    return _bit_length(x & -x) - 1


def _bit_length(x):
    x = np.asarray(x, np.int64)
    out = np.zeros(x.shape, np.int64)
    for s in (32, 16, 8, 4, 2, 1):
        big = x >= (1 << s)
        out += np.where(big, s, 0)
        x = np.where(big, x >> s, x)
    return out + (x > 0)


def _long(params, rng, n):
    """``max_blocks``-long dot products of the largest magnitudes, all of one sign (or random)."""
    nb = np.full(n, params.max_blocks)
    shape = (n, params.max_blocks, params.block)
    big_w = {"fp4": 0x7, "fp8": 0x7E, "fp16": 0x7BFF}[params.weights]
    same = rng.random(n)[:, None, None] < 0.5
    a = np.where(same, 0x7, rng.integers(0, 16, size=shape)).astype(np.uint8)
    w = np.where(same, big_w, _finite_weights(params, rng, shape)).astype(golden.CODE_DTYPE[params.weights])
    sa = np.where(same[:, :, 0], 0x7E, _scales(rng, shape[:2], 0x60, 0x7E)).astype(np.uint8)
    t = np.where(rng.random(n) < 0.5, _t(rng, n, -127, -100), _t(rng, n, -60, -30))
    return _batch(params, a, w, sa, sa.copy(), t.astype(np.uint32), nb)


def adversarial(params, n, rng, kinds=KINDS):
    """``n`` dot products mixing ``kinds`` (default: all) in the proportions of :data:`SHARES`, as
    a list of batches (one per kind, so that short kinds are not padded to ``max_blocks``)."""
    total = sum(SHARES[k] for k in kinds)
    counts = {k: int(round(n * SHARES[k] / total)) for k in kinds}
    first = kinds[0]
    counts[first] += n - sum(counts.values())
    if "long" in counts:
        long_cap = max(1, 4096 // params.max_blocks)            # keep long batches small in memory
        counts[first] += max(counts["long"] - long_cap, 0)
        counts["long"] = min(counts["long"], long_cap)
    return [kind_batch(params, k, c, rng) for k, c in counts.items() if c > 0]


#: fault maps of :func:`fault_map`
FAULT_MAPS = ("single", "double")


def fault_map(params, kind, rng):
    """A fault map (``uint64[depth]``, as in ``nvlut.golden.faults``) for the table storage of
    ``params``: ``single``: two words with one flipped bit each, one of them a protected bit (entry
    MSB covered by the code, or check bit; any bit without ECC), the other any stored bit;
    ``double``: the same plus a third word with two flipped protected bits (uncorrectable)."""
    from nvlut.golden import faults
    from nvlut.spec.storage import storage_layout

    if kind not in FAULT_MAPS:
        raise ValueError(f"kind: {kind!r} is not allowed; choose one of {', '.join(FAULT_MAPS)}")
    table = faults.lut_table(params.multiplier, params.weights)
    layout = storage_layout(table.width, params.ecc)
    protected = np.arange(layout.width - layout.protected if layout.protected else 0,
                          layout.stored_bits)
    words = rng.choice(table.depth, size=3, replace=False)
    bits = [(words[0], rng.choice(protected)), (words[1], rng.integers(layout.stored_bits))]
    if kind == "double":
        bits += [(words[2], b) for b in rng.choice(protected, size=2, replace=False)]
    return faults.fault_map_from_bits(table.depth, [(int(w), int(b)) for w, b in bits])


def directed(params):
    """Hand-picked cases of ``docs/numerics.md`` 2.2: NaN scales, NaN/Inf weights, Inf times zero,
    opposite infinities, zeros with +-t, t = +-0 / +-Inf / NaN, overflow, the smallest subnormal."""
    B = params.block
    one_w = {"fp4": 0x2, "fp8": 0x38, "fp16": 0x3C00}[params.weights]
    cases = []

    def case(t, blocks):
        """blocks: list of (a codes, w codes, sa, sw) with short lists padded by zeros."""
        cases.append((t, blocks))

    pos_t, neg_t = ONE_F32, ONE_F32 | 0x80000000
    one_block = ([0x2], [one_w], ONE_E4M3, ONE_E4M3)
    zero_block = ([0x0], [one_w], ONE_E4M3, ONE_E4M3)
    for t in (pos_t, neg_t, 0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001,
              0xFFFFFFFF, 0x00000001, 0x7F7FFFFF):
        case(t, [one_block])
        case(t, [zero_block])
        case(t, [([0x2], [one_w], ONE_E4M3, ONE_E4M3), ([0xA], [one_w], ONE_E4M3, ONE_E4M3)])
    for nan_scale in (0x7F, 0xFF):
        case(pos_t, [([0x2], [one_w], nan_scale, ONE_E4M3)])
        case(pos_t, [zero_block, ([0x0], [one_w], ONE_E4M3, nan_scale)])
        case(pos_t, [([0x0], [one_w], 0x00, nan_scale)])
    for scale in (0x00, 0x80, 0x01, 0x81, 0x7E, 0xFE, 0x08):
        case(pos_t, [([0x7] * B, [one_w] * B, scale, scale)])
    if params.weights == "fp8":
        for w in (0x7F, 0xFF, 0x7E, 0xFE, 0x01, 0x81, 0x00, 0x80):
            case(pos_t, [([0x1], [w], ONE_E4M3, ONE_E4M3)])
            case(pos_t, [([0x0], [w], ONE_E4M3, ONE_E4M3)])
    if params.weights == "fp16":
        inf, ninf, nan = 0x7C00, 0xFC00, 0x7E00
        for w in (inf, ninf, nan, 0x7C01, 0xFFFF, 0x7BFF, 0x0001, 0x8001):
            for a in (0x0, 0x8, 0x1, 0x9, 0x7):
                case(pos_t, [([a], [w], ONE_E4M3, ONE_E4M3)])
                case(neg_t, [([a], [w], ONE_E4M3, ONE_E4M3)])
        case(pos_t, [([0x2, 0x2], [inf, ninf], ONE_E4M3, ONE_E4M3)])           # +Inf + -Inf
        case(pos_t, [([0x2], [inf], ONE_E4M3, ONE_E4M3), ([0x2], [ninf], ONE_E4M3, ONE_E4M3)])
        case(pos_t, [([0x2], [inf], 0x00, ONE_E4M3)])                          # Inf * scale 0
        case(pos_t, [([0x2], [inf], 0x80, ONE_E4M3)])                          # Inf * scale -0
        case(pos_t, [([0x2], [inf], 0x80 | ONE_E4M3, ONE_E4M3)])               # -Inf by scale
        case(0, [([0x2], [inf], ONE_E4M3, ONE_E4M3)])                          # Inf * t=0
        case(0x7F800000, [zero_block, ([0x0], [inf], ONE_E4M3, ONE_E4M3)])     # NaN wins
        case(pos_t, [([0x2] * 2, [inf, 0x7BFF], ONE_E4M3, ONE_E4M3)])
    # overflow and the smallest results
    big_w = {"fp4": 0x7, "fp8": 0x7E, "fp16": 0x7BFF}[params.weights]
    for t in (0x7F7FFFFF, 0x7F000000, 0xFF7FFFFF, 0x00000001, 0x00800000, 0x80000001, 0x33800000):
        case(t, [([0x7] * B, [big_w] * B, 0x7E, 0x7E)])
        case(t, [([0x1], [0x1], 0x01, 0x01)])
    n = len(cases)
    nbmax = min(max(len(blocks) for _, blocks in cases), params.max_blocks)
    a = np.zeros((n, nbmax, B), np.uint8)
    w = np.zeros((n, nbmax, B), golden.CODE_DTYPE[params.weights])
    sa = np.full((n, nbmax), ONE_E4M3, np.uint8)
    sw = np.full((n, nbmax), ONE_E4M3, np.uint8)
    t = np.zeros(n, np.uint32)
    nb = np.zeros(n, np.int64)
    for k, (tk, blocks) in enumerate(cases):
        blocks = blocks[:nbmax]
        t[k], nb[k] = tk, len(blocks)
        for j, (ac, wc, s_a, s_w) in enumerate(blocks):
            a[k, j, :len(ac)] = ac[:B]
            w[k, j, :len(wc)] = wc[:B]
            sa[k, j], sw[k, j] = s_a, s_w
    return _batch(params, a, w, sa, sw, t, nb)


def _special_weights(params):
    """Weight codes whose products are not finite numbers (fp8 NaN; fp16 Inf and NaN)."""
    codes = np.arange(1 << params.weight_bits)
    if params.weights == "fp8":
        return codes[(codes & 0x7F) == 0x7F]
    if params.weights == "fp16":
        return codes[(codes & 0x7C00) == 0x7C00]
    return codes[:0]


def element_pairs(params, all_lanes=None):
    """Every (activation code, weight code) pair through the MAC, ``B`` element checks per beat.

    For each finite weight code ``w``, each activation sign ``s`` and each rotation ``r``, one
    dot product of one block: lane ``i`` holds ``a = 8s + (i + r) mod 8`` times ``w``; scales 1.0 and
    t = 1.0. All terms of a block then share ``w`` and a sign, so the sum ``n_w * sum_i n_a`` has at
    most 19 significant bits and ``y`` is exact, and a wrong product in any lane cannot be cancelled
    by a wrong product of the same table entry with the opposite sign. With ``all_lanes`` (default
    for fp4 and fp8) all 8 rotations run, so every pair goes through every lane; otherwise only
    ``r = w mod 8``. Weights with NaN/Inf products go one pair per dot product (lane ``k mod B``,
    the other lanes ``+-0`` times finite weights), since a NaN or Inf hides the rest of its block.

    Returns ``(batch, checks)``: ``checks`` is the number of (lane, pair) products checked.
    """
    B = params.block
    all_lanes = params.weights != "fp16" if all_lanes is None else all_lanes
    special = _special_weights(params)
    finite = np.setdiff1d(np.arange(1 << params.weight_bits), special)
    rotations = 8 if all_lanes else 1
    w_code, sign, rot = (x.ravel() for x in np.meshgrid(finite, [0, 8], np.arange(rotations),
                                                         indexing="ij"))
    if not all_lanes:
        rot = w_code % 8
    lanes = np.arange(B)
    a = (sign[:, None] + (lanes[None, :] + rot[:, None]) % 8).astype(np.uint8)
    w = np.repeat(w_code[:, None], B, axis=1)
    # one pair per block for the special weights
    sw_code, sa_code = (x.ravel() for x in np.meshgrid(special, np.arange(16), indexing="ij"))
    rng = np.random.default_rng(0)
    a1 = (rng.integers(0, 2, size=(sw_code.size, B)) * 8).astype(np.uint8)
    w1 = _finite_weights(params, rng, (sw_code.size, B))
    k = np.arange(sw_code.size)
    a1[k, k % B] = sa_code
    w1[k, k % B] = sw_code
    a = np.concatenate([a, a1])[:, None, :]
    w = np.concatenate([w, w1]).astype(golden.CODE_DTYPE[params.weights])[:, None, :]
    n = a.shape[0]
    ones = np.full((n, 1), ONE_E4M3, np.uint8)
    batch = _batch(params, a, w, ones, ones, np.full(n, ONE_F32, np.uint32), np.ones(n, np.int64))
    return batch, B * w_code.size + sw_code.size
