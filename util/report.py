"""The one reporting module: Markdown tables, number formatting, CSV / JSON text and deterministic
PNG figures, all written atomically with :func:`nvlut.util.files.write_if_changed`.

Every output depends only on its data (no times, paths, dates or software versions in the files),
so the same data give the same bytes. Reports of synth, verify, faults, ablate and energy use it.
"""

import csv
import io
import json

from .files import write_if_changed


# --- Markdown -------------------------------------------------------------------------------------

def markdown_table(header, rows):
    """The lines of a Markdown table (each cell ``str()``-ed)."""
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return lines


# --- numbers --------------------------------------------------------------------------------------

def fmt_count(value):
    """A count or measure for a table: ``-`` for None, thousands separators for integers (and
    integral floats), floats with two decimals below 100 and none above."""
    if value is None:
        return "-"
    if isinstance(value, float) and value == int(value):
        value = int(value)
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return f"{value:,}"


def fmt_sig(value, digits=3):
    """``value`` to ``digits`` significant digits (``%g``)."""
    return f"{value:.{digits}g}"


def fmt_ratio(value):
    """A ratio as ``1.23x``, ``-`` for None."""
    return "-" if value is None else f"{value:.2f}x"


# --- CSV and JSON ---------------------------------------------------------------------------------

def csv_text(header, rows):
    """CSV of ``rows`` (sequences) under ``header``, ``\\n`` line ends."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def csv_from_dicts(rows, columns=None):
    """CSV of ``rows`` (dicts) with the given ``columns`` (default: the keys of the first row);
    a missing key gives an empty cell, a key outside ``columns`` raises ``ValueError``."""
    columns = list(rows[0]) if columns is None else list(columns)
    for row in rows:
        extra = [k for k in row if k not in columns]
        if extra:
            raise ValueError(f"rows: {', '.join(extra)} not among the CSV columns")
    return csv_text(columns, [[row.get(k, "") for k in columns] for row in rows])


def json_text(data, indent=1, sort_keys=False):
    """``data`` as JSON text with a final newline."""
    return json.dumps(data, indent=indent, sort_keys=sort_keys) + "\n"


# --- figures --------------------------------------------------------------------------------------

def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (imported on first use)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def png_bytes(fig, dpi=110):
    """The PNG of ``fig``, without the software tag, so the same figure gives the same bytes;
    ``fig`` is closed (every caller is done with it)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    pyplot().close(fig)
    return buf.getvalue()


def write_png(path, fig, dpi=110):
    """Write ``fig`` as a deterministic PNG to ``path`` (atomically, only when it changes) and
    close it; returns True when the file was (re)written."""
    return write_if_changed(path, png_bytes(fig, dpi))
