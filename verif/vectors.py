"""Batches of dot products as ``nvlut sim`` and :func:`nvlut.verif.sim.simulate` take them.

A batch holds the arrays of :func:`nvlut.golden.dot` (``a``, ``w``, ``sa``, optional ``sw``, ``t``)
plus an optional ``nb`` (int[n]): dot product ``k`` uses blocks ``0 .. nb[k]-1`` of its row and
ignores the rest (``nb`` absent: every row uses all ``nb`` blocks of the arrays). The same arrays are
the keys of an ``in.npz`` file.
"""

import dataclasses

import numpy as np

from nvlut import golden

#: keys of an input ``.npz`` (``sw`` and ``nb`` optional)
KEYS = ("a", "w", "sa", "sw", "t", "nb")
#: block scale 1.0 (E4M3), used to neutralize unused blocks
ONE_E4M3 = 0x38


@dataclasses.dataclass
class Batch:
    a: np.ndarray
    w: np.ndarray
    sa: np.ndarray
    sw: np.ndarray | None
    t: np.ndarray
    nb: np.ndarray

    @property
    def n(self):
        return self.a.shape[0]

    @property
    def beats(self):
        return int(self.nb.sum())


def _codes(x, name, dtype, limit, shape_text):
    x = np.asarray(x)
    if x.dtype.kind not in "ui":
        raise ValueError(f"{name}: expected integer codes {shape_text}, got dtype {x.dtype}")
    if x.size and (x.min() < 0 or x.max() >= limit):
        where = tuple(int(i) for i in np.argwhere((x < 0) | (x >= limit))[0])
        axes = ("row", "block", "lane")[:len(where)]
        place = ", ".join(f"{axis} {i}" for axis, i in zip(axes, where))
        raise ValueError(f"{name}: code {int(x[where])} at {place} is out of range; codes must "
                         f"lie in 0..{limit - 1}")
    return x.astype(dtype, copy=False)


def make_batch(params, a, w, sa, sw, t, nb=None):
    """Validate arrays against ``params`` (a :class:`~nvlut.spec.params.MacParams`) -> :class:`Batch`.

    Raises ``ValueError`` naming the offending array.
    """
    a = _codes(a, "a", np.uint8, 16, "uint8[n, nb, B]")
    if a.ndim != 3 or a.shape[2] != params.block or a.shape[1] < 1:
        raise ValueError(f"a: expected shape [n, nb >= 1, B={params.block}], got {a.shape}")
    n, nbmax, _ = a.shape
    wdtype = golden.CODE_DTYPE[params.weights]
    w = _codes(w, "w", wdtype, 1 << params.weight_bits,
               f"{np.dtype(wdtype).name}[n, nb, B] ({params.weights})")
    if w.shape != a.shape:
        raise ValueError(f"w: expected shape {a.shape} (the shape of a), got {w.shape}")
    sa = _codes(sa, "sa", np.uint8, 256, "uint8[n, nb]")
    if sa.shape != (n, nbmax):
        raise ValueError(f"sa: expected shape {(n, nbmax)}, got {sa.shape}")
    if params.block_scaled:
        if sw is None:
            raise ValueError("sw: required (uint8[n, nb] E4M3 codes) because weight_scaling is "
                             "'block'")
        sw = _codes(sw, "sw", np.uint8, 256, "uint8[n, nb]")
        if sw.shape != (n, nbmax):
            raise ValueError(f"sw: expected shape {(n, nbmax)}, got {sw.shape}")
    elif sw is not None:
        raise ValueError("sw: must be absent because weight_scaling is 'tensor'")
    t = np.asarray(t)
    if t.dtype != np.uint32 or t.shape != (n,):
        raise ValueError(f"t: expected uint32[{n}] binary32 bits, got {t.dtype} {t.shape}")
    if nb is None:
        nb = np.full(n, nbmax, dtype=np.int64)
    else:
        nb = np.asarray(nb)
        if nb.dtype.kind not in "ui" or nb.shape != (n,):
            raise ValueError(f"nb: expected int[{n}] block counts, got {nb.dtype} {nb.shape}")
        if n and (nb.min() < 1 or nb.max() > nbmax):
            raise ValueError(f"nb: block counts must lie in 1..{nbmax} (the nb axis of a)")
        nb = nb.astype(np.int64)
    if n and nb.max() > params.max_blocks:
        raise ValueError(f"nb: {int(nb.max())} blocks exceed the design's max_blocks "
                         f"{params.max_blocks}")
    return Batch(a, w, sa, sw, t, nb)


