"""Functional coverage of the MAC campaign.

Bins (a hole is a bin never hit):

- ``a_code[lane, code]``, ``w_code[lane, code]``: every activation / weight code in every lane (used
  blocks only);
- ``sa_code[code]``, ``sw_code[code]``: every E4M3 block scale code (``sw`` only for block-scaled
  weights);
- ``rounding[case]``: the final rounding of a finite nonzero exact result: ``exact``, ``below_half``,
  ``tie_to_even``, ``tie_from_odd`` (a tie whose truncated significand is odd, so RNE rounds up),
  ``above_half``;
- ``result[class]``: ``zero``, ``subnormal``, ``normal``, ``overflow`` (finite exact result rounded
  to Inf), ``infinite`` (an infinite term or t), ``nan``;
- ``flag[name=value]``: every output flag seen both 0 and 1; the ECC flags can be 1 only with
  injected faults: 1 is expected of designs with ``ecc != none`` (the campaign's fault-injected
  runs), 0 of all;
- ``blocks[bin]``: dot products of 1 block, 2..8 blocks, more than 8, and exactly ``max_blocks``;
- ``backpressure[mode]``: every back-pressure mode of :mod:`nvlut.verif.backpressure`.

The rounding case needs the exact value: it is recomputed here from the integer views of
``docs/numerics.md`` 2.1 with Python integers (independently of the golden model's limb code).
"""

import numpy as np

from nvlut import golden

from .backpressure import MODES
from .vectors import masked

ROUNDING = ("exact", "below_half", "tie_to_even", "tie_from_odd", "above_half")
RESULTS = ("zero", "subnormal", "normal", "overflow", "infinite", "nan")
BLOCK_BINS = ("1", "2..8", ">8", "max_blocks")


