"""nvlut: RTL generator and verification flow for NVFP4 look-up-table multiply-accumulate hardware.

Subpackages, in the order their dependencies run: :mod:`nvlut.spec` (declarative facts: formats,
geometry, ECC modes, the parameter schema) and :mod:`nvlut.util` (leaf utilities); then
:mod:`nvlut.golden` (bit-exact NumPy model) and :mod:`nvlut.hdl` (Amaranth components); then
:mod:`nvlut.gen` (generator and command line); then :mod:`nvlut.cells` (the OSU 0.18 um
standard-cell view: gate-level netlist, Liberty, static timing), :mod:`nvlut.verif` (cocotb
testbenches and campaigns), :mod:`nvlut.energy` (energy per MAC), :mod:`nvlut.synth` (Yosys flows
and reports), :mod:`nvlut.explore` (design-space sweeps), :mod:`nvlut.ablate` (accuracy
ablations). ``tests/test_layering.py`` keeps the imports going one way.
"""

__version__ = "0.1.0"
