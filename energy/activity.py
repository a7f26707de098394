"""Per-net switching activity from a VCD: rising and falling transitions of every bit.

:func:`toggles` reads the VCD that the stream harness writes with ``+activity`` (the design's own
nets, ``$dumpvars(1, dut)``) with PyPI ``pyvcd``'s tokenizer and counts, for every bit, its
0->1 (rise) and 1->0 (fall) transitions from the ``$dumpvars`` snapshot to the first ``$dumpoff``
(the harness stops dumping when the last expected output is accepted). Transitions from or to x/z
are not counted (the design is out of reset when dumping starts, so none occur in practice; they are
reported). A vector variable ``name [m:l]`` gives nets ``name[k]``, a scalar its plain name.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Activity:
    """``nets``: net names; ``rise`` / ``fall``: int64 arrays of transitions per net (same order);
    ``cycles``: rising edges of ``clock`` in the window; ``unknown``: transitions involving x/z."""

    nets: tuple
    rise: np.ndarray
    fall: np.ndarray
    cycles: int
    unknown: int

    def counts(self):
        """Net -> (rise, fall)."""
        return {n: (int(r), int(f)) for n, r, f in zip(self.nets, self.rise, self.fall)}


def toggles(path, clock="clk"):
    """The :class:`Activity` of the VCD at ``path``; ``clock`` names the net whose rising edges
    count the cycles. Raises ``ValueError`` when the VCD has no such net."""
    from vcd.reader import TokenKind, tokenize

    bits = {}        # id code -> list of net indices, LSB first
    nets = []
    state, rise, fall = [], [], []
    unknown = 0
    in_dump = False
    started = False
    with open(path, "rb") as f:
        for tok in tokenize(f):
            kind = tok.kind
            if kind is TokenKind.VAR:
                var = tok.data
                if var.id_code in bits:      # an alias of a net already declared
                    continue
                msb_lsb = var.bit_index
                if var.size == 1 and not isinstance(msb_lsb, tuple):
                    names = [var.reference if msb_lsb is None else f"{var.reference}[{msb_lsb}]"]
                else:
                    msb, lsb = msb_lsb if isinstance(msb_lsb, tuple) else (var.size - 1, 0)
                    step = 1 if msb >= lsb else -1
                    names = [f"{var.reference}[{k}]" for k in range(lsb, msb + step, step)]
                bits[var.id_code] = list(range(len(nets), len(nets) + len(names)))
                nets.extend(names)
                state.extend([None] * len(names))
                rise.extend([0] * len(names))
                fall.extend([0] * len(names))
            elif kind is TokenKind.DUMPVARS:
                in_dump, started = True, True
            elif kind is TokenKind.END:
                in_dump = False
            elif kind is TokenKind.DUMPOFF:
                break
            elif kind is TokenKind.CHANGE_SCALAR or kind is TokenKind.CHANGE_VECTOR:
                change = tok.data
                idx = bits[change.id_code]
                value = change.value
                if kind is TokenKind.CHANGE_SCALAR:
                    values = [value]
                elif isinstance(value, int):
                    values = [(value >> k) & 1 for k in range(len(idx))]
                else:
                    text = value.rjust(len(idx), value[0] if value[0] in "xz" else "0")
                    values = list(reversed(text[-len(idx):]))
                for i, v in zip(idx, values):
                    v = {"0": 0, "1": 1, 0: 0, 1: 1}.get(v)
                    old = state[i]
                    if not in_dump and started and old != v:
                        if old is None or v is None:
                            unknown += 1
                        elif v:
                            rise[i] += 1
                        else:
                            fall[i] += 1
                    state[i] = v
    try:
        k = nets.index(clock)
    except ValueError:
        raise ValueError(f"clock: no net {clock!r} in {path}") from None
    return Activity(tuple(nets), np.array(rise, np.int64), np.array(fall, np.int64), rise[k],
                    unknown)
