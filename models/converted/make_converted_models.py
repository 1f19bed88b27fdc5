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
    # A Keras input without a batch size converts with a dynamic batch (shape_signature -1), as
    # users' models usually do; LiteRT then runs it with batch 1.
    specs = [tf.TensorSpec(tuple(None if d is None else int(d) for d in t.shape), t.dtype) for t in model.inputs]
    fn = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0]))
    return Graph(fn.get_concrete_function(*specs), model, specs)


def _representative(specs: list[tf.TensorSpec], seed: int) -> Callable[[], Iterator[list[np.ndarray]]]:
    def gen() -> Iterator[list[np.ndarray]]:
        rng = np.random.default_rng(seed)
        for _ in range(CALIBRATION_BATCHES):
            batch = []
            for spec in specs:
                shape = tuple(1 if d is None else d for d in spec.shape)
                if spec.dtype.is_floating:
                    batch.append(rng.standard_normal(shape).astype(np.float32))
                else:  # token ids and the like: small non-negative integers
                    batch.append(rng.integers(0, 8, size=shape).astype(spec.dtype.as_numpy_dtype))
            yield batch

    return gen


def convert(model: Any, scheme: str, seed: int = 0) -> bytes:
    """scheme: float32 | int8 (full integer, int8 I/O) | uint8 (same, uint8 I/O) | int8float (same,
    float32 I/O) | int8pertensor (int8, per-tensor weights) | int16x8 | hybrid (dynamic range) |
    float16 (float16 weights)."""
    graph = _graph(model)
    shapes = graph.specs
    c = tf.lite.TFLiteConverter.from_concrete_functions([graph.concrete], graph.trackable)
    c.experimental_enable_resource_variables = True
    all_float = all(spec.dtype == tf.float32 for spec in graph.specs)
    if scheme == "float32":
        pass
    elif scheme == "hybrid":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
    elif scheme == "int8":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = _representative(shapes, seed)
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if all_float:
            c.inference_input_type = tf.int8
        c.inference_output_type = tf.int8
    elif scheme == "int8float":  # int8 inside, float32 I/O (the converter's default: QUANTIZE in, DEQUANTIZE out)
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = _representative(shapes, seed)
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    elif scheme == "int8pertensor":  # int8 with one scale per weight tensor, as older converters wrote
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = _representative(shapes, seed)
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        c._experimental_disable_per_channel = True
        c.inference_input_type = tf.int8
        c.inference_output_type = tf.int8
    elif scheme == "float16":  # float16 weights, DEQUANTIZE'd to float32 when the model starts
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.target_spec.supported_types = [tf.float16]
    elif scheme == "uint8":  # int8 inside, uint8 I/O (QUANTIZE at both ends), as older converters emit
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = _representative(shapes, seed)
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        c.inference_input_type = tf.uint8
        c.inference_output_type = tf.uint8
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


# ---------------------------------------------------------------------------------------------
# Vision models (written to vision/): Keras applications cut down to a few blocks (their exact
# layer patterns: Rescaling/Normalization on the input, ZeroPadding before strided depthwise
# convolutions, squeeze-and-excite with hard sigmoid or sigmoid, BatchNorm folded into
# convolutions) and small hand-built networks in the styles of SqueezeNet, DenseNet, ShuffleNet,
# SSD, U-Net and MLPerf Tiny's ResNet. Random weights; BatchNorm statistics randomised so the
# folded scales and biases are not the identity.


def _randomise_normalization(model: keras.Model, seed: int) -> keras.Model:
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            n = gamma.shape
            layer.set_weights([
                rng.uniform(0.5, 1.5, n).astype(np.float32),
                (rng.standard_normal(n) * 0.2).astype(np.float32),
                (rng.standard_normal(n) * 0.2).astype(np.float32),
                rng.uniform(0.5, 1.5, n).astype(np.float32),
            ])
        elif isinstance(layer, layers.Normalization):
            weights = layer.get_weights()
            if len(weights) == 3:  # mean, variance, count
                n = weights[0].shape
                layer.set_weights([
                    (rng.standard_normal(n) * 0.3).astype(np.float32),
                    rng.uniform(0.5, 2.0, n).astype(np.float32),
                    weights[2],
                ])
    return model