def load_npz(params, path):
    """Read and validate an ``in.npz`` for ``params``."""
    with np.load(path) as f:
        unknown = sorted(set(f.files) - set(KEYS))
        if unknown:
            raise ValueError(f"{path}: unknown arrays {unknown}; allowed: {', '.join(KEYS)}")
        missing = [k for k in ("a", "w", "sa", "t") if k not in f.files]
        if missing:
            raise ValueError(f"{path}: missing arrays {missing}")
        arrays = {k: f[k] if k in f.files else None for k in KEYS}
    return make_batch(params, **arrays)


def save_npz(path, batch):
    """Write ``batch`` as an ``in.npz`` (``sw`` omitted when absent)."""
    arrays = {k: getattr(batch, k) for k in KEYS if getattr(batch, k) is not None}
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def masked(batch):
    """``(a, w, sa, sw)`` with every unused block replaced by an exactly-zero block of scale 1."""
    used = np.arange(batch.a.shape[1])[None, :] < batch.nb[:, None]
    a = np.where(used[:, :, None], batch.a, 0).astype(np.uint8)
    w = np.where(used[:, :, None], batch.w, 0).astype(batch.w.dtype)
    sa = np.where(used, batch.sa, ONE_E4M3).astype(np.uint8)
    sw = None if batch.sw is None else np.where(used, batch.sw, ONE_E4M3).astype(np.uint8)
    return a, w, sa, sw


def reference(params, batch, fault_map=None):
    """The golden result of ``batch`` (or of a list of batches, concatenated):
    ``(y uint32[n], flags dict of bool[n])``. With a ``fault_map`` (``uint64[depth]``, see
    ``nvlut.golden.faults``) the table storage of ``params`` is faulty: the result is
    ``nvlut.golden.faults.dot_with_table``, ECC flags included."""
    if not isinstance(batch, Batch):
        parts = [reference(params, b, fault_map) for b in batch]
        return (np.concatenate([y for y, _ in parts]),
                {k: np.concatenate([f[k] for _, f in parts]) for k in parts[0][1]})
    if fault_map is None:
        a, w, sa, sw = masked(batch)
        return golden.dot_flags(a, w, sa, sw, batch.t, weights=params.weights)
    # the ECC flags depend on the table words read, so unused blocks must not be read: one golden
    # call per block count
    from nvlut.golden import faults
    delivered = faults.faulty_table(params, fault_map)
    y = np.zeros(batch.n, np.uint32)
    flags = {}
    for nb in np.unique(batch.nb):
        rows = np.flatnonzero(batch.nb == nb)
        part = select(batch, rows)
        y[rows], part_flags = faults.dot_with_table(params, delivered, part.a, part.w, part.sa,
                                                    part.sw, part.t)
        for name, values in part_flags.items():
            flags.setdefault(name, np.zeros(batch.n, bool))[rows] = values
    return y, flags


def select(batch, index):
    """The sub-batch of dot products ``index`` (an index array or slice), trimmed to its blocks."""
    nb = batch.nb[index]
    width = int(nb.max()) if nb.size else 1
    cut = lambda x: None if x is None else x[index][:, :width]
    return Batch(cut(batch.a), cut(batch.w), cut(batch.sa), cut(batch.sw), batch.t[index], nb)


def concat(batches):
    """One batch holding ``batches`` in order (padded to the largest block count)."""
    width = max(b.a.shape[1] for b in batches)

    def pad(x, fill):
        if x is None:
            return None
        widths = [(0, 0), (0, width - x.shape[1])] + [(0, 0)] * (x.ndim - 2)
        return np.pad(x, widths, constant_values=fill)

    cat = lambda name, fill: (None if getattr(batches[0], name) is None else
                              np.concatenate([pad(getattr(b, name), fill) for b in batches]))
    return Batch(cat("a", 0), cat("w", 0), cat("sa", ONE_E4M3), cat("sw", ONE_E4M3),
                 np.concatenate([b.t for b in batches]), np.concatenate([b.nb for b in batches]))


def mismatches(expected, y, flags):
    """bool[n]: which dot products disagree with ``expected`` (a :func:`reference` result).

    ``y``/``flags`` are simulator outputs, possibly shorter than ``expected`` (missing outputs count
    as mismatches); flags the reference does not compute (the ECC flags without a fault map) must
    be 0.
    """
    y_ref, flags_ref = expected
    bad = np.ones(len(y_ref), dtype=bool)
    k = min(len(y_ref), len(y))
    bad[:k] = y[:k] != y_ref[:k]
    for name, values in flags.items():
        ref = flags_ref[name][:k] if name in flags_ref else False
        bad[:k] |= values[:k] != ref
    return bad
