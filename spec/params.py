"""Design parameters of a generated NVLUT MAC: the parameter schema, validated in one place.

The same names are used by the Python API (``MacParams(weights="fp8", ...)``), the command line
(``--weights fp8``, flags generated from the fields by ``nvlut.gen.params``), reproducer commands
(:meth:`MacParams.to_argv`) and manifests (:meth:`MacParams.as_dict`). Each field carries its
command-line help in its metadata. Every invalid value or combination raises ``ValueError`` naming
the parameter, the allowed values and, for combinations, why they make no sense.
"""

import dataclasses

from .ecc import ECC_GRAMMAR, EccMode
from .formats import WEIGHT_FORMATS, WEIGHTS
from .table_geometry import entry_width

WEIGHT_SCALING = ("block", "tensor")
MULTIPLIERS = ("lut", "fulllut", "mul")
LUT_STORAGE = ("rom", "ram")
#: block sizes B the hardware and the quantizer accept, and the NVFP4 default
BLOCK_RANGE = (4, 128)
DEFAULT_BLOCK = 16
MAX_BLOCKS_RANGE = (1, 1 << 20)
PIPELINE_RANGE = (0, 5)
#: the tensor-scale multiply: one combinational multiplier, or bit-serial (with the normalization)
#: over several cycles
FINAL_STAGES = ("parallel", "iterative")


def _choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name}: {value!r} is not allowed; choose one of {', '.join(allowed)}")


def _int_range(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name}: {value!r} is not allowed; use an integer from {lo} to {hi}")


def _param(default, help, choices=None, int_range=None):
    """A schema field: ``default``, command-line ``help`` (``{default}`` is filled in), and the
    allowed ``choices`` or inclusive ``int_range``; validation is in ``MacParams.__post_init__``."""
    return dataclasses.field(default=default, metadata={
        "help": help, "choices": choices, "int_range": int_range})


@dataclasses.dataclass(frozen=True)
class MacParams:
    """Parameters of one NVLUT MAC configuration (see ``docs/hardware.md``)."""

    weights: str = _param("fp4", f"weight format: {'|'.join(WEIGHTS)}", choices=WEIGHTS)
    weight_scaling: str = _param(
        "block", "block: NVFP4-style E4M3 weight block scale sw; tensor: none (default block)",
        choices=WEIGHT_SCALING)
    block: int = _param(DEFAULT_BLOCK, f"block size B, {BLOCK_RANGE[0]}..{BLOCK_RANGE[1]} "
                        "(default {default})", int_range=BLOCK_RANGE)
    multiplier: str = _param("lut", f"element multiplier: {'|'.join(MULTIPLIERS)} "
                             "(default {default})", choices=MULTIPLIERS)
    lut_storage: str = _param(
        "rom", "rom: constant table; ram: writable table loaded through the config port "
        "(default {default})",
        choices=LUT_STORAGE)
    ecc: str = _param("none", f"{ECC_GRAMMAR} (needs --lut-storage ram)")
    max_blocks: int = _param(256, "blocks per dot product the accumulator must hold "
                             "(default {default})", int_range=MAX_BLOCKS_RANGE)
    pipeline: int = _param(1, f"register stages, {PIPELINE_RANGE[0]}..{PIPELINE_RANGE[1]} "
                           "(default {default})", int_range=PIPELINE_RANGE)
    fault_port: bool = _param(False, "add a fault-injection port to the table storage "
                              "(testing only)")
    final_stage: str = _param(
        "parallel", "tensor-scale multiply: parallel (one multiplier) or iterative (bit-serial "
        "multiply and normalization in one register: far smaller, 38 more cycles of latency, "
        "back-pressure on dot products shorter than that) (default {default})",
        choices=FINAL_STAGES)

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value, meta = getattr(self, field.name), field.metadata
            if meta["choices"]:
                _choice(field.name, value, meta["choices"])
            elif meta["int_range"]:
                _int_range(field.name, value, *meta["int_range"])
            elif field.name == "ecc":
                self.ecc_mode                    # parses (raises on a bad mode)
        if self.multiplier == "fulllut" and self.weights == "fp16":
            raise ValueError("multiplier: 'fulllut' with weights 'fp16' needs a 2^20-entry product "
                             "table per lane; use multiplier 'lut' or 'mul' for fp16 weights")
        if self.multiplier == "mul" and self.lut_storage == "ram":
            raise ValueError("lut_storage: 'ram' needs a table, but multiplier 'mul' has none; "
                             "use lut_storage 'rom' with multiplier 'mul'")
        if self.ecc_mode.enabled and self.lut_storage != "ram":
            raise ValueError("ecc: ECC protects writable table storage; it needs lut_storage 'ram' "
                             "(and multiplier 'lut' or 'fulllut')")
        self.ecc_protected_bits                  # checks msb<k> against the entry width
        if self.fault_port and self.lut_storage != "ram":
            raise ValueError("fault_port: fault injection targets writable table storage; "
                             "it needs lut_storage 'ram'")
        if self.final_stage == "iterative" and self.pipeline >= 5:
            raise ValueError("final_stage: 'iterative' has no combinational multiplier for "
                             "pipeline register 5 to cut; use pipeline 0..4 with it")

    @property
    def block_scaled(self):
        """True when weights carry their own E4M3 block scale ``sw``."""
        return self.weight_scaling == "block"

    @property
    def weight_bits(self):
        return WEIGHT_FORMATS[self.weights].bits

    @property
    def ecc_mode(self):
        """``ecc`` parsed: an :class:`~nvlut.spec.ecc.EccMode`."""
        return EccMode.parse(self.ecc)

    @property
    def ecc_protected_bits(self):
        """Most significant table entry bits covered by SECDED: k of ``msb<k>``, the whole entry
        for ``secded``, 0 for ``none``."""
        return self.ecc_mode.protected_bits(
            entry_width(self.multiplier, self.weights),
            entry=f" ({self.multiplier} table, {self.weights} weights)")

    @property
    def name(self):
        """A file-name-safe identifier that determines every parameter."""
        parts = [self.weights, self.weight_scaling, f"b{self.block}", self.multiplier,
                 self.lut_storage, self.ecc, f"mb{self.max_blocks}", f"p{self.pipeline}"]
        if self.fault_port:
            parts.append("fi")
        if self.final_stage != "parallel":
            parts.append(f"fs{self.final_stage}")
        return "_".join(parts)

    def as_dict(self):
        """The manifest entry: every field by name."""
        return dataclasses.asdict(self)

    def to_argv(self):
        """The command-line flags that give exactly these parameters, e.g. for a reproducer
        command: ``--<field> <value>`` for every field (underscores become dashes), a boolean
        field as its bare flag when true."""
        argv = []
        for field in dataclasses.fields(self):
            value, flag = getattr(self, field.name), "--" + field.name.replace("_", "-")
            if field.type is bool:
                argv += [flag] if value else []
            else:
                argv += [flag, str(value)]
        return argv

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)