def _image(height: int, width: int, channels: int) -> tf.Tensor:
    return keras.Input((height, width, channels), batch_size=1)


def _cut(app: keras.Model, last_layer: str, classes: int, seed: int) -> keras.Model:
    """A Keras application up to `last_layer`, with a global-pool + dense classifier."""
    x = layers.GlobalAveragePooling2D()(app.get_layer(last_layer).output)
    x = layers.Dense(classes, activation="softmax")(x)
    return _randomise_normalization(keras.Model(app.input, x), seed)


def mobilenet_v1() -> keras.Model:
    """keras.applications.MobileNet, alpha 0.25 at 96x96 (ZERO-padded strided depthwise
    convolutions, RELU6), first five blocks, with the application's own 1x1-conv classifier."""
    app = keras.applications.MobileNet(input_tensor=_image(96, 96, 3), alpha=0.25, weights=None)
    x = app.get_layer("conv_pw_5_relu").output
    x = layers.GlobalAveragePooling2D(keepdims=True)(x)
    x = layers.Conv2D(4, 1)(x)
    x = layers.Reshape((4,))(x)
    x = layers.Activation("softmax")(x)
    return _randomise_normalization(keras.Model(app.input, x), 11)


def person_detect() -> keras.Model:
    """TFLite Micro's person detection shape: 96x96 grayscale, MobileNet v1 body (alpha 0.25,
    fewer blocks), 2 classes; the example's model has uint8-era quantization (see "uint8")."""
    x = inp = keras.Input((96, 96, 1), batch_size=1)
    x = layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(6.0)(x)
    for filters, stride in ((16, 1), (32, 2), (32, 1), (64, 2), (64, 1)):
        x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU(6.0)(x)
        x = layers.Conv2D(filters, 1, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU(6.0)(x)
    x = layers.AveragePooling2D(6)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(2)(x)
    return _randomise_normalization(keras.Model(inp, layers.Softmax()(x)), 12)


def mobilenet_v2() -> keras.Model:
    """keras.applications.MobileNetV2, alpha 0.35 at 96x96, up to block 5; dynamic batch."""
    app = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, weights=None)
    return _cut(app, "block_5_add", 5, 13)


def mobilenet_v3_small() -> keras.Model:
    """keras.applications.MobileNetV3Small at 96x96 (input Rescaling, hard swish, squeeze-and-
    excite with hard sigmoid), first four blocks."""
    app = keras.applications.MobileNetV3Small(input_tensor=_image(96, 96, 3), alpha=0.5, weights=None)
    return _cut(app, "expanded_conv_3/project/BatchNorm", 5, 14)


def mobilenet_v3_minimalistic() -> keras.Model:
    """MobileNetV3Small minimalistic (RELU, no squeeze-and-excite, 3x3 kernels), first blocks;
    dynamic batch."""
    app = keras.applications.MobileNetV3Small(
        input_shape=(96, 96, 3), alpha=0.75, minimalistic=True, weights=None
    )
    return _cut(app, "expanded_conv_2/Add", 5, 15)


def efficientnet_b0() -> keras.Model:
    """keras.applications.EfficientNetB0 at 64x64, stem and blocks 1a-2b: Rescaling and
    Normalization on the input, swish (LOGISTIC + MUL), squeeze-and-excite with sigmoid; dynamic
    batch."""
    app = keras.applications.EfficientNetB0(input_shape=(64, 64, 3), weights=None)
    return _cut(app, "block2b_add", 5, 16)


