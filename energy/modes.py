"""Operating modes of the table storage: energy per dot product at a table-domain voltage.

From a nominal measurement (:func:`nvlut.energy.measure.measure`) of a design with writable table
storage, :func:`mode_energy` gives the energy by component class in each mode (see
``assumptions.toml``):

- ``nominal``: everything at Vnom;
- ``low``: the table domain (:data:`nvlut.cells.components.TABLE_DOMAIN`) at ``V_low``, the rest at
  Vnom, a level shifter on every bit leaving the table domain (design without ECC);
- ``ecc``: as ``low`` for a design with ECC (SECDED or msb<k>): check bits at ``V_low`` too, the
  codecs in the nominal domain (their measured energy included);
- ``mixed``: a design with ECC whose protected MSBs and check bits stay at Vnom and whose other
  stored bits go to ``V_low``; the table domain's energy splits in proportion to the stored bits of
  each part, and only bits of the low part cross through level shifters.

Dynamic energy (switching, internal, clock) of the low part scales with
:meth:`~nvlut.energy.voltage.VoltageModel.dynamic_scale`, leakage with ``leakage_scale`` (at the
nominal clock: the BER data are timing faults at a fixed clock). :func:`exposure` says which stored
bits see the BER of ``V_low``.
"""

from nvlut.cells.components import TABLE_DOMAIN

MODES = ("nominal", "low", "ecc", "mixed")
LEVEL_SHIFTERS = "level shifters"


def modes_of(params):
    """The modes that apply to ``params``: none but ``nominal`` without a writable table."""
    if params.lut_storage != "ram":
        return ("nominal",)
    return ("nominal", "low") if params.ecc == "none" else ("nominal", "ecc", "mixed")


def layout_of(params):
    from nvlut.golden import faults
    from nvlut.spec.storage import storage_layout
    table = faults.lut_table(params.multiplier, params.weights)
    return table, storage_layout(table.width, params.ecc)


def low_fraction(params, mode):
    """Share of the stored bits at ``V_low`` in ``mode``."""
    if mode == "nominal":
        return 0.0
    if mode == "mixed":
        table, layout = layout_of(params)
        return (table.width - layout.protected) / layout.stored_bits
    return 1.0


def exposure(mode):
    """Which stored bits see the BER of ``V_low``: ``None`` (no faults), ``all`` or ``low``."""
    return {"nominal": None, "low": "all", "ecc": "all", "mixed": "low"}[mode]


def mode_energy(measurement, params, mode, ratio, vmodel):
    """Energy per dot product (pJ) by component class (plus ``level shifters``) of ``params`` in
    ``mode`` with the table domain's low part at ``ratio`` x Vnom."""
    if mode not in modes_of(params):
        raise ValueError(f"mode: {mode!r} does not apply to {params.name}; choose one of "
                         f"{', '.join(modes_of(params))}")
    f = low_fraction(params, mode)
    dyn = 1 - f + f * vmodel.dynamic_scale(ratio)
    leak = 1 - f + f * vmodel.leakage_scale(ratio)
    out = {}
    for cls, kinds in measurement["energy_pj"].items():
        d = kinds["switching"] + kinds["internal"] + kinds["clock"]
        if cls in TABLE_DOMAIN:
            out[cls] = d * dyn + kinds["leakage"] * leak
        else:
            out[cls] = d + kinds["leakage"]
    out[LEVEL_SHIFTERS] = vmodel.level_shifter_pj * measurement["crossing_toggles"] * f
    return out
