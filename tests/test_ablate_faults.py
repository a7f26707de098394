"""The faults-study hook of nvlut.ablate against nvlut.golden's fault model."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nvlut import golden  # noqa: E402
from nvlut.ablate import faults  # noqa: E402
from nvlut.ablate.layers import QuantConfig, quantize_model  # noqa: E402
from nvlut.ablate.quant import NVFP4  # noqa: E402


def _layer_outputs(fault):
    torch.manual_seed(0)
    layer = torch.nn.Linear(48, 8)
    x = torch.randn(4, 48)
    exact = quantize_model(layer, QuantConfig(NVFP4, NVFP4, exact=True, fault=fault))
    return exact(x).detach(), quantize_model(layer, QuantConfig(NVFP4, NVFP4, exact=True))(x)


@pytest.mark.parametrize("ecc", ["none", "secded"])
def test_fault_free_table_gives_the_golden_dot(ecc):
    fault = faults.TableFault.random(faults.design(ecc, "lut"), 0.0, np.random.default_rng(0))
    assert fault.harmless and fault.flipped_bits == 0
    with_table, plain = _layer_outputs(fault)
    assert torch.equal(with_table, plain)


def test_single_flip_is_corrected_by_secded_and_not_without_ecc():
    for ecc, harmless in (("secded", True), ("none", False)):
        params = faults.design(ecc, "lut")
        table = golden.faults.lut_table(params.multiplier, params.weights)
        # flip the most significant bit of the entry 3 * 3 = 9 (largest significand product)
        word = int(np.argmax(table.entries))
        fault_map = golden.faults.fault_map_from_bits(table.depth, [(word, table.width - 1)])
        fault = faults.TableFault(params, golden.faults.faulty_table(params, fault_map), 1)
        assert fault.harmless == harmless
        with_table, plain = _layer_outputs(fault)
        assert torch.equal(with_table, plain) == harmless
