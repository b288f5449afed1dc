"""Large arrays on transparent huge pages where the system allows it.

The kernels and the delta packing touch rows of tables far larger than the TLB covers; on 4 KiB pages nearly
every such touch also walks the page tables, which costs most inside a virtual machine. Private memory mapped
with ``MADV_HUGEPAGE`` may be backed by 2 MiB pages instead; where that is unavailable these are plain arrays.
Memory is still committed lazily, page by page, as for ``np.zeros``.
"""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np

HUGE_PAGE_BYTES = 2 << 20
MIN_HUGE_BYTES = 2 * HUGE_PAGE_BYTES


def large_zeros(shape: int | tuple[int, ...], dtype: Any) -> np.ndarray:
    """A zeroed array; from ``MIN_HUGE_BYTES`` up, aligned to a huge page and advised to use huge pages."""
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    count = int(np.prod(shape))
    nbytes = count * dtype.itemsize
    advise = getattr(mmap, "MADV_HUGEPAGE", None)
    if nbytes < MIN_HUGE_BYTES or advise is None:
        return np.zeros(shape, dtype=dtype)
    region = mmap.mmap(-1, nbytes + HUGE_PAGE_BYTES, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    start = np.frombuffer(region, dtype=np.uint8, count=1).ctypes.data
    offset = -start % HUGE_PAGE_BYTES
    try:
        region.madvise(advise, offset, nbytes - nbytes % mmap.PAGESIZE)
    except OSError:
        pass
    return np.frombuffer(region, dtype=dtype, count=count, offset=offset).reshape(shape)


def large_full(shape: int | tuple[int, ...], value: Any, dtype: Any) -> np.ndarray:
    """Like :func:`large_zeros`, filled with ``value``."""
    out = large_zeros(shape, dtype)
    out.fill(value)
    return out
