"""Hsiao SECDED code: the one description of the code that protects the LUT storage.

The construction lives here and nowhere else: the number of check bits (:func:`check_bit_count`),
the column selection (:func:`hsiao_columns`) and the code (:class:`SecdedCode`, the columns of the
parity-check matrix). The vectorized NumPy codec ``nvlut.golden.secded`` and the Amaranth
components ``nvlut.hdl.secded`` are both generated from :class:`SecdedCode`, as OpenTitan's
``secded_gen.py`` generates its artefacts from one description.

The code (Hsiao 1970, odd-weight-column SECDED) for ``k`` data bits uses the minimal number ``r`` of
check bits. Every column of the ``r x n`` parity-check matrix ``H = [D | I_r]`` has odd weight and
all columns are distinct, so the code has minimum distance 4: a single-bit error gives an odd
syndrome equal to the column of the flipped bit, a double-bit error an even nonzero syndrome.

Code word layout (``n = k + r`` bits, LSB first): bits ``[0, k)`` are the data bits unchanged, bits
``[k, n)`` the check bits; check bit ``j`` is the even parity of the data bits whose column has row
``j`` set. Columns are integers: bit ``j`` of a column is row ``j`` of ``H``.

Decoder contract (golden and RTL alike), from the syndrome ``s = H c`` of a received word ``c``:

- ``s == 0``: no error; data delivered as received.
- ``s`` equals column ``i`` of ``H``: a single-bit error in bit ``i``, corrected:
  ``corrected = 1``, data delivered with bit ``i`` flipped if ``i < k`` (a check-bit error leaves
  the data as received).
- otherwise (``s`` even and nonzero: two flipped bits; or odd and matching no column: three or
  more): ``uncorrectable = 1``, data delivered exactly as received (nothing is flipped).

``corrected`` and ``uncorrectable`` are never both set. Three or more errors can alias to a single
error and be miscorrected; that is the nature of any SECDED code.
"""

import dataclasses
import functools
import itertools


def check_bit_count(k):
    """The minimal number of check bits ``r`` of a SECDED code for ``k >= 1`` data bits.

    Hsiao's construction needs ``k`` distinct odd-weight columns of weight >= 3 among ``r`` rows, of
    which there are ``2^(r-1) - r``: ``r`` is the smallest with ``2^(r-1) >= k + r``. No SECDED code
    does better: puncturing an ``[n, k, 4]`` code gives an ``[n-1, k, 3]`` code, and the Hamming
    bound for that one is ``2^k * n <= 2^(n-1)``, i.e. ``2^(r-1) >= n = k + r``. (The smallest
    result is ``r = 3``, for ``k = 1``: the 4-bit repetition code.)
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k: {k!r} is not allowed; use an integer >= 1 (data bits per word)")
    r = 2
    while (1 << (r - 1)) < k + r:
        r += 1
    return r


def _row_weights(columns, r):
    weights = [0] * r
    for column in columns:
        for row in column:
            weights[row] += 1
    return weights


def _balanced_subset(candidates, count, weights):
    """``count`` of ``candidates`` (tuples of rows) that keep the row ``weights`` balanced.

    Greedy first (each pick the candidate whose rows are currently lightest, the lexicographically
    first on ties), then single swaps against the unused candidates while a swap lowers the sum of
    squared row weights. Deterministic: the same arguments give the same subset.
    """
    weights = list(weights)
    subset = []
    unused = list(candidates)
    for _ in range(count):
        best = min(unused, key=lambda c: sum(weights[row] for row in c))
        unused.remove(best)
        subset.append(best)
        for row in best:
            weights[row] += 1

    def swap_gain(out, into):
        # change of sum(w^2) when column `out` is replaced by column `into`
        return (sum(2 * weights[row] + 1 for row in into if row not in out)
                - sum(2 * weights[row] - 1 for row in out if row not in into))

    improved = True
    while improved:
        improved = False
        for i, out in enumerate(subset):
            into = next((c for c in unused if swap_gain(out, c) < 0), None)
            if into is not None:
                for row in out:
                    weights[row] -= 1
                for row in into:
                    weights[row] += 1
                subset[i] = into
                unused[unused.index(into)] = out
                improved = True
                break
    return sorted(subset)


@functools.lru_cache(maxsize=None, typed=True)
def hsiao_columns(k, r):
    """The ``k`` data columns (tuples of row indices, ascending) of the Hsiao code with ``r`` rows.

    As OpenTitan's ``secded_gen`` does: all weight-3 columns in lexicographic order while they are
    all needed, then all weight-5 ones, and so on; from the last, partly used weight class the
    subset that balances the row weights (number of data bits each check bit covers), so that no
    parity tree is wider than necessary. The row weights of the result differ by at most one for
    every ``k`` up to 120 (checked by the tests).
    """
    if r < check_bit_count(k):
        raise ValueError(f"r: {r} check bits cannot protect {k} data bits; "
                         f"use r >= {check_bit_count(k)}")
    columns = []
    for weight in range(3, r + 1, 2):
        candidates = list(itertools.combinations(range(r), weight))
        needed = k - len(columns)
        if len(candidates) <= needed:
            columns += candidates
        else:
            columns += _balanced_subset(candidates, needed, _row_weights(columns, r))
        if len(columns) == k:
            break
    return tuple(columns)


@dataclasses.dataclass(frozen=True)
class SecdedCode:
    """The Hsiao SECDED code for ``k`` data bits (build it with :func:`secded_code`)."""

    k: int
    r: int
    #: all ``n`` columns of ``H`` as integers (bit j = row j): the data columns, then ``1 << j`` for
    #: check bit j
    columns: tuple

    @property
    def n(self):
        """Code word width ``k + r``."""
        return self.k + self.r

    @property
    def data_masks(self):
        """Per check bit j, the integer mask of the data bits it covers (row j of ``D``)."""
        return tuple(sum(1 << i for i, col in enumerate(self.columns[:self.k]) if col >> j & 1)
                     for j in range(self.r))

    @property
    def row_masks(self):
        """Per syndrome bit j, the integer mask of the code word bits it covers (row j of ``H``)."""
        return tuple(mask | 1 << (self.k + j) for j, mask in enumerate(self.data_masks))


@functools.lru_cache(maxsize=None, typed=True)
def secded_code(k):
    """The :class:`SecdedCode` for ``k`` data bits with the minimal number of check bits."""
    r = check_bit_count(k)
    data = tuple(sum(1 << row for row in column) for column in hsiao_columns(k, r))
    return SecdedCode(k=k, r=r, columns=data + tuple(1 << j for j in range(r)))
