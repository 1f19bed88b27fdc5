"""Models converted by TensorFlow's TFLite converter, the way users make theirs.

`models/make_models.py` writes the project's models with our own writer; this script instead
builds small Keras models and converts them with the real converter (full-integer int8, 16x8,
float32 and dynamic-range "hybrid" quantization), so the tests see exactly the operator
patterns, options and quantization parameters that users' models have (fused LSTMs, WHILE loops
over resource variables, TRANSPOSE_CONV, per-channel weights, int64 biases, ...).

TensorFlow is NOT a dependency of the project: the script's output is committed
(models/converted/*.tflite), and CI only reads those files
(//tools/microtvm/tests:test_converted_models). To regenerate, in a scratch virtualenv:

    pip install tensorflow-cpu==2.21.0 tf_keras==2.21.0
    TF_USE_LEGACY_KERAS=1 python3 models/converted/make_converted_models.py

Weights come from fixed seeds; the converter's output may still change between TensorFlow
releases, which is why the files, not the script, are what the tests read.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf_keras: Keras 2 layers fuse into TFLite's LSTM

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras
layers = tf.keras.layers
OUT = Path(__file__).resolve().parent
CALIBRATION_BATCHES = 16


class Graph:
    """What the converter takes: a concrete function, the object tracking its variables, and its
    input signature. Keras models and plain tf.Modules (control flow, variables) both become one."""

    def __init__(self, concrete: Any, trackable: Any, specs: list[tf.TensorSpec]):
        self.concrete, self.trackable, self.specs = concrete, trackable, specs


def _graph(model: Any) -> Graph:
    if isinstance(model, Graph):
        return model
    specs = [tf.TensorSpec(tuple(int(d) for d in t.shape), t.dtype) for t in model.inputs]
    fn = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0]))
    return Graph(fn.get_concrete_function(*specs), model, specs)


def _representative(specs: list[tf.TensorSpec], seed: int) -> Callable[[], Iterator[list[np.ndarray]]]:
    def gen() -> Iterator[list[np.ndarray]]:
        rng = np.random.default_rng(seed)
        for _ in range(CALIBRATION_BATCHES):
            batch = []
            for spec in specs:
                if spec.dtype.is_floating:
                    batch.append(rng.standard_normal(spec.shape).astype(np.float32))
                else:  # token ids and the like: small non-negative integers
                    batch.append(rng.integers(0, 8, size=spec.shape).astype(spec.dtype.as_numpy_dtype))
            yield batch

    return gen


def convert(model: Any, scheme: str, seed: int = 0) -> bytes:
    """scheme: float32 | float16 (float16 weights) | int8 (full integer, int8 I/O) | int16x8 | hybrid."""
    graph = _graph(model)
    shapes = graph.specs
    c = tf.lite.TFLiteConverter.from_concrete_functions([graph.concrete], graph.trackable)
    c.experimental_enable_resource_variables = True
    all_float = all(spec.dtype == tf.float32 for spec in graph.specs)
    if scheme == "float32":
        pass
    elif scheme == "hybrid":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
    elif scheme == "float16":  # weights stored as float16, DEQUANTIZE'd to float32 at the start
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.target_spec.supported_types = [tf.float16]
    elif scheme == "int8":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = _representative(shapes, seed)
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if all_float:
            c.inference_input_type = tf.int8
        c.inference_output_type = tf.int8
    elif scheme == "int16x8":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = _representative(shapes, seed)
        c.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        if all_float:
            c.inference_input_type = tf.int16
        c.inference_output_type = tf.int16
    else:
        raise ValueError(scheme)
    return c.convert()


def _seeded(seed: int) -> None:
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


# ---------------------------------------------------------------------------------------------
# The models: each a function returning a Keras model with batch size 1 and fixed shapes.


def ds_cnn() -> keras.Model:
    """A small DS-CNN keyword spotter (MLPerf Tiny's structure, fewer channels)."""
    x = inp = keras.Input((49, 10, 1), batch_size=1)
    x = layers.Conv2D(16, (10, 4), strides=2, padding="same", activation="relu")(x)
    for _ in range(2):
        x = layers.DepthwiseConv2D(3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.Conv2D(16, 1, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(12, activation="softmax")(x))


def lstm_stack() -> keras.Model:
    """Two stacked LSTMs (UNIDIRECTIONAL_SEQUENCE_LSTM each) and a classifier."""
    x = inp = keras.Input((12, 8), batch_size=1)
    x = layers.LSTM(16, return_sequences=True)(x)
    x = layers.LSTM(12)(x)
    return keras.Model(inp, layers.Dense(4)(x))


def gru() -> keras.Model:
    x = inp = keras.Input((8, 6), batch_size=1)
    x = layers.GRU(8)(x)
    return keras.Model(inp, layers.Dense(3)(x))


def hybrid_mlp() -> keras.Model:
    """Weights large enough (>= 1024 elements) for dynamic-range quantization to apply."""
    x = inp = keras.Input((64,), batch_size=1)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(32, activation="relu")(x)
    return keras.Model(inp, layers.Dense(10)(x))


def hybrid_cnn() -> keras.Model:
    x = inp = keras.Input((16, 16, 8), batch_size=1)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=1, padding="same")(x)
    x = layers.Conv2D(32, 1)(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(40)(x))


def wakeword_lstm() -> keras.Model:
    """Two stacked LSTMs large enough (gate weights of >= 1024 elements) for dynamic-range
    quantization to make them hybrid UNIDIRECTIONAL_SEQUENCE_LSTMs (int8 weights, float32 state)."""
    x = inp = keras.Input((10, 40), batch_size=1)
    x = layers.LSTM(32, return_sequences=True)(x)
    x = layers.LSTM(32)(x)
    return keras.Model(inp, layers.Dense(4)(x))


def upsample_decoder() -> keras.Model:
    """Transpose convolution, nearest and bilinear resizing, concatenation (a tiny U-Net)."""
    x = inp = keras.Input((16, 16, 3), batch_size=1)
    a = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    b = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(a)
    up = layers.Conv2DTranspose(8, 3, strides=2, padding="same")(b)
    near = layers.UpSampling2D(2, interpolation="nearest")(b)
    bil = layers.UpSampling2D(2, interpolation="bilinear")(b)
    x = layers.Concatenate()([a, up, near, bil])
    return keras.Model(inp, layers.Conv2D(2, 1)(x))


def transformer_block() -> keras.Model:
    """Self-attention (BATCH_MATMUL, SOFTMAX), layer normalisation, GELU."""
    x = inp = keras.Input((8, 16), batch_size=1)
    att = layers.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    x = layers.LayerNormalization()(x + att)
    f = layers.Dense(32, activation="gelu")(x)
    x = layers.LayerNormalization()(x + layers.Dense(16)(f))
    return keras.Model(inp, layers.GlobalAveragePooling1D()(x))


def conv1d_audio() -> keras.Model:
    x = inp = keras.Input((64, 4), batch_size=1)
    x = layers.Conv1D(8, 5, strides=2, padding="same", activation="relu")(x)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Conv1D(8, 3, dilation_rate=2, padding="same", activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    return keras.Model(inp, layers.Dense(5, activation="softmax")(x))


def embedding_classifier() -> keras.Model:
    """Token ids in: GATHER (embedding), mean over the sequence, a classifier."""
    inp = keras.Input((10,), batch_size=1, dtype="int32")
    x = layers.Embedding(50, 8)(inp)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inp, layers.Dense(3)(x))


def misc_ops() -> keras.Model:
    """Element-wise and shape operators Keras layers lower to."""
    x = inp = keras.Input((4, 6, 8), batch_size=1)
    y = layers.PReLU()(layers.Conv2D(8, 1)(x))
    z = layers.LeakyReLU(0.2)(x) * tf.math.abs(x) - tf.math.square(x)  # (ELU: not in LiteRT-ref)
    w = tf.transpose(tf.reshape(y + z, (1, 24, 8)), (0, 2, 1))
    w = tf.concat(tf.split(w, 2, axis=1)[::-1], axis=1)
    m = tf.reduce_max(w, axis=2) + tf.reduce_sum(w, axis=2) * 0.1
    return keras.Model(inp, layers.Softmax()(m))


def mobilenet_v2_block() -> keras.Model:
    """Inverted residual blocks with RELU6 and HARD_SWISH (MobileNetV3-style)."""
    x = inp = keras.Input((24, 24, 3), batch_size=1)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = x * tf.nn.relu6(x + 3.0) * (1.0 / 6.0)  # hard swish: the converter fuses it into HARD_SWISH
    for expand in (32, 48):
        y = layers.Conv2D(expand, 1)(x)
        y = layers.ReLU(6.0)(y)
        y = layers.DepthwiseConv2D(3, padding="same")(y)
        y = layers.ReLU(6.0)(y)
        y = layers.Conv2D(16, 1)(y)
        x = layers.Add()([x, y])
    x = layers.AveragePooling2D(2)(x)
    x = layers.Flatten()(x)
    return keras.Model(inp, layers.Dense(6)(x))


def control_flow() -> Graph:
    """IF (tf.cond on the data) and WHILE (a data-dependent trip count), as tf.function writes them."""

    class Module(tf.Module):
        def __init__(self) -> None:
            self.w = tf.constant(np.random.default_rng(5).standard_normal((8, 8)).astype(np.float32) * 0.5)

        @tf.function
        def __call__(self, x: tf.Tensor) -> tf.Tensor:
            y = tf.cond(tf.reduce_sum(x) > 0.0, lambda: tf.nn.relu(x @ self.w), lambda: tf.tanh(x) * 2.0)

            def body(i: tf.Tensor, v: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
                return i + 1, tf.tanh(v @ self.w) + v * 0.5

            steps = tf.cast(tf.reduce_max(tf.abs(x)) * 2.0, tf.int32) + 1
            _, z = tf.while_loop(lambda i, v: i < steps, body, (tf.constant(0), y))
            return z

    module = Module()
    spec = tf.TensorSpec((1, 8), tf.float32)
    return Graph(module.__call__.get_concrete_function(spec), module, [spec])


def stateful_accumulator() -> Graph:
    """Resource variables: VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE, initialised by CALL_ONCE.
    Every invocation adds its input to a running state and returns a function of the state."""

    class Module(tf.Module):
        def __init__(self) -> None:
            self.state = tf.Variable(tf.zeros((1, 6)), name="state")
            self.w = tf.constant(np.random.default_rng(6).standard_normal((6, 4)).astype(np.float32))

        @tf.function
        def __call__(self, x: tf.Tensor) -> tf.Tensor:
            self.state.assign(self.state * 0.75 + x)
            return tf.nn.relu(self.state @ self.w)

    module = Module()
    spec = tf.TensorSpec((1, 6), tf.float32)
    return Graph(module.__call__.get_concrete_function(spec), module, [spec])


MODELS: dict[str, tuple[Callable[[], keras.Model], tuple[str, ...]]] = {
    "ds_cnn": (ds_cnn, ("float32", "float16", "int8", "int16x8", "hybrid")),
    "lstm_stack": (lstm_stack, ("float32", "int8")),
    "gru": (gru, ("float32",)),  # int8: the converter crashes (TF 2.21)
    "control_flow": (control_flow, ("float32",)),
    "stateful_accumulator": (stateful_accumulator, ("float32", "int8")),
    "hybrid_mlp": (hybrid_mlp, ("hybrid", "int8", "int16x8")),
    "hybrid_cnn": (hybrid_cnn, ("hybrid",)),
    "upsample_decoder": (upsample_decoder, ("float32", "int8", "int16x8")),
    "transformer_block": (transformer_block, ("float32", "int8", "int16x8")),
    "conv1d_audio": (conv1d_audio, ("float32", "float16", "int8", "int16x8")),
    "embedding_classifier": (embedding_classifier, ("float32", "int8")),
    "misc_ops": (misc_ops, ("float32", "int8")),  # int16x8: the converter has no 16x8 PRELU
    "mobilenet_v2_block": (mobilenet_v2_block, ("float32", "int8", "int16x8")),
    # Named to sort last: each model's seed is its position in sorted(MODELS).
    "wakeword_lstm": (wakeword_lstm, ("hybrid",)),
}


def convert_one(name: str, scheme: str) -> None:
    build, _ = MODELS[name]
    _seeded(1000 + sorted(MODELS).index(name))
    data = convert(build(), scheme, seed=sorted(MODELS).index(name))
    path = OUT / f"{name}_{scheme}.tflite"
    path.write_bytes(data)
    print(f"{path.name}: {len(data)} bytes", flush=True)


def main(argv: list[str]) -> int:
    """No arguments: every model in every scheme, each converted in a fresh process (the converter
    can crash on some combinations, and a fresh process names the layers the same way every run).
    `NAME SCHEME`: convert one."""
    if len(argv) == 2:
        convert_one(argv[0], argv[1])
        return 0
    failures = []
    for name, (_, schemes) in sorted(MODELS.items()):
        for scheme in schemes:
            done = subprocess.run([sys.executable, __file__, name, scheme], capture_output=True, text=True)
            if done.returncode != 0:
                lines = [line for line in done.stderr.splitlines() if "Error" in line or "error" in line]
                failures.append(f"{name}_{scheme}: exit {done.returncode} {lines[-1][:160] if lines else ''}")
            else:
                print(done.stdout.strip(), flush=True)
    for f in failures:
        print("not converted:", f, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
