"""Supply-voltage model of the table storage: bit error rate, energy and delay versus voltage.

Voltages are handled as fractions of nominal, ``r = V / Vnom``: a BER(V) table measured on another
technology (the default: Salami et al., MICRO 2018, 28 nm FPGA BRAM, Vnom = 1.0 V; see
``ber_salami_micro2018.csv``) is mapped onto the OSU 0.18 um library by ``r`` (an assumption stated
in ``assumptions.toml``). :func:`load_ber` reads such a table (the packaged one or a user's CSV);
:class:`VoltageModel` gives BER, dynamic and leakage energy scale factors and the delay scale at
``r``, with the assumptions of ``assumptions.toml``.
"""

import csv
import dataclasses
import importlib.resources
import io
import math
import pathlib
import tomllib

PACKAGE = "nvlut.energy"
ASSUMPTIONS = "assumptions.toml"
DYNAMIC_MODELS = ("v2", "stillmaker_baas_45nm")


def assumptions_text():
    """The text of the assumptions file (printed in full by the report)."""
    return importlib.resources.files(PACKAGE).joinpath(ASSUMPTIONS).read_text()


def assumptions():
    return tomllib.loads(assumptions_text())


@dataclasses.dataclass(frozen=True)
class BerTable:
    """Measured BER points: ``ratios`` (V/Vnom, increasing), ``bers``, the ``source`` comment lines
    and the file's nominal voltage."""

    ratios: tuple
    bers: tuple
    nominal_v: float
    source: tuple
    name: str

    @property
    def lowest_ratio(self):
        return self.ratios[0]

    def ber(self, ratio, extrapolate=False):
        """BER at ``ratio``: log-linear interpolation between the points (0 between two fault-free
        points); below the lowest point only with ``extrapolate`` (log-linear from the last two
        nonzero points), else ``ValueError`` naming ``v_low``."""
        if ratio >= self.ratios[-1]:
            return self.bers[-1]
        if abs(ratio - self.ratios[0]) < 1e-9:       # a data point given in volts, rounded
            ratio = self.ratios[0]
        if ratio < self.ratios[0]:
            if not extrapolate:
                raise ValueError(
                    f"v_low: {ratio:.4f} x Vnom is below the lowest voltage of {self.name} "
                    f"({self.ratios[0]:.4f} x Vnom); choose a V_low within the data or pass "
                    f"--extrapolate")
            (r0, b0), (r1, b1) = [(r, b) for r, b in zip(self.ratios, self.bers) if b > 0][:2]
            slope = (math.log10(b1) - math.log10(b0)) / (r1 - r0)
            return min(0.5, 10 ** (math.log10(b0) + slope * (ratio - r0)))
        for k in range(len(self.ratios) - 1):
            r0, r1 = self.ratios[k], self.ratios[k + 1]
            if r0 <= ratio <= r1:
                b0, b1 = self.bers[k], self.bers[k + 1]
                f = (ratio - r0) / (r1 - r0)
                if b0 == 0 or b1 == 0:
                    return b0 * (1 - f) + b1 * f
                return 10 ** (math.log10(b0) * (1 - f) + math.log10(b1) * f)
        raise AssertionError("unreachable")


def load_ber(path=None):
    """The BER table at ``path`` (CSV: ``voltage_v,ber`` rows, ``#`` comment lines of which one
    reads ``# nominal_voltage_v: <V>``), or the packaged one. ``ValueError`` naming ``ber_file``
    for a malformed file."""
    if path is None:
        name = assumptions()["voltage"]["ber_file"]
        text = importlib.resources.files(PACKAGE).joinpath(name).read_text()
    else:
        name = str(path)
        try:
            text = pathlib.Path(path).read_text()
        except OSError as exc:
            raise ValueError(f"ber_file: cannot read {path}: {exc.strerror}") from None
    comments = [line[1:].strip() for line in text.splitlines() if line.startswith("#")]
    nominal = [c.split(":", 1)[1] for c in comments if c.startswith("nominal_voltage_v:")]
    if len(nominal) != 1:
        raise ValueError(f"ber_file: {name} needs one comment line '# nominal_voltage_v: <volts>'")
    rows = list(csv.reader(io.StringIO("\n".join(l for l in text.splitlines()
                                                  if l.strip() and not l.startswith("#")))))
    if not rows or [c.strip() for c in rows[0]] != ["voltage_v", "ber"]:
        raise ValueError(f"ber_file: {name} must have the header 'voltage_v,ber'")
    try:
        vnom = float(nominal[0])
        points = sorted((float(v), float(b)) for v, b in rows[1:])
    except ValueError:
        raise ValueError(f"ber_file: {name}: every row must be two numbers 'voltage_v,ber'") from None
    if len(points) < 2 or vnom <= 0 or any(v <= 0 or not 0 <= b <= 0.5 for v, b in points):
        raise ValueError(f"ber_file: {name}: need >= 2 rows with voltage > 0 and 0 <= ber <= 0.5")
    if any(b1 > b0 for (_, b0), (_, b1) in zip(points, points[1:])):
        raise ValueError(f"ber_file: {name}: the BER must not rise with the voltage")
    if len({v for v, _ in points}) != len(points):
        raise ValueError(f"ber_file: {name}: a voltage appears twice")
    return BerTable(tuple(v / vnom for v, _ in points), tuple(b for _, b in points), vnom,
                    tuple(comments), name)


@dataclasses.dataclass(frozen=True)
class VoltageModel:
    """Scale factors versus ``r = V/Vnom`` under the assumptions (see ``assumptions.toml``)."""

    dynamic: str
    stillmaker: tuple
    leakage_exponent: float
    alpha: float
    threshold_v: float
    nominal_v: float
    level_shifter_pj: float

    @classmethod
    def from_assumptions(cls, dynamic=None):
        a = assumptions()
        v = a["voltage"]
        dynamic = dynamic or v["dynamic"]
        if dynamic not in DYNAMIC_MODELS:
            raise ValueError(f"dynamic: {dynamic!r} is not allowed; choose one of "
                             f"{', '.join(DYNAMIC_MODELS)}")
        return cls(dynamic, tuple(v["stillmaker_baas_45nm"]), v["leakage_exponent"], v["alpha"],
                   v["threshold_v"], a["library"]["nominal_voltage_v"], v["level_shifter_pj"])

    def dynamic_scale(self, r):
        if self.dynamic == "v2":
            return r * r
        a, b, c = self.stillmaker
        e = lambda v: a * v * v + b * v + c   # noqa: E731
        return e(0.9 * r) / e(0.9)

    def leakage_scale(self, r):
        return r ** self.leakage_exponent

    def delay_scale(self, r):
        """Gate delay at ``r`` relative to nominal (alpha-power law); ``inf`` at or below Vth."""
        v, vn = r * self.nominal_v, self.nominal_v
        if v <= self.threshold_v:
            return math.inf
        return (v / (v - self.threshold_v) ** self.alpha) / (vn / (vn - self.threshold_v) ** self.alpha)
