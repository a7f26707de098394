"""The ``faults`` study: accuracy versus bit error rate in the MAC's multiplier-table storage.

Each model runs in exact mode (NVFP4, B=16, ``nvlut.golden`` arithmetic) on a MAC whose table is
stored in RAM (``lut_storage = ram``) under an ECC mode (``none``, ``secded``, ``msb<k>``). For every
bit error rate, a random fault map flips each stored bit (entries and check bits) independently with
that probability (``nvlut.golden.faults.random_fault_map``, seeded by run seed, ECC mode, rate and
trial); the table the storage then delivers (after ECC correction) is what every dot product of the
model reads (``nvlut.golden.faults.dot_with_table``). The fault is static for the whole test subset,
as a stuck or upset RAM cell would be until the table is rewritten.

When the delivered table equals the fault-free one (no flips, or all corrected) the accuracy is that
of the fault-free exact run, which is then reused instead of recomputed.
"""

import dataclasses

import numpy as np

from nvlut.spec.ecc import ECC_SWEEP

from . import train
from .layers import QuantConfig, quantize_model
from .quant import NVFP4

BERS = (1e-3, 1e-2, 3e-2, 1e-1)
MULTIPLIERS = ("lut", "fulllut")


def design(ecc, multiplier):
    """The MAC of the study: NVFP4 (fp4 weights, block-scaled, B=16), table in RAM under ``ecc``."""
    from nvlut.spec.params import DEFAULT_BLOCK, MacParams

    return MacParams(weights="fp4", weight_scaling="block", block=DEFAULT_BLOCK,
                     multiplier=multiplier, lut_storage="ram", ecc=ecc)


@dataclasses.dataclass(frozen=True, eq=False)
class TableFault:
    """A MAC design ``params`` whose table storage delivers ``delivered`` = ``(entries, corrected,
    uncorrectable)`` per word; ``dot`` has the signature of ``nvlut.golden.dot``."""

    params: object
    delivered: tuple
    flipped_bits: int

    @classmethod
    def random(cls, params, ber, rng):
        from nvlut.golden import faults
        from nvlut.spec.storage import storage_layout

        table = faults.lut_table(params.multiplier, params.weights)
        layout = storage_layout(table.width, params.ecc)
        fault_map = faults.random_fault_map(rng, table.depth, layout.stored_bits, ber)
        flipped = int(sum(bin(int(m)).count("1") for m in fault_map))
        return cls(params, faults.faulty_table(params, fault_map), flipped)

    @property
    def harmless(self):
        """True when the delivered table equals the fault-free table."""
        from nvlut.golden import faults

        clean = faults.lut_table(self.params.multiplier, self.params.weights).entries
        return bool(np.array_equal(self.delivered[0], clean))

    def dot(self, a, w, sa, sw, t, weights):
        from nvlut.golden import faults

        if weights != self.params.weights:
            raise ValueError(f"weights: the faulty table is for {self.params.weights}, not {weights}")
        y, _ = faults.dot_with_table(self.params, self.delivered, a, w, sa, sw, t)
        return y


def run_faults(evaluator, bers=BERS, eccs=ECC_SWEEP, multiplier="lut", trials=2,
               recipe="torchao"):
    """Rows of the faults study for the evaluator's model and seed (NVFP4 quantized with
    ``recipe``)."""
    nvfp4 = dataclasses.replace(NVFP4, recipe=recipe)
    model = quantize_model(evaluator.base, QuantConfig(nvfp4, nvfp4))
    fake_out = train.logits(model, evaluator.ds.x_test)
    exact = QuantConfig(nvfp4, nvfp4, exact=True)
    clean = evaluator.exact_row("faults", "fault-free", model, fake_out, exact, ecc="",
                                ber=0.0, trial="", flipped_bits=0)
    rows = [evaluator.baseline("faults"), clean]
    for e, ecc in enumerate(eccs):
        params = design(ecc, multiplier)
        for b, ber in enumerate(bers):
            for trial in range(trials):
                rng = np.random.default_rng([evaluator.seed, e, b, trial])
                fault = TableFault.random(params, ber, rng)
                fields = dict(ecc=ecc, ber=ber, trial=trial, flipped_bits=fault.flipped_bits)
                label = f"ecc={ecc}"
                if fault.harmless:
                    rows.append({**clean, "variant": label, **fields})
                else:
                    rows.append(evaluator.exact_row(
                        "faults", label, model, fake_out,
                        dataclasses.replace(exact, fault=fault), **fields))
    return rows
