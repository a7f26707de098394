"""Every modelling assumption of ``nvlut explore``, in one place; the report prints this file's
:data:`TEXT`.

Table supply voltage -> bit error rate. The only published, public measurement of memory bit
errors versus supply we cite is Salami et al., "Comprehensive Evaluation of Supply Voltage
Underscaling in FPGA on-chip Memories", MICRO 2018 (data: GitHub
behzadsalami/FPGA-BRAMs-Undervoltig-Study): 28 nm Xilinx VC707 BRAMs, nominal 1.0 V, fit
``log10 BER = 30.94 - 62.8 V`` over 0.60 V (1.19e-7) .. 0.54 V (7.0e-4, the crash point). These are
timing faults of FPGA BRAM at a fixed clock, not 6T-SRAM retention failures, and the MAC's table
here is synthesized to flip-flops in OSU 0.18 um: the model only says "how many bits flip at this
relative undervolting", and the voltage axis is that study's (28 nm, 1.0 V nominal). Voltages above
:data:`FIT_MAX_V` count as fault-free; below :data:`CRASH_V` the memory does not work.

Voltage scaling applies to writable table storage only (``lut_storage = ram``): a ``rom`` table is
logic on the core supply and ``mul`` has no table, so points scaling their voltage need ``ram``.

Accuracy loss (percentage points) of a point, averaged over the models of the workload:
``(float32 accuracy - accuracy with the point's number formats)`` on the whole test set (fake
quantization, ``nvlut.ablate``), plus, when the table voltage gives a nonzero bit error rate, the
fault penalty ``exact accuracy fault-free - exact accuracy with a random fault map at that rate``
(``nvlut.ablate.faults.TableFault`` on the point's own multiplier, storage and ECC; the MAC's exact
arithmetic, ``nvlut.golden``) on the first ``exact_samples`` test samples, averaged over
``fault_trials`` fault maps. Activations are NVFP4 with the point's block size B; weights are NVFP4
(B) for block-scaled fp4, FP4 with an FP32 tensor scale for tensor-scaled fp4, E4M3 with the tensor
scale amax/448 for fp8 and binary16 for fp16 (the formats of ``nvlut.ablate.quant``). Block-scaled
fp8/fp16 weights have no ablate format: their accuracy is reported as not available.

Fmax (MHz) is ``nvlut synth``'s static timing (``synth/timing.py``, the same result and cache):
``1000 / (clock period - worst slack)`` from OpenSTA 2.0.17 ``report_checks`` on the OSU 0.18 um
netlist (one corner, 1.8 V), with a clock on ``clk`` and zero input / output delays on every other
port, so register-to-register and port paths both count.

Area is the OSU 0.18 um standard-cell area (um^2: logic, flip-flops and writable table bits) of the
``gates`` flow of ``nvlut synth``. Energy per MAC comes from ``nvlut energy`` when it is installed.

The seed paper's operating point is fp4 weights with block scaling, B = 16, multiplier ``lut``, a
writable table with ECC and a scaled table voltage (seed summary in /work/shared/seeds/).
"""

import math

#: nominal table supply of the voltage model (V; Salami et al. 2018, 28 nm BRAM)
NOMINAL_V = 1.0
#: the voltage model's fit: log10 BER = A - S * V (Salami et al. 2018, VC707)
FIT_A, FIT_S = 30.94, 62.8
#: above this voltage the fit's measured range ends and the table counts as fault-free
FIT_MAX_V = 0.60
#: the lowest voltage at which Salami et al. measured working BRAMs (the crash point)
CRASH_V = 0.54

TEXT = __doc__


def ber(voltage):
    """Bit error rate of the table storage at ``voltage`` volts (0.0 above :data:`FIT_MAX_V`)."""
    if not CRASH_V <= voltage <= NOMINAL_V:
        raise ValueError(f"voltage: {voltage!r} is not allowed; use {CRASH_V} .. {NOMINAL_V} V "
                         "(the range of the voltage model, nvlut/explore/assumptions.py)")
    if voltage > FIT_MAX_V:
        return 0.0
    return float(f"{math.pow(10.0, FIT_A - FIT_S * voltage):.3g}")


def is_seed_point(params, voltage):
    """True for the seed paper's operating point (see the module docstring)."""
    return (params.weights == "fp4" and params.weight_scaling == "block" and params.block == 16
            and params.multiplier == "lut" and params.lut_storage == "ram" and params.ecc != "none"
            and voltage < NOMINAL_V)