def resnet_bn() -> keras.Model:
    """MLPerf Tiny's ResNet-8 shape (CIFAR-10 32x32), fewer filters: Conv-BN-ReLU, residual adds
    with 1x1 strided shortcuts; dynamic batch, as MLPerf Tiny's Keras model has it."""
    x = inp = keras.Input((32, 32, 3))
    x = layers.Conv2D(8, 3, padding="same", kernel_regularizer=None)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    for filters, stride in ((8, 1), (16, 2), (24, 2)):
        y = layers.Conv2D(filters, 3, strides=stride, padding="same")(x)
        y = layers.BatchNormalization()(y)
        y = layers.Activation("relu")(y)
        y = layers.Conv2D(filters, 3, padding="same")(y)
        y = layers.BatchNormalization()(y)
        if stride != 1:
            x = layers.Conv2D(filters, 1, strides=stride, padding="same")(x)
        x = layers.Activation("relu")(layers.Add()([x, y]))
    x = layers.AveragePooling2D(pool_size=x.shape[1:3])(x)
    x = layers.Flatten()(x)
    return _randomise_normalization(keras.Model(inp, layers.Dense(10, activation="softmax")(x)), 17)


def squeezenet() -> keras.Model:
    """SqueezeNet fire modules: squeeze 1x1, expand 1x1 and 3x3, concatenated; max pooling with
    VALID and SAME padding; a 1x1-conv classifier averaged globally; dynamic batch."""
    x = inp = keras.Input((48, 48, 3))
    x = layers.Conv2D(16, 3, strides=2, activation="relu")(x)
    x = layers.MaxPooling2D(3, strides=2)(x)

    def fire(x: tf.Tensor, squeeze: int, expand: int) -> tf.Tensor:
        s = layers.Conv2D(squeeze, 1, activation="relu")(x)
        return layers.Concatenate()([
            layers.Conv2D(expand, 1, activation="relu")(s),
            layers.Conv2D(expand, 3, padding="same", activation="relu")(s),
        ])

    x = fire(x, 4, 8)
    x = fire(x, 4, 8)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = fire(x, 8, 16)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv2D(6, 1, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Softmax()(x))


def densenet() -> keras.Model:
    """DenseNet blocks: BN-ReLU-Conv layers whose outputs are concatenated onto their inputs,
    transitions with 1x1 conv and average pooling, global max pooling at the end."""
    x = inp = keras.Input((32, 32, 3), batch_size=1)
    x = layers.Conv2D(12, 3, strides=2, padding="same", use_bias=False)(x)
    for block in range(2):
        for _ in range(3):
            y = layers.BatchNormalization()(x)
            y = layers.ReLU()(y)
            y = layers.Conv2D(16, 1, use_bias=False)(y)
            y = layers.BatchNormalization()(y)
            y = layers.ReLU()(y)
            y = layers.Conv2D(6, 3, padding="same", use_bias=False)(y)
            x = layers.Concatenate()([x, y])
        if block == 0:
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
            x = layers.Conv2D(16, 1, use_bias=False)(x)
            x = layers.AveragePooling2D(2, strides=2)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.GlobalMaxPooling2D()(x)
    return _randomise_normalization(keras.Model(inp, layers.Dense(7)(x)), 18)


def ssd_head() -> keras.Model:
    """An SSD-style detector: a small backbone, box and class heads on two feature maps, each
    reshaped to (anchors, 4) / (anchors, classes) and concatenated; sigmoid class scores;
    dynamic batch."""
    x = inp = keras.Input((64, 64, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x)
    x = layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)
    f1 = layers.Conv2D(16, 1, activation="relu6")(x)  # 16x16
    x = layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(f1)
    f2 = layers.Conv2D(24, 1, activation="relu6")(x)  # 8x8
    anchors, classes = 3, 4
    boxes, scores = [], []
    for f in (f1, f2):
        b = layers.SeparableConv2D(anchors * 4, 3, padding="same")(f)
        c = layers.SeparableConv2D(anchors * classes, 3, padding="same")(f)
        boxes.append(layers.Reshape((-1, 4))(b))
        scores.append(layers.Reshape((-1, classes))(c))
    box = layers.Concatenate(axis=1)(boxes)
    score = layers.Activation("sigmoid")(layers.Concatenate(axis=1)(scores))
    return keras.Model(inp, [box, score])


