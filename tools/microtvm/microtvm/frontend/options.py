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
Fields the schema has but we never need (e.g. quantized_bias_type) are deliberately not listed:
the reader ignores them and the writer leaves them at the schema default.
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


def _enum_names(enum_class: type) -> dict[int, str]:
    """value -> name of one of the tflite package's generated enum classes."""
    return {v: k for k, v in vars(enum_class).items() if not k.startswith("_") and isinstance(v, int)}


# Enum kinds: schema enum name -> {value: value name}.
ENUMS: dict[str, dict[int, str]] = {
    "Padding": _enum_names(tflite.Padding),
    "ActivationFunctionType": _enum_names(tflite.ActivationFunctionType),
    "FullyConnectedOptionsWeightsFormat": _enum_names(tflite.FullyConnectedOptionsWeightsFormat),
}


@dataclass(frozen=True)
class Field:
    name: str  # schema snake_case name: the key in Operator.options
    kind: str  # INT32, BOOL, FLOAT32, INT32_VECTOR, or a key of ENUMS
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

_POOL = OptionsSpec(
    "Pool2DOptions",
    (_PADDING, *_STRIDES, Field("filter_width", INT32, 0), Field("filter_height", INT32, 0), _ACT),
)

OPTIONS_BY_OPCODE: dict[str, OptionsSpec] = {
    "CONV_2D": OptionsSpec("Conv2DOptions", (_PADDING, *_STRIDES, _ACT, *_DILATIONS)),
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
    # LOGISTIC, TANH, RELU and RELU6 have no options table in the schema.
}


def union_type(spec: OptionsSpec) -> int:
    """The BuiltinOptions union tag of an options table (e.g. Conv2DOptions -> 1)."""
    return getattr(tflite.BuiltinOptions, spec.table)
