"""The element multiplier as a bare truth table: a Verilog ``case`` over every (activation, weight)
code pair.

The outputs are those of ``nvlut.hdl.multiplier`` (``p``, ``neg``, ``inf``, ``nan``), taken from
:func:`nvlut.golden.element_product` (``neg``, the sign of the product, is sign(a) XOR sign(w)). The
table is the specification with no architecture in it: the reference of the lower bound
(``lower_bound.py``) and an independent golden side for equivalence checks (``equiv.py``). Only fp4
and fp8 weights (256 and 4096 rows); fp16 weights would need 2^20 rows.
"""

import numpy as np

from nvlut.spec.formats import WEIGHT_FORMATS

#: weight formats small enough for a truth table
WEIGHTS = ("fp4", "fp8")


def element_outputs(weights):
    """Every output for every code pair, indexed ``[a, w]``: a dict of int64 arrays ``p`` (exact
    signed product), ``neg``, ``inf``, ``nan`` (0/1)."""
    from nvlut import golden

    if weights not in WEIGHTS:
        raise ValueError(f"weights: {weights!r} is not allowed for a truth table; choose one of "
                         f"{', '.join(WEIGHTS)} (fp16 would need 2^20 rows)")
    wb = WEIGHT_FORMATS[weights].bits
    a, w = np.meshgrid(np.arange(16), np.arange(1 << wb), indexing="ij")
    p, inf, nan = golden.element_product(a.astype(np.uint8), w.astype(np.uint8), weights)
    neg = (a >> 3) ^ (w >> (wb - 1))
    return {"p": p.astype(np.int64), "neg": neg.astype(np.int64),
            "inf": (inf != 0).astype(np.int64), "nan": nan.astype(np.int64)}


def signed_width(values):
    """Smallest two's-complement width holding every value of ``values``."""
    lo, hi = int(np.min(values)), int(np.max(values))
    return 1 + max(hi.bit_length(), (-lo - 1).bit_length())


def truth_table_verilog(weights, module, p_width, outputs=None):
    """Verilog of ``module(a, w, p, neg, inf, nan)`` computing ``outputs`` as one ``case``.

    ``p_width`` is the width of ``p`` (that of the multiplier it stands beside); ``outputs``
    (default :func:`element_outputs`) may be altered, e.g. to build a deliberately wrong variant.
    """
    outputs = element_outputs(weights) if outputs is None else outputs
    if signed_width(outputs["p"]) > p_width:
        raise ValueError(f"p_width: {p_width} bits cannot hold products up to "
                         f"{np.abs(outputs['p']).max()}")
    wb = WEIGHT_FORMATS[weights].bits
    width = p_width + 3
    word = ((outputs["nan"] << (p_width + 2)) | (outputs["inf"] << (p_width + 1))
            | (outputs["neg"] << p_width) | (outputs["p"] & ((1 << p_width) - 1)))
    sel, digits = 4 + wb, (width + 3) // 4
    rows = [f"      {sel}'h{(ai << wb) | wi:0{(sel + 3) // 4}x}: y = {width}'h{int(word[ai, wi]):0{digits}x};"
            for ai in range(16) for wi in range(1 << wb)]
    return "\n".join([
        f"module {module}(a, w, p, neg, inf, nan);",
        "  input [3:0] a;",
        f"  input [{wb - 1}:0] w;",
        f"  output [{p_width - 1}:0] p;",
        "  output neg, inf, nan;",
        f"  reg [{width - 1}:0] y;",
        "  assign {nan, inf, neg, p} = y;",
        "  always @* begin",
        "    case ({a, w})",
        *rows,
        f"      default: y = {width}'h{0:0{digits}x};",
        "    endcase",
        "  end",
        "endmodule",
        "",
    ])