def segmentation() -> keras.Model:
    """A U-Net-style segmenter: strided encoder, Conv2DTranspose and bilinear UpSampling2D
    decoder with skip concatenations, per-pixel softmax and arg max; dynamic batch."""
    x = inp = keras.Input((32, 32, 3))
    e1 = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    e2 = layers.Conv2D(12, 3, strides=2, padding="same", activation="relu")(e1)
    e3 = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(e2)
    d2 = layers.Conv2DTranspose(12, 2, strides=2, padding="same", activation="relu")(e3)
    d2 = layers.Concatenate()([d2, e2])
    d2 = layers.Conv2D(12, 3, padding="same", activation="relu")(d2)
    d1 = layers.UpSampling2D(2, interpolation="bilinear")(d2)
    d1 = layers.Concatenate()([d1, e1])
    d1 = layers.Conv2D(4, 1)(d1)
    probs = layers.Softmax()(d1)
    return keras.Model(inp, [probs, tf.math.argmax(d1, axis=-1)])


def separable_dilated() -> keras.Model:
    """SeparableConv2D (DEPTHWISE_CONV_2D + CONV_2D), dilated Conv2D and DepthwiseConv2D, and a
    depth multiplier > 1."""
    x = inp = keras.Input((24, 24, 4), batch_size=1)
    x = layers.SeparableConv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(8, 3, dilation_rate=2, padding="same", activation="relu")(x)
    x = layers.DepthwiseConv2D(3, dilation_rate=(2, 3), padding="valid", depth_multiplier=2)(x)
    x = layers.SeparableConv2D(12, 5, strides=2, padding="valid", depth_multiplier=2, activation="relu6")(x)
    x = layers.Conv2D(8, 3, dilation_rate=2, padding="valid")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(3)(x))


def grouped_conv() -> keras.Model:
    """Grouped convolutions (Conv2D groups > 1: one CONV_2D whose filter has fewer input
    channels than its input) around a dense layer."""
    x = inp = keras.Input((16, 16, 8), batch_size=1)
    x = layers.Conv2D(16, 3, padding="same", groups=4, activation="relu")(x)
    x = layers.Conv2D(16, 1, groups=2, activation="relu")(x)
    x = layers.Conv2D(8, 3, strides=2, groups=8)(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(4)(x))


