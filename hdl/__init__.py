"""Amaranth components of the NVLUT MAC (see docs/hardware.md).

Top level: :class:`NvlutMac` (``nvlut.hdl.mac``); table contents for the ``cfg`` port:
:func:`lut_image` (the geometry is ``nvlut.spec.table_geometry``).
"""

from .mac import OUTPUT_LAYOUT, NvlutMac, input_layout, mac_accumulator_width
from .tables import lut_image, table_entries

__all__ = ["NvlutMac", "OUTPUT_LAYOUT", "input_layout", "lut_image", "mac_accumulator_width",
           "table_entries"]
