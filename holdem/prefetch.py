"""A cache prefetch hint usable inside numba kernels (LLVM's ``llvm.prefetch``).

Merging sorted rows into tables far larger than the cache is bound by memory latency; asking for row
``i + d`` while adding row ``i`` overlaps the misses (likewise a bucket lookup asked for a deal or two
ahead). The hint never faults and changes no result.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


def _prefetch(write: int) -> Any:
    """Code generation of an ``llvm.prefetch`` of an array element, for reading (0) or writing (1)."""
    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array_type, row_type = sig.args
        data = context.make_array(array_type)(context, builder, args[0])
        index = context.cast(builder, args[1], row_type, types.intp)
        indices = [index] + [context.get_constant(types.intp, 0)] * (array_type.ndim - 1)
        pointer = cgutils.get_item_pointer(context, builder, array_type, data, indices, wraparound=False)
        byte_pointer = builder.bitcast(pointer, ir.IntType(8).as_pointer())
        int32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer(), int32, int32, int32]),
            "llvm.prefetch.p0i8")
        builder.call(function, [byte_pointer, ir.Constant(int32, write), ir.Constant(int32, 3), ir.Constant(int32, 1)])
        return context.get_dummy_value()

    return codegen


@intrinsic
def prefetch_row(typingctx: Any, array: Any, row: Any) -> Any:
    """Hint that ``array[row]`` (its first element) will be written soon."""
    return types.void(array, row), _prefetch(1)


@intrinsic
def prefetch_read(typingctx: Any, array: Any, row: Any) -> Any:
    """Hint that ``array[row]`` (its first element) will be read soon."""
    return types.void(array, row), _prefetch(0)
