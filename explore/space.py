"""The design space of a sweep: a list of values per dimension, from flags or a TOML/YAML file.

Dimensions (file keys, the fields of ``MacParams``; flags in :data:`FLAGS`, plural as every sweep
flag, e.g. ``--blocks``), values: ``weights`` (fp4, fp8, fp16), ``weight_scaling`` (block,
tensor), ``block`` (4 .. 128), ``multiplier`` (lut, fulllut, mul), ``lut_storage`` (rom, ram),
``ecc`` (none, secded, msb<k>), ``pipeline`` (0 .. 3), ``voltage`` (table supply in V,
:mod:`nvlut.explore.assumptions`). On the command line a dimension is a comma-separated list whose
items are values or ranges ``LO..HI`` (integers, step 1), ``LO..HI+STEP`` or ``LO..HI*FACTOR``; in a
file each key holds a list (or one value, or such a range string).

:func:`points` expands the cartesian product in a fixed order; combinations the generator rejects
(``MacParams`` raises) or the voltage model rejects are returned as skipped with the reason.
"""

import dataclasses
import itertools
import pathlib
import re

from nvlut.spec.params import MacParams

from . import assumptions

#: dimension -> (kind, default values)
DIMENSIONS = {
    "weights": ("str", ["fp4"]),
    "weight_scaling": ("str", ["block"]),
    "block": ("int", [16]),
    "multiplier": ("str", ["lut"]),
    "lut_storage": ("str", ["rom"]),
    "ecc": ("str", ["none"]),
    "pipeline": ("int", [1]),
    "voltage": ("float", [assumptions.NOMINAL_V]),
}
_RANGE = re.compile(r"^(-?[0-9.eE+-]+?)\.\.(-?[0-9.eE-]+)(?:([+*])([0-9.eE+-]+))?$")
#: dimension -> its command-line flag (plural: a list of values, as the other sweep flags)
FLAGS = {"weights": "--weights", "weight_scaling": "--weight-scalings", "block": "--blocks",
         "multiplier": "--multipliers", "lut_storage": "--lut-storages", "ecc": "--ecc-modes",
         "pipeline": "--pipelines", "voltage": "--voltages"}
#: more points than this is a mistake in the space, not a sweep
MAX_POINTS = 100_000


@dataclasses.dataclass(frozen=True)
class Point:
    """One design point: generator parameters and the table voltage (V)."""

    params: MacParams
    voltage: float

    @property
    def name(self):
        return f"{self.params.name}_v{self.voltage:g}"

    @property
    def ber(self):
        return assumptions.ber(self.voltage)

    def as_dict(self):
        p = self.params
        return {"weights": p.weights, "weight_scaling": p.weight_scaling, "block": p.block,
                "multiplier": p.multiplier, "lut_storage": p.lut_storage, "ecc": p.ecc,
                "pipeline": p.pipeline, "voltage": self.voltage}


def _number(kind, text, dim):
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{dim}: {text!r} is not a number") from None
    if kind == "int":
        if value != int(value):
            raise ValueError(f"{dim}: {text!r} is not an integer")
        return int(value)
    return value


def _expand_range(kind, match, dim, text):
    lo, hi = _number(kind, match.group(1), dim), _number(kind, match.group(2), dim)
    op, step = match.group(3) or "+", match.group(4)
    step = _number("float" if op == "*" or kind == "float" else kind, step, dim) if step else 1
    if kind == "float" and match.group(4) is None:
        raise ValueError(f"{dim}: {text!r}: a range of voltages needs a step, e.g. 0.54..0.60+0.02")
    if hi < lo or (op == "+" and step <= 0) or (op == "*" and (step <= 1 or lo <= 0)):
        raise ValueError(f"{dim}: {text!r} is not a valid range; use LO..HI, LO..HI+STEP "
                         "(STEP > 0) or LO..HI*FACTOR (FACTOR > 1, LO > 0) with LO <= HI")
    values, v, i = [], lo, 0
    while v <= hi * (1 + 1e-9) and len(values) <= MAX_POINTS:
        values.append(round(v, 6) if kind == "float" else int(v))
        i += 1
        v = lo + i * step if op == "+" else v * step
    return values