def pad_crop_pool() -> keras.Model:
    """ZeroPadding2D (asymmetric), Cropping2D, max pooling with SAME padding, global max and
    average pooling concatenated."""
    x = inp = keras.Input((20, 18, 3), batch_size=1)
    x = layers.ZeroPadding2D(((1, 2), (0, 3)))(x)
    x = layers.Conv2D(8, 3, strides=2, activation="relu")(x)
    x = layers.Cropping2D(((1, 0), (2, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = layers.Conv2D(12, 2, activation="relu")(x)
    x = layers.Concatenate()([layers.GlobalMaxPooling2D()(x), layers.GlobalAveragePooling2D()(x)])
    return keras.Model(inp, layers.Dense(4)(x))


def preprocess_resize() -> keras.Model:
    """Preprocessing inside the graph: Rescaling, Normalization, tf.image.resize (bilinear with
    half-pixel centres, and nearest), as exported image classifiers have them."""
    x = inp = keras.Input((40, 30, 3), batch_size=1)
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0)(x)
    norm = layers.Normalization(mean=[0.1, -0.2, 0.05], variance=[0.8, 1.3, 1.1])
    x = norm(x)
    a = tf.image.resize(x, (24, 24))
    b = tf.image.resize(x, (24, 24), method="nearest")
    x = layers.Concatenate()([a, b])
    x = layers.Conv2D(8, 3, strides=2, activation="relu")(x)
    x = layers.Resizing(8, 8, interpolation="bilinear")(x)
    x = layers.Conv2D(8, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(3)(x))


def shufflenet() -> keras.Model:
    """ShuffleNet v2 units: channel split, a branch of 1x1 / depthwise 3x3 / 1x1, concatenation,
    and the channel shuffle (reshape to groups, transpose, reshape back); dynamic batch."""
    x = inp = keras.Input((32, 32, 3))
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

    def shuffle(x: tf.Tensor, groups: int) -> tf.Tensor:
        _, h, w, c = x.shape
        x = tf.reshape(x, (-1, h, w, groups, c // groups))
        x = tf.transpose(x, (0, 1, 2, 4, 3))
        return tf.reshape(x, (-1, h, w, c))

    for _ in range(2):
        a, b = tf.split(x, 2, axis=-1)
        b = layers.Conv2D(8, 1, activation="relu")(b)
        b = layers.DepthwiseConv2D(3, padding="same")(b)
        b = layers.BatchNormalization()(b)
        b = layers.Conv2D(8, 1, activation="relu")(b)
        x = shuffle(layers.Concatenate()([a, b]), 2)
    x = layers.GlobalAveragePooling2D()(x)
    return _randomise_normalization(keras.Model(inp, layers.Dense(5)(x)), 19)


def se_swish() -> keras.Model:
    """Squeeze-and-excite blocks (MEAN, 1x1 convs, hard sigmoid / sigmoid, MUL) and activations
    written out by hand: swish, hard swish, tanh, relu_n1_to_1 style clipping."""
    x = inp = keras.Input((16, 16, 6), batch_size=1)
    x = layers.Conv2D(16, 3, padding="same")(x)
    x = x * tf.nn.sigmoid(x)  # swish
    s = tf.reduce_mean(x, axis=(1, 2), keepdims=True)
    s = layers.Conv2D(4, 1, activation="relu")(s)
    s = layers.Conv2D(16, 1)(s)
    x = x * (tf.nn.relu6(s + 3.0) * (1.0 / 6.0))  # hard sigmoid gate
    y = layers.DepthwiseConv2D(3, padding="same")(x)
    y = tf.nn.silu(y)
    s = layers.GlobalAveragePooling2D(keepdims=True)(y)
    s = layers.Conv2D(16, 1, activation="sigmoid")(layers.Conv2D(4, 1, activation="swish")(s))
    y = layers.Multiply()([y, s])
    y = tf.clip_by_value(layers.Conv2D(8, 1, activation="tanh")(y), -0.5, 0.5)
    y = layers.Activation("hard_sigmoid")(y) + y
    x = layers.GlobalAveragePooling2D()(y)
    return keras.Model(inp, layers.Dense(4)(x))


def super_resolution() -> keras.Model:
    """An ESPCN-style upscaler: space-to-depth on the input, reflect padding (MIRROR_PAD), 3x3
    convolutions, and the depth-to-space pixel shuffle; output clipped to [0, 1]."""
    x = inp = keras.Input((16, 16, 1), batch_size=1)
    y = tf.nn.space_to_depth(x, 2)
    y = tf.pad(y, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="REFLECT")
    y = layers.Conv2D(8, 3, activation="tanh")(y)
    y = tf.pad(y, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="SYMMETRIC")
    y = layers.Conv2D(8, 5, activation="relu")(y)
    y = layers.Conv2D(16, 3, padding="same")(y)
    y = tf.nn.depth_to_space(y, 4)  # 8x8x16 -> 32x32x1
    y = y + tf.image.resize(x, (32, 32), method="bilinear")
    return keras.Model(inp, tf.clip_by_value(y, 0.0, 1.0))


def face_embedding() -> keras.Model:
    """A face-embedding-style network: PReLU, average pooling with SAME padding, constant padding
    with a non-zero value, resizing with align_corners, ReLU-N1-to-1 style clipping, and an
    L2-normalised embedding."""
    x = inp = keras.Input((24, 24, 3), batch_size=1)
    x = tf.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=0.5)
    x = layers.Conv2D(8, 3, strides=2)(x)
    x = layers.PReLU(shared_axes=[1, 2])(x)
    x = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    x = tf.compat.v1.image.resize_bilinear(x, (9, 9), align_corners=True)
    x = layers.DepthwiseConv2D(3, padding="same")(x)
    x = tf.clip_by_value(x, -1.0, 1.0)
    x = layers.Conv2D(16, 1)(x)
    x = tf.compat.v1.image.resize_nearest_neighbor(x, (5, 5), align_corners=True)
    x = layers.Flatten()(x)
    x = layers.Dense(16)(x)
    return keras.Model(inp, tf.math.l2_normalize(x, axis=-1))


def cbam() -> keras.Model:
    """Attention blocks (CBAM style): channel attention from global average and max pooling
    through a shared Dense pair, reshaped and broadcast-multiplied; spatial attention from the
    mean and max over channels, a 7x7 convolution and a sigmoid."""
    x = inp = keras.Input((20, 20, 3), batch_size=1)
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    dense1, dense2 = layers.Dense(4, activation="relu"), layers.Dense(16)
    avg = dense2(dense1(layers.GlobalAveragePooling2D()(x)))
    mx = dense2(dense1(layers.GlobalMaxPooling2D()(x)))
    gate = layers.Reshape((1, 1, 16))(layers.Activation("sigmoid")(avg + mx))
    x = layers.Multiply()([x, gate])
    spatial = layers.Concatenate()([
        tf.reduce_mean(x, axis=-1, keepdims=True), tf.reduce_max(x, axis=-1, keepdims=True)
    ])
    spatial = layers.Conv2D(1, 7, padding="same", activation="sigmoid")(spatial)
    x = x * spatial
    x = layers.Conv2D(8, 3, strides=2, activation="relu")(x)
    x = layers.Flatten()(x)
    return keras.Model(inp, layers.Dense(4)(x))


def aspp() -> keras.Model:
    """A DeepLab-style head: atrous convolutions whose dilated kernels are wider than the feature
    map, an image-pooling branch (global average, 1x1 conv, bilinear resize from 1x1 back up),
    concatenation, and the logits resized to the input size."""
    x = inp = keras.Input((32, 32, 3), batch_size=1)
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    f = layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu")(x)
    f = layers.Conv2D(16, 1, activation="relu")(f)  # 8x8
    branches = [layers.Conv2D(8, 1, activation="relu")(f)]
    for rate in (2, 6, 12):
        branches.append(layers.Conv2D(8, 3, dilation_rate=rate, padding="same", activation="relu")(f))
    pool = layers.GlobalAveragePooling2D(keepdims=True)(f)
    pool = layers.Conv2D(8, 1, activation="relu")(pool)
    branches.append(tf.image.resize(pool, (8, 8)))
    y = layers.Concatenate()(branches)
    y = layers.Conv2D(3, 1)(y)
    return keras.Model(inp, tf.image.resize(y, (32, 32)))


def image_ops() -> keras.Model:
    """Image manipulation written with tf.image and Python indexing, as exported preprocessing
    has it: channel reversal (RGB -> BGR), strided and ellipsis slicing, horizontal flip, 90-degree
    rotation, cropping, a broadcast add; one output is also the input of later layers."""
    x = inp = keras.Input((16, 12, 3), batch_size=1)
    bgr = x[..., ::-1]
    flipped = tf.image.flip_left_right(bgr)
    rotated = tf.image.rot90(x[:, 2:14, :, :])  # 12x12 after the crop, rotated
    sub = x[:, ::2, 1::2, :2]  # 8x6x2
    y = layers.Concatenate()([flipped[:, 2:14], rotated])
    features = layers.Conv2D(6, 3, strides=2, padding="same", activation="relu")(y)  # 6x6x6
    # (tf.tile would be TILE, which LiteRT's reference resolver and TFLite Micro run only in float32)
    stats = tf.concat([tf.reduce_mean(sub, axis=(1, 2), keepdims=True)] * 3, axis=-1)
    z = features + stats
    crop = tf.image.crop_to_bounding_box(z, 1, 1, 4, 4)
    out = layers.Dense(3)(layers.Flatten()(crop))
    return keras.Model(inp, [features, out])


def siamese() -> keras.Model:
    """Two images through one shared convolutional tower; the embeddings' absolute and squared
    differences and their Euclidean distance feed a sigmoid similarity."""
    a_in = keras.Input((24, 24, 1), batch_size=1)
    b_in = keras.Input((24, 24, 1), batch_size=1)
    tower = keras.Sequential([
        layers.Conv2D(8, 3, strides=2, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(8),
    ])
    a, b = tower(a_in), tower(b_in)
    distance = tf.sqrt(tf.reduce_sum(tf.math.squared_difference(a, b), axis=-1, keepdims=True) + 1e-6)
    x = layers.Concatenate()([tf.abs(a - b), distance])
    return keras.Model([a_in, b_in], layers.Dense(1, activation="sigmoid")(x))


VISION_MODELS: dict[str, tuple[Callable[[], keras.Model], tuple[str, ...]]] = {
    "mobilenet_v1": (mobilenet_v1, ("float32", "int8", "int16x8", "hybrid")),
    "person_detect": (person_detect, ("float32", "int8", "uint8", "int16x8")),
    "mobilenet_v2": (mobilenet_v2, ("float32", "int8", "int16x8")),
    "mobilenet_v3_small": (mobilenet_v3_small, ("float32", "int8")),  # 16x8: no 16x8 HARD_SWISH
    "mobilenet_v3_minimalistic": (mobilenet_v3_minimalistic, ("float32", "int8", "int16x8")),
    "efficientnet_b0": (efficientnet_b0, ("float32", "int8", "int16x8")),
    "resnet_bn": (resnet_bn, ("float32", "int8", "int16x8", "hybrid")),
    "squeezenet": (squeezenet, ("float32", "int8", "int16x8", "int8float", "float16")),
    "densenet": (densenet, ("float32", "int8", "int16x8")),
    "ssd_head": (ssd_head, ("float32", "int8", "int16x8")),
    "segmentation": (segmentation, ("float32", "int8")),  # 16x8: no 16x8 ARG_MAX
    "separable_dilated": (separable_dilated, ("float32", "int8", "int16x8")),
    "grouped_conv": (grouped_conv, ("float32", "int8", "int16x8", "int8float")),
    "pad_crop_pool": (pad_crop_pool, ("float32", "int8", "uint8", "int16x8")),
    "preprocess_resize": (preprocess_resize, ("float32", "int8", "int16x8")),
    "shufflenet": (shufflenet, ("float32", "int8", "int16x8")),
    "se_swish": (se_swish, ("float32", "int8", "int16x8")),
    "super_resolution": (super_resolution, ("float32", "int8", "float16")),  # 16x8: no 16x8 SPACE_TO_DEPTH
    "face_embedding": (face_embedding, ("float32", "int8", "int8float")),  # 16x8: no 16x8 PRELU
    "cbam": (cbam, ("float32", "int8", "int16x8", "int8pertensor")),
    "aspp": (aspp, ("float32", "int8", "int16x8")),
    "image_ops": (image_ops, ("float32", "int8", "int16x8")),
    "siamese": (siamese, ("float32", "int8")),  # 16x8: no 16x8 SQRT
}


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


def _where(name: str) -> tuple[Callable[[], keras.Model], Path, int]:
    """A model's builder, the directory its files go to, and its seed. (A vision model's seed is
    its position in VISION_MODELS: add new ones at the end.)"""
    if name in VISION_MODELS:
        return VISION_MODELS[name][0], OUT / "vision", 2000 + list(VISION_MODELS).index(name)
    return MODELS[name][0], OUT, 1000 + sorted(MODELS).index(name)


def convert_one(name: str, scheme: str) -> None:
    build, out, seed = _where(name)
    index = seed % 1000
    _seeded(seed)
    data = convert(build(), scheme, seed=index)
    out.mkdir(exist_ok=True)
    path = out / f"{name}_{scheme}.tflite"
    path.write_bytes(data)
    print(f"{path.relative_to(OUT)}: {len(data)} bytes", flush=True)


def main(argv: list[str]) -> int:
    """No arguments: every model in every scheme, each converted in a fresh process (the converter
    can crash on some combinations, and a fresh process names the layers the same way every run).
    `NAME SCHEME`: convert one. `NAME`: convert one model in all its schemes."""
    if len(argv) == 2:
        convert_one(argv[0], argv[1])
        return 0
    everything = {**MODELS, **VISION_MODELS}
    failures = []
    for name, (_, schemes) in sorted(everything.items()):
        if argv and name not in argv:
            continue
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
