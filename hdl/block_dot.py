"""The exact dot product of one block: B element multipliers sharing one table, and the tree."""

from amaranth.hdl import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from nvlut.spec.formats import E2M1
from nvlut.spec.table_geometry import product_width

from .adder_tree import AdderTree, tree_width
from .lut_storage import LutStorage, storage_members
from .multiplier import VARIANTS


def block_sum_width(params):
    """Width of the exact block sum ``S`` (signed)."""
    return tree_width(params.block, product_width(params.weights))


class BlockDot(wiring.Component):
    """``s = sum_i p(a[i], w[i])`` over the ``params.block`` lanes of one block, exactly.

    In: ``a`` (B E2M1 codes), ``w`` (B weight codes), for ``lut_storage=ram`` the table write
    port ``write`` and with ``fault_port`` the fault-injection port ``fault`` (see
    :class:`~nvlut.hdl.lut_storage.LutStorage`). Out: ``s`` (signed
    :func:`block_sum_width` bits; the sum of the finite lane products), ``nan`` / ``inf_pos`` /
    ``inf_neg`` (some lane product is NaN / +Inf / -Inf), ``ecc_corrected`` / ``ecc_uncorrectable``
    (from the table reads of this block). Purely combinational (the RAM write is synchronous).
    """

    def __init__(self, params):
        self.params = params
        members = {
            "a": In(data.ArrayLayout(E2M1.bits, params.block)),
            "w": In(data.ArrayLayout(params.weight_bits, params.block)),
            "s": Out(signed(block_sum_width(params))),
            "nan": Out(1),
            "inf_pos": Out(1),
            "inf_neg": Out(1),
            "ecc_corrected": Out(1),
            "ecc_uncorrectable": Out(1),
        }
        members.update(storage_members(params))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        p = self.params
        m.submodules.tree = tree = AdderTree(p.block, product_width(p.weights))
        storage = None
        if p.multiplier != "mul":
            m.submodules.storage = storage = LutStorage(p, ports=p.block)
            m.d.comb += [self.ecc_corrected.eq(storage.corrected),
                         self.ecc_uncorrectable.eq(storage.uncorrectable)]
            for port in ("write", "fault"):
                if port in storage.signature.members:
                    wiring.connect(m, wiring.flipped(getattr(self, port)),
                                   getattr(storage, port))
        nan = inf_pos = inf_neg = 0
        for i in range(p.block):
            m.submodules[f"lane{i}"] = lane = VARIANTS[p.multiplier](p.weights)
            if storage is not None:
                wiring.connect(m, lane.table, storage.read[i])
            m.d.comb += [lane.a.eq(self.a[i]), lane.w.eq(self.w[i]), tree.x[i].eq(lane.p)]
            nan |= lane.nan
            inf_pos |= lane.inf & ~lane.neg
            inf_neg |= lane.inf & lane.neg
        m.d.comb += [self.s.eq(tree.sum), self.nan.eq(nan), self.inf_pos.eq(inf_pos),
                     self.inf_neg.eq(inf_neg)]
        return m
