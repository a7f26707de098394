"""Accuracy of an ``nvlut ablate`` model when its MAC's table storage runs at a bit error rate.

Uses the ablate fault study's machinery: the model runs in exact mode (NVFP4, B=16,
:mod:`nvlut.golden` arithmetic) on a MAC whose table (RAM, with the design's ECC) has a random fault
map drawn with :func:`nvlut.golden.faults.random_fault_map` at the BER of the voltage; the decoded
table (:func:`nvlut.golden.faults.faulty_table`) is what every dot product reads
(:class:`nvlut.ablate.faults.TableFault`). In ``mixed`` mode only the stored bits outside the
protected MSBs and check bits are exposed (they alone sit at ``V_low``). A fault map that leaves the
delivered table intact reuses the fault-free accuracy. Mean and spread over ``seeds`` fault maps.
"""

import dataclasses
import os

import numpy as np

#: the model and the checkpoint cache shared with ``nvlut ablate``
MODEL = "mlp"
CKPT_DIR = os.path.join("build", "ablate", "ckpt")


class AccuracyModel:
    """One ablate model (trained once, cached in the ablate checkpoint directory), evaluated in exact
    mode on its first ``samples`` test samples."""

    def __init__(self, samples, model=MODEL, seed=0, ckpt_dir=CKPT_DIR, log=print):
        from nvlut.ablate import studies, train
        from nvlut.ablate.layers import QuantConfig, quantize_model
        from nvlut.ablate.quant import NVFP4

        self.ev = studies.Evaluator(model, seed, train.FULL, ckpt_dir, samples, log)
        self.qmodel = quantize_model(self.ev.base, QuantConfig(NVFP4, NVFP4))
        self.fake_out = train.logits(self.qmodel, self.ev.ds.x_test)
        self.config = QuantConfig(NVFP4, NVFP4, exact=True)
        self.clean = self._accuracy(self.config)
        self.name = model
        self._cache = {}

    def _accuracy(self, config):
        return self.ev.exact_row("energy", "", self.qmodel, self.fake_out, config)["accuracy"]

    def under_faults(self, params, ber, seeds, exposed="all"):
        """``(mean, std, accuracies)`` over ``seeds`` fault maps at ``ber``; ``exposed``: ``all``
        stored bits or only the ``low`` ones (outside the protected MSBs and check bits)."""
        from nvlut.ablate.faults import TableFault
        from nvlut.golden import faults
        from nvlut.spec.storage import storage_layout

        table = faults.lut_table(params.multiplier, params.weights)
        layout = storage_layout(table.width, params.ecc)
        mask = (1 << layout.stored_bits) - 1 if exposed == "all" else \
            (1 << (table.width - layout.protected)) - 1
        accs = []
        for seed in range(seeds):
            key = (params.name, ber, seed, exposed)
            if key not in self._cache:
                rng = np.random.default_rng([seed, int(round(-np.log10(ber) * 1000)) if ber else 0])
                fmap = faults.random_fault_map(rng, table.depth, layout.stored_bits, ber) \
                    & np.uint64(mask)
                flipped = int(sum(bin(int(m)).count("1") for m in fmap))
                fault = TableFault(params, faults.faulty_table(params, fmap), flipped)
                self._cache[key] = self.clean if fault.harmless else self._accuracy(
                    dataclasses.replace(self.config, fault=fault))
            accs.append(self._cache[key])
        return float(np.mean(accs)), float(np.std(accs)), accs
