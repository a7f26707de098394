"""nvlut: RTL generator and verification flow for NVFP4 look-up-table multiply-accumulate hardware.

Subpackages: :mod:`nvlut.golden` (bit-exact NumPy model), :mod:`nvlut.hdl` (Amaranth components),
:mod:`nvlut.gen` (generator and command line), :mod:`nvlut.verif` (cocotb testbenches),
:mod:`nvlut.synth` (Yosys flows and reports), :mod:`nvlut.ablate` (accuracy ablations).
"""

__version__ = "0.1.0"
