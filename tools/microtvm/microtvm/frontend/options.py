"""The one table of TFLite builtin options this project knows, shared by the reader and the writer.

For every operator whose builtin options we read (or write in test models) it names the schema
table (which is also the tflite package module and the member of the BuiltinOptions union) and its
fields. Operator.options (see ir.py) holds exactly these fields:
- keys are schema.fbs snake_case names;
- enum fields hold the schema's value names ("SAME", "RELU6", ...);
- bool / int / float fields hold Python bool / int / float;
- int vector fields hold a tuple of ints, and are left out when the file does not store them
  (RESHAPE's new_shape: "absent" and "empty" mean different things).

Operators not in the table (RELU, TANH, ... and any operator we do not support) have no options.
Fields the schema has but we never need are deliberately not listed: the reader ignores them and
the writer leaves them at the schema default. quantized_bias_type is listed for the operators
whose 16x8 kernels read it (LiteRT picks the int32 or int64 bias path from it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tflite

# Field kinds that are not enums.
INT32 = "int32"
BOOL = "bool"
FLOAT32 = "float32"
INT32_VECTOR = "int32_vector"
STRING = "string"


def _enum_names(enum_class: type) -> dict[int, str]:
    """value -> name of one of the tflite package's generated enum classes."""
    return {v: k for k, v in vars(enum_class).items() if not k.startswith("_") and isinstance(v, int)}


# Enum kinds: schema enum name -> {value: value name}.
ENUMS: dict[str, dict[int, str]] = {
    "Padding": _enum_names(tflite.Padding),
    "ActivationFunctionType": _enum_names(tflite.ActivationFunctionType),
    "FullyConnectedOptionsWeightsFormat": _enum_names(tflite.FullyConnectedOptionsWeightsFormat),
    "TensorType": _enum_names(tflite.TensorType),
    "MirrorPadMode": _enum_names(tflite.MirrorPadMode),
    "LSTMKernelType": _enum_names(tflite.LSTMKernelType),
    "CombinerType": _enum_names(tflite.CombinerType),
}


@dataclass(frozen=True)
class Field:
    name: str  # schema snake_case name: the key in Operator.options
    kind: str  # INT32, BOOL, FLOAT32, INT32_VECTOR, STRING, or a key of ENUMS
    default: Any  # the schema default: what a reader sees when the file omits the field

    @property
    def accessor(self) -> str:
        """CamelCase name the tflite package uses for this field ("stride_w" -> "StrideW")."""
        return "".join(part[:1].upper() + part[1:] for part in self.name.split("_"))


@dataclass(frozen=True)
class OptionsSpec:
    table: str  # schema table name, e.g. "Conv2DOptions"
    fields: tuple[Field, ...] = ()


_ACT = Field("fused_activation_function", "ActivationFunctionType", "NONE")
_PADDING = Field("padding", "Padding", "SAME")
_STRIDES = (Field("stride_w", INT32, 0), Field("stride_h", INT32, 0))
_DILATIONS = (Field("dilation_w_factor", INT32, 1), Field("dilation_h_factor", INT32, 1))
# The bias type of a 16x8 operator (INT32 or INT64); the schema default FLOAT32 means "not set".
_BIAS_TYPE = Field("quantized_bias_type", "TensorType", "FLOAT32")

_POOL = OptionsSpec(
    "Pool2DOptions",
    (_PADDING, *_STRIDES, Field("filter_width", INT32, 0), Field("filter_height", INT32, 0), _ACT),
)