def parse_values(dim, spec):
    """Values of dimension ``dim`` from a flag text or a file value (str, number or list)."""
    if dim not in DIMENSIONS:
        raise ValueError(f"space: unknown dimension {dim!r}; choose from {', '.join(DIMENSIONS)}")
    kind = DIMENSIONS[dim][0]
    items = spec if isinstance(spec, list) else (
        [t for t in spec.replace(",", " ").split()] if isinstance(spec, str) else [spec])
    values = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise ValueError(f"{dim}: {item!r} is not allowed; give values or ranges")
        text = str(item).strip()
        m = _RANGE.match(text) if kind != "str" else None
        if m:
            values += _expand_range(kind, m, dim, text)
        elif kind == "str":
            values.append(text)
        else:
            values.append(_number(kind, text, dim))
    if not values:
        raise ValueError(f"{dim}: no values given")
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def read_file(path):
    """The dimensions of a TOML (``.toml``) or YAML (``.yaml``/``.yml``) space file."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"space: {path} is not a file")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            import tomllib
            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            import yaml
            data = yaml.safe_load(text)
        else:
            raise ValueError(f"space: {path} must end in .toml, .yaml or .yml")
    except ValueError:
        raise
    except Exception as exc:  # tomllib.TOMLDecodeError is a ValueError; yaml's errors are not
        raise ValueError(f"space: {path} is not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"space: {path} must hold a table of dimension = values")
    return {str(dim).replace("-", "_"): parse_values(str(dim).replace("-", "_"), spec)
            for dim, spec in data.items()}


@dataclasses.dataclass
class Space:
    """Values per dimension; :meth:`points` expands them."""

    values: dict

    @classmethod
    def build(cls, file_values=None, flag_values=None):
        """Defaults, overridden by the file's dimensions, overridden by flags."""
        values = {dim: list(default) for dim, (_, default) in DIMENSIONS.items()}
        values.update(file_values or {})
        values.update({k: v for k, v in (flag_values or {}).items() if v is not None})
        size = 1
        for v in values.values():
            size *= len(v)
        if size > MAX_POINTS:
            raise ValueError(f"space: {size} combinations; at most {MAX_POINTS} are allowed")
        return cls(values)

    def points(self):
        """``(valid points, skipped)``; skipped is a list of ``(combination dict, reason)``."""
        valid, skipped = [], []
        dims = list(DIMENSIONS)
        for combo in itertools.product(*(self.values[d] for d in dims)):
            c = dict(zip(dims, combo))
            try:
                params = MacParams(**{k: v for k, v in c.items() if k != "voltage"})
                assumptions.ber(c["voltage"])
                if c["voltage"] < assumptions.NOMINAL_V and params.lut_storage != "ram":
                    raise ValueError("voltage: table voltage scaling needs lut_storage 'ram' "
                                     "(a rom table is logic on the core supply; mul has no table)")
            except ValueError as exc:
                skipped.append((c, str(exc)))
                continue
            valid.append(Point(params, c["voltage"]))
        return valid, skipped


def check_values(values):
    """Raise ``ValueError`` for a value that no combination could accept (a typo such as
    ``--weights fp5``), naming the dimension and the allowed values."""
    from nvlut.spec import params as p
    allowed = {"weights": p.WEIGHTS, "weight_scaling": p.WEIGHT_SCALING,
               "multiplier": p.MULTIPLIERS, "lut_storage": p.LUT_STORAGE}
    for dim, choices in allowed.items():
        for v in values.get(dim, []):
            if v not in choices:
                raise ValueError(f"{dim}: {v!r} is not allowed; choose one of {', '.join(choices)}")
    for v in values.get("ecc", []):
        # the widest table entry (23 bits), so that only an ecc no design accepts fails here
        MacParams(ecc=v, lut_storage="ram", multiplier="fulllut", weights="fp8")
    for dim, (lo, hi) in (("block", p.BLOCK_RANGE), ("pipeline", p.PIPELINE_RANGE)):
        for v in values.get(dim, []):
            if not lo <= v <= hi:
                raise ValueError(f"{dim}: {v!r} is not allowed; use an integer from {lo} to {hi}")
    for v in values.get("voltage", []):
        assumptions.ber(v)