class Coverage:
    """Hit counts of every bin for one design; :meth:`merge` adds another's counts."""

    def __init__(self, params):
        self.params = params
        self.a_code = np.zeros((params.block, 16), np.int64)
        self.w_code = np.zeros((params.block, 1 << params.weight_bits), np.int64)
        self.sa_code = np.zeros(256, np.int64)
        self.sw_code = np.zeros(256 if params.block_scaled else 0, np.int64)
        self.named = {}

    def hit(self, group, name, count=1):
        key = f"{group}[{name}]"
        self.named[key] = self.named.get(key, 0) + int(count)

    def merge(self, other):
        for name in ("a_code", "w_code", "sa_code", "sw_code"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, count in other.named.items():
            self.hit(*key[:-1].split("[", 1), count)

    def expected_named(self, flag_names):
        keys = [f"rounding[{c}]" for c in ROUNDING] + [f"result[{c}]" for c in RESULTS]
        keys += [f"backpressure[{m}]" for m in MODES]
        keys += [f"blocks[{b}]" for b in BLOCK_BINS if b != ">8" or self.params.max_blocks > 8]
        ecc = self.params.ecc_mode.enabled
        for f in flag_names:
            keys += [f"flag[{f}=0]"] + ([f"flag[{f}=1]"] if ecc or not f.startswith("ecc_") else [])
        return keys

    def holes(self, flag_names):
        """Names of the bins never hit."""
        out = []
        fmt = {"a_code": 1, "w_code": (self.params.weight_bits + 3) // 4}
        for name in ("a_code", "w_code"):
            lanes, codes = np.nonzero(getattr(self, name) == 0)
            out += [f"{name}[lane {i}, 0x{c:0{fmt[name]}x}]" for i, c in zip(lanes, codes)]
        for name in ("sa_code", "sw_code"):
            out += [f"{name}[0x{c:02x}]" for c in np.nonzero(getattr(self, name) == 0)[0]]
        out += [k for k in self.expected_named(flag_names) if self.named.get(k, 0) == 0]
        return out

    def bins(self, flag_names):
        return (self.a_code.size + self.w_code.size + self.sa_code.size + self.sw_code.size
                + len(self.expected_named(flag_names)))

    def as_dict(self, flag_names):
        return {"bins": self.bins(flag_names), "holes": self.holes(flag_names),
                "named": dict(sorted(self.named.items()))}


def collect(params, batch, y, flags):
    """A :class:`Coverage` of one simulated batch (``y``/``flags`` as the simulator returned)."""
    cov = Coverage(params)
    used = np.arange(batch.a.shape[1])[None, :] < batch.nb[:, None]
    for name in ("a_code", "w_code"):
        counts = getattr(cov, name)
        codes = getattr(batch, name[0])[used].astype(np.int64)         # [blocks, lane]
        index = codes + np.arange(params.block) * counts.shape[1]
        counts += np.bincount(index.ravel(), minlength=counts.size).reshape(counts.shape)
    cov.sa_code += np.bincount(batch.sa[used], minlength=256)
    if params.block_scaled:
        cov.sw_code += np.bincount(batch.sw[used], minlength=256)
    nb = batch.nb
    cov.hit("blocks", "1", (nb == 1).sum())
    cov.hit("blocks", "2..8", ((nb >= 2) & (nb <= 8)).sum())
    cov.hit("blocks", ">8", (nb > 8).sum())
    cov.hit("blocks", "max_blocks", (nb == params.max_blocks).sum())
    for name, values in flags.items():
        cov.hit("flag", f"{name}=1", values.sum())
        cov.hit("flag", f"{name}=0", (~values).sum())
    y = y.astype(np.int64)
    mag = y & 0x7FFFFFFF
    nan = flags["invalid"]
    inf = ~nan & (mag == 0x7F800000)
    cov.hit("result", "nan", nan.sum())
    cov.hit("result", "overflow", (inf & flags["overflow"]).sum())
    cov.hit("result", "infinite", (inf & ~flags["overflow"]).sum())
    cov.hit("result", "zero", (mag == 0).sum())
    cov.hit("result", "subnormal", ((mag > 0) & (mag < 0x00800000)).sum())
    cov.hit("result", "normal", ((mag >= 0x00800000) & (mag < 0x7F800000)).sum())
    for case, count in zip(ROUNDING, rounding_cases(params, batch)):
        cov.hit("rounding", case, count)
    return cov


def rounding_cases(params, batch):
    """Counts of each :data:`ROUNDING` case over the finite, nonzero exact results of ``batch``
    whose tensor scale is finite (NaN / Inf inputs excluded)."""
    a, w, sa, sw = masked(batch)
    p, p_inf, p_nan = golden.element_product(a, w, params.weights)
    m, q, s_nan = golden.scale_view(sa)
    if sw is not None:
        m_w, q_w, w_nan = golden.scale_view(sw)
        m, q, s_nan = m * m_w, q + q_w, s_nan | w_nan
    t = batch.t.astype(np.int64)
    t_exp, t_frac = (t >> 23) & 0xFF, t & 0x7FFFFF
    ok = ~(p_nan.any(axis=(1, 2)) | (p_inf != 0).any(axis=(1, 2)) | s_nan.any(axis=1)
           | (t_exp == 0xFF))
    qmin = q.min()
    terms = (p.sum(axis=2) * m).astype(object) * np.left_shift(1, (q - qmin)).astype(object)
    x = np.abs(terms.sum(axis=1))
    m_t = np.where(t_exp > 0, t_frac | (1 << 23), t_frac).astype(object)
    prod = x * m_t
    exp = (qmin - 1 - golden.GRID_EXP[params.weights] + np.maximum(t_exp, 1) - 150).astype(object)
    counts = [0] * len(ROUNDING)
    for P, e, good in zip(prod, exp, ok):
        if not good or P == 0:
            continue
        drop = max(P.bit_length() - 24, -149 - e)
        if drop <= 0:
            counts[0] += 1
            continue
        rem, half = P & ((1 << drop) - 1), 1 << (drop - 1)
        if rem == 0:
            counts[0] += 1
        elif rem < half:
            counts[1] += 1
        elif rem == half:
            counts[3 if (P >> drop) & 1 else 2] += 1
        else:
            counts[4] += 1
    return counts