OPTIONS_BY_OPCODE: dict[str, OptionsSpec] = {
    "CONV_2D": OptionsSpec("Conv2DOptions", (_PADDING, *_STRIDES, _ACT, *_DILATIONS, _BIAS_TYPE)),
    "DEPTHWISE_CONV_2D": OptionsSpec(
        "DepthwiseConv2DOptions",
        (_PADDING, *_STRIDES, Field("depth_multiplier", INT32, 0), _ACT, *_DILATIONS),
    ),
    "FULLY_CONNECTED": OptionsSpec(
        "FullyConnectedOptions",
        (
            _ACT,
            Field("weights_format", "FullyConnectedOptionsWeightsFormat", "DEFAULT"),
            Field("keep_num_dims", BOOL, False),
            Field("asymmetric_quantize_inputs", BOOL, False),
            _BIAS_TYPE,
        ),
    ),
    "AVERAGE_POOL_2D": _POOL,
    "MAX_POOL_2D": _POOL,
    "SOFTMAX": OptionsSpec("SoftmaxOptions", (Field("beta", FLOAT32, 0.0),)),
    "RESHAPE": OptionsSpec("ReshapeOptions", (Field("new_shape", INT32_VECTOR, None),)),
    "SQUEEZE": OptionsSpec("SqueezeOptions", (Field("squeeze_dims", INT32_VECTOR, None),)),
    "ADD": OptionsSpec("AddOptions", (_ACT, Field("pot_scale_int16", BOOL, True))),
    "SUB": OptionsSpec("SubOptions", (_ACT, Field("pot_scale_int16", BOOL, True))),
    "MUL": OptionsSpec("MulOptions", (_ACT,)),
    "CONCATENATION": OptionsSpec("ConcatenationOptions", (Field("axis", INT32, 0), _ACT)),
    "PAD": OptionsSpec("PadOptions"),
    "MEAN": OptionsSpec("ReducerOptions", (Field("keep_dims", BOOL, False),)),
    "STRIDED_SLICE": OptionsSpec(
        "StridedSliceOptions",
        (
            Field("begin_mask", INT32, 0),
            Field("end_mask", INT32, 0),
            Field("ellipsis_mask", INT32, 0),
            Field("new_axis_mask", INT32, 0),
            Field("shrink_axis_mask", INT32, 0),
            Field("offset", BOOL, False),
        ),
    ),
    "TRANSPOSE": OptionsSpec("TransposeOptions"),
    "QUANTIZE": OptionsSpec("QuantizeOptions"),
    "DEQUANTIZE": OptionsSpec("DequantizeOptions"),
    "LEAKY_RELU": OptionsSpec("LeakyReluOptions", (Field("alpha", FLOAT32, 0.0),)),
    "HARD_SWISH": OptionsSpec("HardSwishOptions"),
    "MAXIMUM": OptionsSpec("MaximumMinimumOptions"),
    "MINIMUM": OptionsSpec("MaximumMinimumOptions"),
    # Arithmetic, comparison and logical operators.
    "DIV": OptionsSpec("DivOptions", (_ACT,)),
    "FLOOR_DIV": OptionsSpec("FloorDivOptions"),
    "FLOOR_MOD": OptionsSpec("FloorModOptions"),
    "SQUARED_DIFFERENCE": OptionsSpec("SquaredDifferenceOptions"),
    "ADD_N": OptionsSpec("AddNOptions"),
    "EQUAL": OptionsSpec("EqualOptions"),
    "NOT_EQUAL": OptionsSpec("NotEqualOptions"),
    "GREATER": OptionsSpec("GreaterOptions"),
    "GREATER_EQUAL": OptionsSpec("GreaterEqualOptions"),
    "LESS": OptionsSpec("LessOptions"),
    "LESS_EQUAL": OptionsSpec("LessEqualOptions"),
    "LOGICAL_AND": OptionsSpec("LogicalAndOptions"),
    "LOGICAL_OR": OptionsSpec("LogicalOrOptions"),
    "LOGICAL_NOT": OptionsSpec("LogicalNotOptions"),
    "SELECT": OptionsSpec("SelectOptions"),
    "SELECT_V2": OptionsSpec("SelectV2Options"),
    # Unary math.
    "ABS": OptionsSpec("AbsOptions"),
    "NEG": OptionsSpec("NegOptions"),
    "EXP": OptionsSpec("ExpOptions"),
    "SQUARE": OptionsSpec("SquareOptions"),
    "CAST": OptionsSpec(
        "CastOptions", (Field("in_data_type", "TensorType", "FLOAT32"), Field("out_data_type", "TensorType", "FLOAT32"))
    ),
    "ZEROS_LIKE": OptionsSpec("ZerosLikeOptions"),
    "FILL": OptionsSpec("FillOptions"),
    "GELU": OptionsSpec("GeluOptions", (Field("approximate", BOOL, False),)),
    # Reductions and normalisations.
    "SUM": OptionsSpec("ReducerOptions", (Field("keep_dims", BOOL, False),)),
    "REDUCE_MAX": OptionsSpec("ReducerOptions", (Field("keep_dims", BOOL, False),)),
    "REDUCE_MIN": OptionsSpec("ReducerOptions", (Field("keep_dims", BOOL, False),)),
    "REDUCE_PROD": OptionsSpec("ReducerOptions", (Field("keep_dims", BOOL, False),)),
    "REDUCE_ALL": OptionsSpec("ReducerOptions", (Field("keep_dims", BOOL, False),)),
    "REDUCE_ANY": OptionsSpec("ReducerOptions", (Field("keep_dims", BOOL, False),)),
    "ARG_MAX": OptionsSpec("ArgMaxOptions", (Field("output_type", "TensorType", "FLOAT32"),)),
    "ARG_MIN": OptionsSpec("ArgMinOptions", (Field("output_type", "TensorType", "FLOAT32"),)),
    "CUMSUM": OptionsSpec("CumsumOptions", (Field("exclusive", BOOL, False), Field("reverse", BOOL, False))),
    "L2_POOL_2D": _POOL,
    "L2_NORMALIZATION": OptionsSpec("L2NormOptions", (_ACT,)),
    "LOG_SOFTMAX": OptionsSpec("LogSoftmaxOptions"),
    # Data movement and shapes.
    "PADV2": OptionsSpec("PadV2Options"),
    "MIRROR_PAD": OptionsSpec("MirrorPadOptions", (Field("mode", "MirrorPadMode", "REFLECT"),)),
    "SLICE": OptionsSpec("SliceOptions"),
    "SPLIT": OptionsSpec("SplitOptions", (Field("num_splits", INT32, 0),)),
    "SPLIT_V": OptionsSpec("SplitVOptions", (Field("num_splits", INT32, 0),)),
    "PACK": OptionsSpec("PackOptions", (Field("values_count", INT32, 0), Field("axis", INT32, 0))),
    "UNPACK": OptionsSpec("UnpackOptions", (Field("num", INT32, 0), Field("axis", INT32, 0))),
    "GATHER": OptionsSpec("GatherOptions", (Field("axis", INT32, 0), Field("batch_dims", INT32, 0))),
    "GATHER_ND": OptionsSpec("GatherNdOptions"),
    "ONE_HOT": OptionsSpec("OneHotOptions", (Field("axis", INT32, 0),)),
    "EXPAND_DIMS": OptionsSpec("ExpandDimsOptions"),
    "SHAPE": OptionsSpec("ShapeOptions", (Field("out_type", "TensorType", "FLOAT32"),)),
    "BROADCAST_TO": OptionsSpec("BroadcastToOptions"),
    "REVERSE_V2": OptionsSpec("ReverseV2Options"),
    "DEPTH_TO_SPACE": OptionsSpec("DepthToSpaceOptions", (Field("block_size", INT32, 0),)),
    "SPACE_TO_DEPTH": OptionsSpec("SpaceToDepthOptions", (Field("block_size", INT32, 0),)),
    "BATCH_TO_SPACE_ND": OptionsSpec("BatchToSpaceNDOptions"),
    "SPACE_TO_BATCH_ND": OptionsSpec("SpaceToBatchNDOptions"),
    "DYNAMIC_UPDATE_SLICE": OptionsSpec("DynamicUpdateSliceOptions"),
    "RESIZE_BILINEAR": OptionsSpec(
        "ResizeBilinearOptions", (Field("align_corners", BOOL, False), Field("half_pixel_centers", BOOL, False))
    ),
    "RESIZE_NEAREST_NEIGHBOR": OptionsSpec(
        "ResizeNearestNeighborOptions", (Field("align_corners", BOOL, False), Field("half_pixel_centers", BOOL, False))
    ),
    # Matrix products and sequence models.
    "BATCH_MATMUL": OptionsSpec(
        "BatchMatMulOptions",
        (Field("adj_x", BOOL, False), Field("adj_y", BOOL, False), Field("asymmetric_quantize_inputs", BOOL, False)),
    ),
    "TRANSPOSE_CONV": OptionsSpec("TransposeConvOptions", (_PADDING, *_STRIDES, _ACT, _BIAS_TYPE)),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": OptionsSpec(
        "UnidirectionalSequenceLSTMOptions",
        (
            _ACT,
            Field("cell_clip", FLOAT32, 0.0),
            Field("proj_clip", FLOAT32, 0.0),
            Field("time_major", BOOL, False),
            Field("asymmetric_quantize_inputs", BOOL, False),
            Field("diagonal_recurrent_tensors", BOOL, False),
        ),
    ),
    "SVDF": OptionsSpec(
        "SVDFOptions", (Field("rank", INT32, 0), _ACT, Field("asymmetric_quantize_inputs", BOOL, False))
    ),
    # Control flow and resource variables.
    "IF": OptionsSpec(
        "IfOptions", (Field("then_subgraph_index", INT32, 0), Field("else_subgraph_index", INT32, 0))
    ),
    "WHILE": OptionsSpec(
        "WhileOptions", (Field("cond_subgraph_index", INT32, 0), Field("body_subgraph_index", INT32, 0))
    ),
    "CALL_ONCE": OptionsSpec("CallOnceOptions", (Field("init_subgraph_index", INT32, 0),)),
    "VAR_HANDLE": OptionsSpec("VarHandleOptions", (Field("container", STRING, ""), Field("shared_name", STRING, ""))),
    "READ_VARIABLE": OptionsSpec("ReadVariableOptions"),
    "ASSIGN_VARIABLE": OptionsSpec("AssignVariableOptions"),
    # LOGISTIC, TANH, RELU, RELU6, FLOOR, CEIL, ROUND, SQRT, RSQRT, LOG, SIN, COS, PRELU, ELU,
    # EMBEDDING_LOOKUP and BROADCAST_ARGS have no options table in the schema.
}


def union_type(spec: OptionsSpec) -> int:
    """The BuiltinOptions union tag of an options table (e.g. Conv2DOptions -> 1)."""
    return getattr(tflite.BuiltinOptions, spec.table)


# Custom operators the compiler knows (TFLite Micro ships them): in the IR their opcode is the
# custom code itself, and their options are the operator's flexbuffer `custom_options` map, read
# as a dict of plain Python values (int, float, bool, str, lists of them).
CUSTOM_OPERATORS: frozenset[str] = frozenset(
    {
        "TFLite_Detection_PostProcess",
        # TFLite Micro's Signal library (the audio front end).
        "SignalWindow",
        "SignalRfft",
        "SignalIrfft",
        "SignalEnergy",
        "SignalFftAutoScale",
        "SignalFilterBank",
        "SignalFilterBankSquareRoot",
        "SignalFilterBankLog",
        "SignalFilterBankSpectralSubtraction",
        "SignalPCAN",
        "SignalFramer",
        "SignalStacker",
        "SignalDelay",
        "SignalOverlapAdd",
    }
)

