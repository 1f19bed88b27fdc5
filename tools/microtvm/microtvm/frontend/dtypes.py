"""TFLite TensorType <-> numpy dtype names (the IR's dtype convention), shared by reader and writer."""
from __future__ import annotations

import tflite

# TensorType value -> numpy dtype name, for the types a graph may hold.
NUMPY_DTYPE_BY_TENSOR_TYPE: dict[int, str] = {
    tflite.TensorType.FLOAT32: "float32",
    tflite.TensorType.FLOAT16: "float16",
    tflite.TensorType.FLOAT64: "float64",
    tflite.TensorType.INT8: "int8",
    tflite.TensorType.INT16: "int16",
    tflite.TensorType.INT32: "int32",
    tflite.TensorType.INT64: "int64",
    tflite.TensorType.UINT8: "uint8",
    tflite.TensorType.UINT16: "uint16",
    tflite.TensorType.UINT32: "uint32",
    tflite.TensorType.UINT64: "uint64",
    tflite.TensorType.BOOL: "bool",
}

TENSOR_TYPE_BY_NUMPY_DTYPE: dict[str, int] = {v: k for k, v in NUMPY_DTYPE_BY_TENSOR_TYPE.items()}

# Valid TFLite types that have no numpy equivalent here (strings, complex, packed int4, ...):
# value -> schema name, so the reader can say what it found.
UNSUPPORTED_TENSOR_TYPES: dict[int, str] = {
    v: k
    for k, v in vars(tflite.TensorType).items()
    if not k.startswith("_") and isinstance(v, int) and v not in NUMPY_DTYPE_BY_TENSOR_TYPE
}
