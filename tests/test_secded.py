"""The Hsiao SECDED code (construction: nvlut.spec.secded; NumPy codec: nvlut.golden.secded):
construction and error behaviour.

The properties are checked against definitions written out here (bounds, the parity-check equation
``H c = 0`` by matrix product, brute-force search), not against the module's own helpers.
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nvlut.golden import secded
from nvlut.spec.secded import check_bit_count, secded_code

KS = range(1, 65)
WORDS_PER_K = 6


def random_data(k, count, seed):
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 1 << min(k, 63), size=count, dtype=np.uint64)
    if k == 64:
        words |= rng.integers(0, 2, size=count, dtype=np.uint64) << np.uint64(63)
    words[0] = 0
    return words


def flip(code, data, check, positions):
    """Received words: ``data``/``check`` with every code word bit in ``positions`` flipped.

    ``positions`` is ``int[m, e]`` (m error patterns of e bits); returns arrays of shape
    ``(len(data), m)``.
    """
    positions = np.asarray(positions, dtype=np.int64).reshape(len(positions), -1)
    data_err = np.zeros(len(positions), dtype=np.uint64)
    check_err = np.zeros(len(positions), dtype=np.uint64)
    for column in positions.T:
        in_data = column < code.k
        data_err ^= np.where(in_data, np.uint64(1) << column.clip(0, 63).astype(np.uint64), 0)
        shift = (column - code.k).clip(0, 63).astype(np.uint64)
        check_err ^= np.where(in_data, 0, np.uint64(1) << shift)
    return (data[:, None] ^ data_err[None, :],
            check.astype(np.uint64)[:, None] ^ check_err[None, :])


def bits_of(data, check, code):
    """Code word bits ``uint8[len, n]`` (data bits then check bits) from the two parts."""
    d = (data[:, None] >> np.arange(code.k, dtype=np.uint64)) & 1
    c = (check.astype(np.uint64)[:, None] >> np.arange(code.r, dtype=np.uint64)) & 1
    return np.concatenate([d, c], axis=1).astype(np.int64)


# ---- construction -------------------------------------------------------------------------------

@pytest.mark.parametrize("k", KS)
def test_check_bits_are_minimal(k):
    r = check_bit_count(k)
    # Hamming bound on the punctured [n-1, k, 3] code: a SECDED code needs 2^(r-1) >= k + r ...
    assert 2 ** (r - 1) >= k + r and not 2 ** (r - 2) >= k + r - 1
    # ... and Hsiao's construction reaches it: enough odd-weight (>= 3) columns for r, not for r-1
    available = lambda rows: sum(math.comb(rows, w) for w in range(3, rows + 1, 2))
    assert available(r) >= k > available(r - 1)


def _secded_exists(k, r):
    """Brute force: is there a systematic [k + r, k] code H = [D | I_r] with distance >= 4?"""
    identity = [1 << j for j in range(r)]
    # a data column equal to 0 or to a check column would give distance <= 2
    allowed = [v for v in range(1, 1 << r) if v & (v - 1)]
    for data_columns in itertools.combinations(allowed, k):
        columns = list(data_columns) + identity
        if all(a ^ b ^ c for a, b, c in itertools.combinations(columns, 3)):
            return True
    return False


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_no_code_with_fewer_check_bits(k):
    r = check_bit_count(k)
    assert _secded_exists(k, r)
    assert not _secded_exists(k, r - 1)


def test_check_bit_table():
    """The documented (k, r) steps: r grows exactly where 2^(r-1) - r data columns run out."""
    steps = [k for k in range(2, 121) if check_bit_count(k) > check_bit_count(k - 1)]
    assert steps == [2 ** (r - 2) - (r - 1) + 1 for r in range(4, 9)]
    assert check_bit_count(1) == 3


@pytest.mark.parametrize("k", range(1, 121))
def test_columns(k):
    code = secded_code(k)
    assert code.n == k + code.r == len(code.columns)
    weights = [bin(c).count("1") for c in code.columns]
    assert all(w % 2 == 1 for w in weights), "every column has odd weight"
    assert len(set(code.columns)) == code.n, "columns are distinct"
    assert all(0 < c < 1 << code.r for c in code.columns)
    assert code.columns[k:] == tuple(1 << j for j in range(code.r)), "check bits are the identity"
    data_weights = weights[:k]
    assert min(data_weights) >= 3
    # lightest columns first: every weight class below the heaviest one used is used completely
    assert data_weights == sorted(data_weights)
    for w in range(3, max(data_weights), 2):
        assert data_weights.count(w) == math.comb(code.r, w)
    # balanced rows: the data bits each check bit covers differ by at most one between rows
    rows = [sum(c >> j & 1 for c in code.columns[:k]) for j in range(code.r)]
    assert max(rows) - min(rows) <= 1


@pytest.mark.parametrize("k", KS)
def test_distance_four(k):
    """No three columns of H sum to zero (nor one or two): minimum distance >= 4."""
    cols = np.array(secded_code(k).columns, dtype=np.int64)
    a, b = np.triu_indices(len(cols), 1)
    pair = cols[a] ^ cols[b]
    assert np.all(cols != 0) and np.all(pair != 0)
    assert not np.isin(pair, cols).any()


def test_parity_check_matrix_shape():
    code = secded_code(11)
    h = secded.parity_check_matrix(code)
    assert h.shape == (code.r, code.n) and h.dtype == np.uint8
    np.testing.assert_array_equal(h[:, 11:], np.eye(code.r, dtype=np.uint8))


@pytest.mark.parametrize("k", KS)
def test_code_words_satisfy_parity_check(k):
    code = secded_code(k)
    data = random_data(k, 64, seed=k)
    check = secded.encode(code, data)
    h = secded.parity_check_matrix(code).astype(np.int64)
    assert np.all((bits_of(data, check, code) @ h.T) % 2 == 0)
    np.testing.assert_array_equal(secded.syndrome(code, data, check), 0)
    out, corrected, uncorrectable = secded.decode(code, data, check)
    np.testing.assert_array_equal(out, data)
    assert not corrected.any() and not uncorrectable.any()


# ---- error behaviour, exhaustive over positions ---------------------------------------------------

@pytest.mark.parametrize("k", KS)
def test_every_single_error_corrected(k):
    code = secded_code(k)
    data = random_data(k, WORDS_PER_K, seed=100 + k)
    rx_data, rx_check = flip(code, data, secded.encode(code, data), np.arange(code.n)[:, None])
    out, corrected, uncorrectable = secded.decode(code, rx_data, rx_check)
    np.testing.assert_array_equal(out, np.broadcast_to(data[:, None], out.shape))
    assert corrected.all() and not uncorrectable.any()


@pytest.mark.parametrize("k", KS)
def test_every_double_error_detected_never_corrected(k):
    code = secded_code(k)
    data = random_data(k, WORDS_PER_K, seed=200 + k)
    pairs = np.array(list(itertools.combinations(range(code.n), 2)))
    rx_data, rx_check = flip(code, data, secded.encode(code, data), pairs)
    out, corrected, uncorrectable = secded.decode(code, rx_data, rx_check)
    assert uncorrectable.all() and not corrected.any()
    np.testing.assert_array_equal(out, rx_data)  # nothing is flipped on an uncorrectable word


# ---- properties -------------------------------------------------------------------------------------

@st.composite
def word_and_errors(draw, max_errors=None):
    k = draw(st.integers(1, 64))
    code = secded_code(k)
    data = draw(st.integers(0, (1 << k) - 1))
    positions = draw(st.sets(st.integers(0, code.n - 1),
                             max_size=code.n if max_errors is None else max_errors))
    return code, data, sorted(positions)


@settings(max_examples=300, deadline=None)
@given(word_and_errors(max_errors=2))
def test_up_to_two_errors(case):
    code, data, positions = case
    data = np.array([data], dtype=np.uint64)
    check = secded.encode(code, data)
    if positions:
        rx_data, rx_check = flip(code, data, check, [positions])
        rx_data, rx_check = rx_data[:, 0], rx_check[:, 0]
    else:
        rx_data, rx_check = data, check
    out, corrected, uncorrectable = secded.decode(code, rx_data, rx_check)
    assert bool(corrected[0]) == (len(positions) == 1)
    assert bool(uncorrectable[0]) == (len(positions) == 2)
    assert out[0] == (rx_data[0] if len(positions) == 2 else data[0])


@settings(max_examples=300, deadline=None)
@given(word_and_errors())
def test_any_error_pattern(case):
    """Any number of errors: the flags never both set; 'no error' exactly when the error pattern
    is itself a code word (H e = 0); data delivered is received data XOR at most one bit."""
    code, data, positions = case
    data = np.array([data], dtype=np.uint64)
    check = secded.encode(code, data)
    rx_data, rx_check = (flip(code, data, check, [positions]) if positions else
                         (data[:, None], check.astype(np.uint64)[:, None]))
    out, corrected, uncorrectable = secded.decode(code, rx_data[:, 0], rx_check[:, 0])
    assert not (corrected[0] and uncorrectable[0])
    h = secded.parity_check_matrix(code).astype(np.int64)
    error = np.zeros(code.n, dtype=np.int64)
    error[positions] = 1
    silent = not np.any(h @ error % 2)
    assert silent == (not corrected[0] and not uncorrectable[0])
    assert bin(int(out[0] ^ rx_data[0, 0])).count("1") <= int(corrected[0])


# ---- bad input --------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [0, -1, 2.0, True])
def test_bad_k(k):
    with pytest.raises(ValueError, match="k:"):
        secded_code(k)


def test_bad_words():
    code = secded_code(8)
    with pytest.raises(ValueError, match="data:.*8 bits"):
        secded.encode(code, [256])
    with pytest.raises(ValueError, match="data:.*integer"):
        secded.encode(code, [1.5])
    with pytest.raises(ValueError, match="check:.*5 bits"):
        secded.decode(code, [0], [32])
    with pytest.raises(ValueError, match="k:.*64"):
        secded.encode(secded_code(65), [0])
