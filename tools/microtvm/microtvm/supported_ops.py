"""SUPPORTED_OPS.md: which operators and tensor types the compiler supports, from the lowerings.

The table is generated from `ops.LOWERINGS_BY_OPCODE` (each lowering's `dtypes`, which lists only
what its tests check against LiteRT), so it cannot drift from the code:

    bazel run //tools/microtvm:update_supported_ops     # rewrite tools/microtvm/SUPPORTED_OPS.md
    bazel test //tools/microtvm:supported_ops_test      # fails when the committed file is stale
"""
from __future__ import annotations

import sys
from typing import Mapping, Optional, Sequence

from .frontend.options import CUSTOM_OPERATORS
from .ops import LOWERINGS_BY_OPCODE, OpLowering

# Every builtin operator TensorFlow Lite Micro's op resolver can register (its
# MicroMutableOpResolver Add* methods), so the table also says what is still missing.
TFLM_BUILTINS: tuple[str, ...] = (
    "ABS", "ADD", "ADD_N", "ARG_MAX", "ARG_MIN", "ASSIGN_VARIABLE", "AVERAGE_POOL_2D", "BATCH_MATMUL",
    "BATCH_TO_SPACE_ND", "BROADCAST_ARGS", "BROADCAST_TO", "CALL_ONCE", "CAST", "CEIL", "CONCATENATION",
    "CONV_2D", "COS", "CUMSUM", "DEPTH_TO_SPACE", "DEPTHWISE_CONV_2D", "DEQUANTIZE", "DIV",
    "DYNAMIC_UPDATE_SLICE", "ELU", "EMBEDDING_LOOKUP", "EQUAL", "EXP", "EXPAND_DIMS", "FILL", "FLOOR",
    "FLOOR_DIV", "FLOOR_MOD", "FULLY_CONNECTED", "GATHER", "GATHER_ND", "GREATER", "GREATER_EQUAL",
    "HARD_SWISH", "IF", "L2_NORMALIZATION", "L2_POOL_2D", "LEAKY_RELU", "LESS", "LESS_EQUAL", "LOG",
    "LOG_SOFTMAX", "LOGICAL_AND", "LOGICAL_NOT", "LOGICAL_OR", "LOGISTIC", "MAX_POOL_2D", "MAXIMUM",
    "MEAN", "MINIMUM", "MIRROR_PAD", "MUL", "NEG", "NOT_EQUAL", "PACK", "PAD", "PADV2", "PRELU",
    "QUANTIZE", "READ_VARIABLE", "REDUCE_ALL", "REDUCE_MAX", "REDUCE_MIN", "RELU", "RELU6", "RESHAPE",
    "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "REVERSE_V2", "ROUND", "RSQRT", "SELECT_V2", "SHAPE",
    "SIN", "SLICE", "SOFTMAX", "SPACE_TO_BATCH_ND", "SPACE_TO_DEPTH", "SPLIT", "SPLIT_V", "SQRT",
    "SQUARE", "SQUARED_DIFFERENCE", "SQUEEZE", "STRIDED_SLICE", "SUB", "SUM", "SVDF", "TANH",
    "TRANSPOSE", "TRANSPOSE_CONV", "UNIDIRECTIONAL_SEQUENCE_LSTM", "UNPACK", "VAR_HANDLE", "WHILE",
    "ZEROS_LIKE",
)

# Column order of the tensor types.
DTYPE_COLUMNS: tuple[str, ...] = (
    "int8", "int16", "float32", "hybrid", "int32", "int64", "bool", "uint8", "uint32", "uint64",
)

_DTYPE_HEADINGS = {
    "int8": "int8",
    "int16": "int16x8",
    "float32": "float32",
    "hybrid": "hybrid",
    "int32": "int32",
    "int64": "int64",
    "bool": "bool",
    "uint8": "uint8",
    "uint32": "uint32",
    "uint64": "uint64",
}

_PREAMBLE = """\
# Supported operators

Generated from the compiler's operator lowerings by `bazel run //tools/microtvm:update_supported_ops`;
`//tools/microtvm:supported_ops_test` fails when this file is stale. Do not edit by hand.

A mark means: the operator compiles for that tensor type and its tests check it against LiteRT's
reference kernels (`OpResolverType.BUILTIN_REF`): integer and bool outputs byte for byte, float32
within the tolerance its lowering documents (1e-5 relative / 1e-6 absolute unless stated).
Column meanings: **int8** full-integer int8; **int16x8** int16 activations with int8 weights
(int64 bias for convolutions); **hybrid** float32 activations with int8 weights (dynamic-range
quantization); the other columns are plain tensors of that type. `microtvmc inspect MODEL.tflite`
says, for one model, which operators compile and why the others do not.

Custom operators (noted "custom") are checked against the `tflite_micro` package's interpreter
(TFLite Micro's kernels), since LiteRT cannot run TFLite Micro's Signal library, and
TFLite_Detection_PostProcess against LiteRT as well; for the Signal operators the int16 column
means plain int16 tensors. TFLite_Detection_PostProcess's int8 and uint8 columns are its quantized
box encodings and class predictions (float32 outputs): uint8 against LiteRT's kernel, int8 (which
no TFLite kernel takes) against LiteRT on the uint8 encoding of the same real values.
"""


def render(lowerings: Optional[Mapping[str, OpLowering]] = None, builtins: Sequence[str] = TFLM_BUILTINS) -> str:
    """The whole SUPPORTED_OPS.md text."""
    table = LOWERINGS_BY_OPCODE if lowerings is None else lowerings
    opcodes = sorted(set(builtins) | set(table))
    supported = [op for op in opcodes if op in table]
    lines = [_PREAMBLE]
    lines.append(
        f"{len(supported)} operators supported; of the {len(builtins)} builtins TensorFlow Lite Micro "
        f"registers, {len([op for op in builtins if op in table])} are supported."
    )
    lines.append("")
    lines.append("| operator | " + " | ".join(_DTYPE_HEADINGS[d] for d in DTYPE_COLUMNS) + " | notes |")
    lines.append("|---|" + "---|" * len(DTYPE_COLUMNS) + "---|")
    for opcode in opcodes:
        lowering = table.get(opcode)
        if lowering is None:
            cells = [""] * len(DTYPE_COLUMNS)
            note = "not supported yet"
        else:
            unknown = sorted(set(lowering.dtypes) - set(DTYPE_COLUMNS))
            if unknown:
                raise ValueError(f"{opcode}: unknown dtypes {unknown} in OpLowering.dtypes")
            cells = ["x" if d in lowering.dtypes else "" for d in DTYPE_COLUMNS]
            note = "alias (no code)" if lowering.alias_input else ("custom" if opcode in CUSTOM_OPERATORS else "")
        lines.append(f"| {opcode} | " + " | ".join(cells) + f" | {note} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print the table, or write it to the file named by the one argument."""
    args = list(sys.argv[1:] if argv is None else argv)
    text = render()
    if args:
        with open(args[0], "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
