"""The designs ``nvlut energy`` compares: NVFP4 MACs (fp4 weights, block scales, B=16) with the
three multipliers, ROM and writable (RAM) tables, and the ECC variants of the RAM tables."""

from nvlut.spec.params import MacParams

DESIGNS = {
    "lut-rom": MacParams(),
    "fulllut-rom": MacParams(multiplier="fulllut"),
    "mul": MacParams(multiplier="mul"),
    "lut-ram": MacParams(lut_storage="ram"),
    "fulllut-ram": MacParams(multiplier="fulllut", lut_storage="ram"),
    "lut-ram-secded": MacParams(lut_storage="ram", ecc="secded"),
    "lut-ram-msb2": MacParams(lut_storage="ram", ecc="msb2"),
    "fulllut-ram-secded": MacParams(multiplier="fulllut", lut_storage="ram", ecc="secded"),
}


#: the default run: every design, including the writable full-product tables (74,745 and ~107k
#: cells: 256 x 9 or 14 stored bits and 16 read multiplexers of 256 words), whose Icarus runs take
#: 1.5 to 3 minutes each on an unloaded core
DEFAULT = tuple(DESIGNS)
#: the designs the seed's ECC + voltage and mixed-voltage comparisons need
SEED_COMPARISON = ("fulllut-ram", "fulllut-ram-secded", "lut-ram-secded", "lut-ram-msb2")

