"""The neutral specification layer: declarative facts every other layer takes from here.

- :mod:`nvlut.spec.formats`: the format table (field widths, special-value convention, grid
  exponent, largest integer view) of E2M1, E4M3, binary16 and binary32;
- :mod:`nvlut.spec.table_geometry`: depth and entry width of the multiplier tables;
- :mod:`nvlut.spec.accumulator`: the accumulator width bound of docs/numerics.md 2.1;
- :mod:`nvlut.spec.ecc`: :class:`~nvlut.spec.ecc.EccMode`, the one parser of ``none | secded |
  msb<k>``;
- :mod:`nvlut.spec.secded`: the Hsiao SECDED code construction;
- :mod:`nvlut.spec.storage`: how a table entry and its check bits are stored;
- :mod:`nvlut.spec.params`: :class:`~nvlut.spec.params.MacParams`, the parameter schema.

It shares facts, never algorithms: the golden model (``nvlut.golden``) and the RTL (``nvlut.hdl``)
compute independently from these facts, and the tests against ml_dtypes, MPFR and torchao guard
them. It imports nothing from the rest of nvlut.
"""
