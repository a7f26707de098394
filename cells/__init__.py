"""The OSU 0.18 um standard-cell view of a design, shared by ``nvlut synth``, ``nvlut verify
--level gate``, ``nvlut energy``, ``nvlut explore`` and ``nvlut generate --target-mhz``: the
gate-level netlist (:mod:`~nvlut.cells.netlist`), the Liberty library
(:mod:`~nvlut.cells.liberty`), the component classes of its cells
(:mod:`~nvlut.cells.components`), OpenSTA (:mod:`~nvlut.cells.opensta`), static timing
(:mod:`~nvlut.cells.timing`) and the pipeline depth meeting a target clock
(:mod:`~nvlut.cells.target_clock`)."""
