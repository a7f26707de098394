"""Design parameters of a generated NVLUT MAC, validated in one place.

The same names are used by the Python API (``MacParams(weights="fp8", ...)``) and the command line
(``--weights fp8``). Every invalid value or combination raises ``ValueError`` naming the parameter,
the allowed values and, for combinations, why they make no sense.
"""

import dataclasses
import re

from .table_geometry import entry_width

WEIGHTS = ("fp4", "fp8", "fp16")
WEIGHT_SCALING = ("block", "tensor")
MULTIPLIERS = ("lut", "fulllut", "mul")
LUT_STORAGE = ("rom", "ram")
BLOCK_RANGE = (4, 128)
MAX_BLOCKS_RANGE = (1, 1 << 20)
PIPELINE_RANGE = (0, 3)
_ECC_RE = re.compile(r"^(none|secded|msb([1-9][0-9]*))$")

#: bits of one weight code
WEIGHT_BITS = {"fp4": 4, "fp8": 8, "fp16": 16}


def _choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name}: {value!r} is not allowed; choose one of {', '.join(allowed)}")


def _int_range(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name}: {value!r} is not allowed; use an integer from {lo} to {hi}")


@dataclasses.dataclass(frozen=True)
class MacParams:
    """Parameters of one NVLUT MAC configuration (see ``docs/hardware.md``)."""

    weights: str = "fp4"
    weight_scaling: str = "block"
    block: int = 16
    multiplier: str = "lut"
    lut_storage: str = "rom"
    ecc: str = "none"
    max_blocks: int = 256
    pipeline: int = 1
    fault_port: bool = False

    def __post_init__(self):
        _choice("weights", self.weights, WEIGHTS)
        _choice("weight_scaling", self.weight_scaling, WEIGHT_SCALING)
        _int_range("block", self.block, *BLOCK_RANGE)
        _choice("multiplier", self.multiplier, MULTIPLIERS)
        _choice("lut_storage", self.lut_storage, LUT_STORAGE)
        if not isinstance(self.ecc, str) or not _ECC_RE.match(self.ecc):
            raise ValueError(f"ecc: {self.ecc!r} is not allowed; choose none, secded or msb<k> "
                             "(k >= 1: SECDED on the k most significant bits of each table entry)")
        _int_range("max_blocks", self.max_blocks, *MAX_BLOCKS_RANGE)
        _int_range("pipeline", self.pipeline, *PIPELINE_RANGE)
        if self.multiplier == "fulllut" and self.weights == "fp16":
            raise ValueError("multiplier: 'fulllut' with weights 'fp16' needs a 2^20-entry product "
                             "table per lane; use multiplier 'lut' or 'mul' for fp16 weights")
        if self.multiplier == "mul" and self.lut_storage == "ram":
            raise ValueError("lut_storage: 'ram' needs a table, but multiplier 'mul' has none; "
                             "use lut_storage 'rom' with multiplier 'mul'")
        if self.ecc != "none" and self.lut_storage != "ram":
            raise ValueError("ecc: ECC protects writable table storage; it needs lut_storage 'ram' "
                             "(and multiplier 'lut' or 'fulllut')")
        protected = self.ecc_protected_bits
        if protected > entry_width(self.multiplier, self.weights):
            width = entry_width(self.multiplier, self.weights)
            raise ValueError(f"ecc: cannot protect {protected} bits of a {width}-bit table entry "
                             f"({self.multiplier} table, {self.weights} weights); use msb1 .. "
                             f"msb{width} or secded")
        if self.fault_port and self.lut_storage != "ram":
            raise ValueError("fault_port: fault injection targets writable table storage; "
                             "it needs lut_storage 'ram'")

    @property
    def block_scaled(self):
        """True when weights carry their own E4M3 block scale ``sw``."""
        return self.weight_scaling == "block"

    @property
    def weight_bits(self):
        return WEIGHT_BITS[self.weights]

    @property
    def ecc_protected_bits(self):
        """Most significant table entry bits covered by SECDED: k of ``msb<k>``, the whole entry
        for ``secded``, 0 for ``none``."""
        m = _ECC_RE.match(self.ecc)
        if m.group(2):
            return int(m.group(2))
        return entry_width(self.multiplier, self.weights) if self.ecc == "secded" else 0

    @property
    def name(self):
        """A file-name-safe identifier that determines every parameter."""
        parts = [self.weights, self.weight_scaling, f"b{self.block}", self.multiplier,
                 self.lut_storage, self.ecc, f"mb{self.max_blocks}", f"p{self.pipeline}"]
        if self.fault_port:
            parts.append("fi")
        return "_".join(parts)

    def as_dict(self):
        return dataclasses.asdict(self)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


def add_design_arguments(parser):
    """Add one ``--<param>`` flag per :class:`MacParams` field (underscores become dashes)."""
    d = MacParams()
    g = parser.add_argument_group("design parameters")
    g.add_argument("--weights", default=d.weights, help=f"weight format: {'|'.join(WEIGHTS)}")
    g.add_argument("--weight-scaling", default=d.weight_scaling,
                   help="block: NVFP4-style E4M3 weight block scale sw; tensor: none (default block)")
    g.add_argument("--block", default=d.block, type=_int_arg("block"),
                   help=f"block size B, {BLOCK_RANGE[0]}..{BLOCK_RANGE[1]} (default {d.block})")
    g.add_argument("--multiplier", default=d.multiplier,
                   help=f"element multiplier: {'|'.join(MULTIPLIERS)} (default {d.multiplier})")
    g.add_argument("--lut-storage", default=d.lut_storage,
                   help="rom: constant table; ram: writable table loaded through the config port")
    g.add_argument("--ecc", default=d.ecc, help="none|secded|msb<k> (needs --lut-storage ram)")
    g.add_argument("--max-blocks", default=d.max_blocks, type=_int_arg("max_blocks"),
                   help=f"blocks per dot product the accumulator must hold (default {d.max_blocks})")
    g.add_argument("--pipeline", default=d.pipeline, type=_int_arg("pipeline"),
                   help=f"register stages, {PIPELINE_RANGE[0]}..{PIPELINE_RANGE[1]} "
                        f"(default {d.pipeline})")
    g.add_argument("--fault-port", action="store_true",
                   help="add a fault-injection port to the table storage (testing only)")


def _int_arg(name):
    def parse(text):
        try:
            return int(text, 0)
        except ValueError:
            raise ValueError(f"{name}: {text!r} is not an integer") from None
    parse.__name__ = name
    return parse


def params_from_args(args):
    """Build :class:`MacParams` from the flags added by :func:`add_design_arguments`."""
    return MacParams(weights=args.weights, weight_scaling=args.weight_scaling, block=args.block,
                     multiplier=args.multiplier, lut_storage=args.lut_storage, ecc=args.ecc,
                     max_blocks=args.max_blocks, pipeline=args.pipeline,
                     fault_port=args.fault_port)
