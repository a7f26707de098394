"""The vectorized NumPy codec of the Hsiao SECDED code (:mod:`nvlut.spec.secded`).

:func:`encode`, :func:`syndrome` and :func:`decode` follow the code word layout and the decoder
contract documented in :mod:`nvlut.spec.secded`; :func:`parity_check_matrix` and
:func:`syndrome_table` are the matrix and the decode table as arrays. ``tests/test_secded.py``
checks the code's distance and the codec exhaustively for small ``k``.
"""

import functools

import numpy as np

#: widest data word the NumPy codec handles (one ``uint64`` per word); the column selection and the
#: RTL have no such limit
MAX_NUMPY_DATA_BITS = 64


def parity_check_matrix(code):
    """``H`` as ``uint8[r, n]`` (0/1): column ``i`` is ``code.columns[i]``."""
    cols = np.array(code.columns, dtype=np.uint64)
    return ((cols[None, :] >> np.arange(code.r, dtype=np.uint64)[:, None]) & 1).astype(np.uint8)


def _numpy_words(code, values, name, bits):
    """``values`` as ``uint64``, checked to be integers of at most ``bits`` bits."""
    if code.k > MAX_NUMPY_DATA_BITS:
        raise ValueError(f"k: the NumPy codec handles up to {MAX_NUMPY_DATA_BITS} data bits, "
                         f"not {code.k}")
    values = np.asarray(values)
    if values.dtype.kind not in "ui":
        raise ValueError(f"{name}: expected an integer array, got dtype {values.dtype}")
    if values.dtype.kind == "i" and np.any(values < 0):
        raise ValueError(f"{name}: values must be non-negative")
    values = values.astype(np.uint64)
    if bits < 64 and np.any(values >> np.uint64(bits)):
        raise ValueError(f"{name}: values must fit in {bits} bits")
    return values


def _parities(words, masks):
    """``uint64`` array whose bit j is the parity of ``words & masks[j]``."""
    out = np.zeros(words.shape, dtype=np.uint64)
    for j, mask in enumerate(masks):
        parity = np.bitwise_count(words & np.uint64(mask)) & np.uint8(1)
        out |= parity.astype(np.uint64) << np.uint64(j)
    return out


def encode(code, data):
    """Check bits (``uint16``, bit j = check bit j) of each ``data`` word (``k``-bit integers).

    The stored code word is ``data | check << k`` (see the module docstring).
    """
    data = _numpy_words(code, data, "data", code.k)
    return _parities(data, code.data_masks).astype(np.uint16)


def syndrome(code, data, check):
    """Syndrome ``H c`` (``uint16``) of received words given as ``data`` and ``check`` parts."""
    data = _numpy_words(code, data, "data", code.k)
    check = _numpy_words(code, check, "check", code.r)
    return (_parities(data, code.data_masks) ^ check).astype(np.uint16)


@functools.lru_cache(maxsize=None)
def syndrome_table(code):
    """Decode table indexed by syndrome: ``(flip uint64[2^r], corrected bool[2^r],
    uncorrectable bool[2^r])``; ``flip`` is the data-bit mask to XOR into the received data."""
    size = 1 << code.r
    flip = np.zeros(size, dtype=np.uint64)
    corrected = np.zeros(size, dtype=bool)
    for i, column in enumerate(code.columns):
        corrected[column] = True
        if i < code.k:
            flip[column] = np.uint64(1 << i)
    uncorrectable = ~corrected
    uncorrectable[0] = False
    for array in (flip, corrected, uncorrectable):
        array.flags.writeable = False
    return flip, corrected, uncorrectable


def decode(code, data, check):
    """Decode received words: ``(data uint64, corrected bool, uncorrectable bool)`` per word.

    ``data`` and ``check`` are the received code word's two parts (as stored, possibly with flipped
    bits); the result follows the decoder contract in the module docstring.
    """
    s = syndrome(code, data, check)
    flip, corrected, uncorrectable = syndrome_table(code)
    return _numpy_words(code, data, "data", code.k) ^ flip[s], corrected[s], uncorrectable[s]
