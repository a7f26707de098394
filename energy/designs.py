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


#: the default run: every design but the writable full-product tables, whose flat netlists (72k and
#: 107k cells: 256 x 9 or 14 stored bits and 16 read multiplexers of 256 words) Icarus 11 had not
#: finished elaborating after 14 and 27 minutes (2.5 and 4 CPU minutes) on a 2-core machine with a
#: load average of 14; select them with --designs
LARGE = ("fulllut-ram", "fulllut-ram-secded")
DEFAULT = tuple(name for name in DESIGNS if name not in LARGE)


def check_designs(names):
    for n in names:
        if n not in DESIGNS:
            raise ValueError(f"designs: {n!r} is not allowed; choose from {', '.join(DESIGNS)}")
