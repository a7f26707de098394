"""Amaranth components of the NVLUT MAC (see docs/hardware.md).

Top level: :class:`NvlutMac` (``nvlut.hdl.mac``); table contents for the ``cfg`` port:
:func:`lut_image`, geometry :func:`table_depth` / :func:`entry_width`.
"""

from .mac import OUTPUT_LAYOUT, NvlutMac, input_layout, mac_accumulator_width
from .tables import entry_width, lut_image, product_width, table_depth, table_entries

__all__ = ["NvlutMac", "OUTPUT_LAYOUT", "entry_width", "input_layout", "lut_image",
           "mac_accumulator_width", "product_width", "table_depth", "table_entries"]
