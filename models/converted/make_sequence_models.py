"""Audio, sequence, small-MLP and text models converted by TensorFlow's TFLite converter.

The companion of `make_converted_models.py` (same conventions, same converter settings, its
helpers): models shaped like TFLite Micro's examples (micro_speech, magic_wand, hello_world),
MLPerf Tiny's anomaly-detection autoencoder, recurrent stacks (LSTM with return_sequences and
time-major, bidirectional LSTM, GRU, SimpleRNN, a stateful streaming LSTM, a convolutional-
recurrent keyword spotter), a causal dilated
Conv1D TCN, a transformer encoder with positional embeddings, a text classifier, in-graph
feature extraction (tf.signal) and the sequence operators users reach for (cumsum, argmax,
where, gather_nd, one_hot, l2_normalize). Every file is named `seq_<model>_<scheme>.tflite`;
schemes are those of `make_converted_models.convert` plus `uint8io` (full-integer int8 with
uint8 input and output, as older TFLite Micro examples ship).

TensorFlow is NOT a dependency of the project: the output is committed, and CI only reads it
(//tools/microtvm/tests:test_converted_sequence_models). To regenerate, in a scratch virtualenv:

    pip install tensorflow-cpu==2.21.0 tf_keras==2.21.0
    TF_USE_LEGACY_KERAS=1 python3 models/converted/make_sequence_models.py
"""
from __future__ import annotations

import subprocess
import sys
from typing import Any, Callable

import numpy as np

from make_converted_models import OUT, Graph, _graph, _representative, _seeded, convert, keras, layers, tf

PREFIX = "seq_"


def convert_scheme(model: Any, scheme: str, seed: int) -> bytes:
    """`make_converted_models.convert`, plus `uint8io`: full integer with uint8 input and output."""
    if scheme != "uint8io":
        return convert(model, scheme, seed)
    graph = _graph(model)
    c = tf.lite.TFLiteConverter.from_concrete_functions([graph.concrete], graph.trackable)
    c.experimental_enable_resource_variables = True
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.representative_dataset = _representative(graph.specs, seed)
    c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    c.inference_input_type = tf.uint8
    c.inference_output_type = tf.uint8
    return c.convert()


# ---------------------------------------------------------------------------------------------
# TFLite Micro's examples, MLPerf Tiny.


def micro_speech() -> keras.Model:
    """TFLite Micro's micro_speech "tiny_conv": a flat 49x40 spectrogram, one strided 10x8
    convolution, a classifier over 4 labels."""
    x = inp = keras.Input((49 * 40,), batch_size=1)
    x = layers.Reshape((49, 40, 1))(x)
    x = layers.Conv2D(8, (10, 8), strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    return keras.Model(inp, layers.Softmax()(layers.Dense(4)(x)))


def magic_wand() -> keras.Model:
    """TFLite Micro's magic_wand gesture model: 128 accelerometer samples x 3 axes."""
    x = inp = keras.Input((128, 3, 1), batch_size=1)
    x = layers.Conv2D(8, (4, 3), padding="same", activation="relu")(x)
    x = layers.MaxPooling2D((3, 3))(x)
    x = layers.Conv2D(16, (4, 1), padding="same", activation="relu")(x)
    x = layers.MaxPooling2D((3, 1), padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    return keras.Model(inp, layers.Dense(4, activation="softmax")(x))


def wand_conv1d() -> keras.Model:
    """The same task with Conv1D layers (the converter writes EXPAND_DIMS + CONV_2D + RESHAPE)."""
    x = inp = keras.Input((128, 3), batch_size=1)
    x = layers.Conv1D(8, 4, padding="same", activation="relu")(x)
    x = layers.MaxPooling1D(3)(x)
    x = layers.Conv1D(16, 4, padding="valid", activation="relu")(x)
    x = layers.AveragePooling1D(3)(x)
    x = layers.Flatten()(x)
    return keras.Model(inp, layers.Dense(4, activation="softmax")(x))


def hello_world() -> keras.Model:
    """TFLite Micro's hello_world: a 1 -> 16 -> 16 -> 1 MLP approximating sin(x)."""
    x = inp = keras.Input((1,), batch_size=1)
    x = layers.Dense(16, activation="relu")(x)
    x = layers.Dense(16, activation="relu")(x)
    return keras.Model(inp, layers.Dense(1)(x))


def anomaly_ae() -> keras.Model:
    """MLPerf Tiny's anomaly-detection autoencoder: 640 in and out, four hidden layers either side
    of an 8-unit bottleneck, each Dense + BatchNormalization + ReLU (32 units instead of 128, to
    keep the file small)."""
    x = inp = keras.Input((640,), batch_size=1)
    for units in (32, 32, 32, 32, 8, 32, 32, 32, 32):
        x = layers.Dense(units)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    model = keras.Model(inp, layers.Dense(640)(x))
    _randomise_batch_norm(model)
    return model


def _randomise_batch_norm(model: keras.Model) -> None:
    """Trained statistics instead of the identity defaults, so the folded scales are not all 1."""
    rng = np.random.default_rng(7)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
                rng.normal(0.0, 0.1, beta.shape).astype(np.float32),
                rng.normal(0.0, 0.1, mean.shape).astype(np.float32),
                rng.uniform(0.5, 2.0, var.shape).astype(np.float32),
            ])


# ---------------------------------------------------------------------------------------------
# Recurrent models.


def lstm_seq() -> keras.Model:
    """Two LSTMs returning sequences, a per-step classifier (FULLY_CONNECTED on rank 3)."""
    x = inp = keras.Input((10, 6), batch_size=1)
    x = layers.LSTM(12, return_sequences=True)(x)
    x = layers.LSTM(8, return_sequences=True)(x)
    return keras.Model(inp, layers.Dense(3)(x))


def lstm_time_major() -> keras.Model:
    """An LSTM over a time-major input [time, batch, features] (UNIDIRECTIONAL_SEQUENCE_LSTM
    with time_major = true)."""
    x = inp = keras.Input((1, 6), batch_size=10)  # [10 steps, batch 1, 6 features]
    x = layers.LSTM(8, time_major=True, return_sequences=True)(x)
    return keras.Model(inp, layers.Dense(2)(x))


def bilstm() -> keras.Model:
    """Bidirectional LSTMs: the converter writes a forward and a backward LSTM (REVERSE_V2
    around the second) and concatenates their outputs."""
    x = inp = keras.Input((8, 6), batch_size=1)
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(6))(x)
    return keras.Model(inp, layers.Dense(3)(x))


def gru_seq() -> keras.Model:
    """GRUs (WHILE loops over their steps), both reset_after conventions."""
    x = inp = keras.Input((8, 5), batch_size=1)
    x = layers.GRU(10, return_sequences=True, reset_after=False)(x)
    x = layers.GRU(6)(x)
    return keras.Model(inp, layers.Dense(3)(x))


def simple_rnn() -> keras.Model:
    """SimpleRNN as a loop and unrolled."""
    x = inp = keras.Input((6, 4), batch_size=1)
    x = layers.SimpleRNN(8, return_sequences=True)(x)
    x = layers.SimpleRNN(6, unroll=True)(x)
    return keras.Model(inp, layers.Dense(2)(x))


def rnn_unrolled() -> keras.Model:
    """A GRU and a SimpleRNN unrolled over their steps (no WHILE: the gates become FULLY_CONNECTED,
    SPLIT, LOGISTIC, TANH, MUL, SUB and ADD per step, quantizable to int8)."""
    x = inp = keras.Input((5, 4), batch_size=1)
    x = layers.GRU(8, unroll=True, return_sequences=True)(x)
    x = layers.SimpleRNN(6, unroll=True)(x)
    return keras.Model(inp, layers.Dense(3)(x))


def stateful_lstm() -> keras.Model:
    """A streaming LSTM (stateful=True, batch 1): one frame per invocation, the state carried
    between invocations."""
    x = inp = keras.Input(batch_shape=(1, 1, 4))
    x = layers.LSTM(8, stateful=True)(x)
    return keras.Model(inp, layers.Dense(2)(x))


def crnn_kws() -> keras.Model:
    """A convolutional-recurrent keyword spotter: a convolution over the spectrogram, then a GRU
    over time."""
    x = inp = keras.Input((49, 10, 1), batch_size=1)
    x = layers.Conv2D(8, (5, 3), strides=(2, 2), padding="same", activation="relu")(x)
    x = layers.Reshape((25, 5 * 8))(x)
    x = layers.LSTM(16)(x)
    return keras.Model(inp, layers.Dense(6, activation="softmax")(x))


# ---------------------------------------------------------------------------------------------
# Convolutional and attention sequence models, text.


def tcn() -> keras.Model:
    """A temporal convolutional network: causal Conv1D with dilations 1, 2, 4 and residuals (24
    channels: 3 x 24 x 24 weights, enough for dynamic-range quantization)."""
    x = inp = keras.Input((32, 4), batch_size=1)
    x = layers.Conv1D(24, 1)(x)
    for dilation in (1, 2, 4):
        y = layers.Conv1D(24, 3, padding="causal", dilation_rate=dilation, activation="relu")(x)
        y = layers.Conv1D(24, 3, padding="causal", dilation_rate=dilation)(y)
        x = layers.ReLU()(layers.Add()([x, y]))
    x = layers.Lambda(lambda t: t[:, -1, :])(x)  # the last step's features
    return keras.Model(inp, layers.Dense(5)(x))


class _PositionalEmbedding(layers.Layer):
    def __init__(self, length: int, vocab: int, dim: int) -> None:
        super().__init__()
        self.length = length
        self.tokens = layers.Embedding(vocab, dim)
        self.positions = layers.Embedding(length, dim)

    def call(self, ids: tf.Tensor) -> tf.Tensor:
        return self.tokens(ids) + self.positions(tf.range(self.length))


def text_transformer() -> keras.Model:
    """A transformer encoder block over token and positional embeddings (GATHER twice)."""
    inp = keras.Input((16,), batch_size=1, dtype="int32")
    x = _PositionalEmbedding(16, 64, 16)(inp)
    att = layers.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    x = layers.LayerNormalization(epsilon=1e-6)(x + att)
    f = layers.Dense(32, activation="relu")(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x + layers.Dense(16)(f))
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inp, layers.Dense(4, activation="softmax")(x))


def text_classifier() -> keras.Model:
    """The classic text classifier: Embedding, GlobalAveragePooling1D, Dense, sigmoid."""
    inp = keras.Input((20,), batch_size=1, dtype="int32")
    x = layers.Embedding(100, 16)(inp)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(16, activation="relu")(x)
    return keras.Model(inp, layers.Dense(1, activation="sigmoid")(x))


def masked_text() -> keras.Model:
    """Embedding(mask_zero=True): token 0 is padding, and the masked average pools only the real
    tokens (NOT_EQUAL, CAST, MUL, SUM, DIV)."""
    inp = keras.Input((12,), batch_size=1, dtype="int32")
    x = layers.Embedding(40, 8, mask_zero=True)(inp)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inp, layers.Dense(3)(x))


# ---------------------------------------------------------------------------------------------
# In-graph features and sequence operators.


def log_mel() -> Graph:
    """A waveform in, log-mel features computed in the graph (tf.signal.stft: the converter writes
    RFFT2D and COMPLEX_ABS; the DCT of tf.signal.mfccs_from_log_mel_spectrograms needs TensorFlow
    kernels, so no MFCCs), a classifier out."""

    class Module(tf.Module):
        def __init__(self) -> None:
            self.mel = tf.constant(tf.signal.linear_to_mel_weight_matrix(10, 65, 8000, 20.0, 4000.0))
            self.w = tf.constant(np.random.default_rng(8).standard_normal((7 * 10, 3)).astype(np.float32) * 0.1)

        @tf.function
        def __call__(self, wave: tf.Tensor) -> tf.Tensor:
            spectrum = tf.abs(tf.signal.stft(wave, frame_length=128, frame_step=64, fft_length=128))
            log_mel = tf.math.log(tf.matmul(spectrum, self.mel) + 1e-6)
            return tf.reshape(log_mel, (1, -1)) @ self.w

    module = Module()
    spec = tf.TensorSpec((1, 512), tf.float32)
    return Graph(module.__call__.get_concrete_function(spec), module, [spec])


def frames() -> Graph:
    """Framing and windowing without an FFT (tf.signal.frame + a Hann window + energy)."""

    class Module(tf.Module):
        def __init__(self) -> None:
            self.window = tf.constant(tf.signal.hann_window(32))

        @tf.function
        def __call__(self, wave: tf.Tensor) -> tf.Tensor:
            framed = tf.signal.frame(wave, frame_length=32, frame_step=16) * self.window
            return tf.math.log(tf.reduce_sum(framed * framed, axis=-1) + 1e-3)

    module = Module()
    spec = tf.TensorSpec((1, 256), tf.float32)
    return Graph(module.__call__.get_concrete_function(spec), module, [spec])


def sequence_ops() -> Graph:
    """cumsum, l2_normalize, where (SELECT_V2), gather_nd, and an argmax output."""

    class Module(tf.Module):
        def __init__(self) -> None:
            self.w = tf.constant(np.random.default_rng(9).standard_normal((6, 6)).astype(np.float32) * 0.5)

        @tf.function
        def __call__(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            y = tf.math.cumsum(x @ self.w, axis=1)
            y = tf.math.l2_normalize(y, axis=-1)
            y = tf.where(y > 0.0, y, 0.1 * y)
            picked = tf.gather_nd(y, [[0, 7], [0, 2], [0, 4]])
            return picked, tf.argmax(y, axis=-1, output_type=tf.int32)

    module = Module()
    spec = tf.TensorSpec((1, 8, 6), tf.float32)
    return Graph(module.__call__.get_concrete_function(spec), module, [spec])


def one_hot() -> Graph:
    """tf.one_hot of a computed class (ONE_HOT: LiteRT has it, TFLite Micro does not)."""

    class Module(tf.Module):
        @tf.function
        def __call__(self, x: tf.Tensor) -> tf.Tensor:
            return tf.one_hot(tf.argmax(x, axis=-1), 6) * tf.reduce_max(x, axis=-1, keepdims=True)

    module = Module()
    spec = tf.TensorSpec((1, 4, 6), tf.float32)
    return Graph(module.__call__.get_concrete_function(spec), module, [spec])


MODELS: dict[str, tuple[Callable[[], Any], tuple[str, ...]]] = {
    "micro_speech": (micro_speech, ("float32", "int8", "uint8io", "int16x8", "hybrid")),
    "magic_wand": (magic_wand, ("float32", "int8", "int16x8")),
    "wand_conv1d": (wand_conv1d, ("float32", "int8", "int16x8")),
    "hello_world": (hello_world, ("float32", "int8", "uint8io", "int16x8")),
    "anomaly_ae": (anomaly_ae, ("float32", "int8", "int16x8", "hybrid")),
    # LSTMs: no 16x8 LSTM in the converter; "hybrid" leaves these small LSTMs float.
    "lstm_seq": (lstm_seq, ("float32", "int8")),
    "lstm_time_major": (lstm_time_major, ("float32", "int8")),
    "bilstm": (bilstm, ("float32", "int8")),
    # int8 of the WHILE-loop RNNs: the converter crashes (TF 2.21).
    "gru_seq": (gru_seq, ("float32",)),
    "simple_rnn": (simple_rnn, ("float32",)),
    "stateful_lstm": (stateful_lstm, ("float32",)),
    "rnn_unrolled": (rnn_unrolled, ("float32", "int8", "int16x8")),
    "crnn_kws": (crnn_kws, ("float32", "int8")),
    "tcn": (tcn, ("float32", "int8", "int16x8", "hybrid")),
    "text_transformer": (text_transformer, ("float32", "int8")),  # int16x8: LiteRT aborts on it
    "text_classifier": (text_classifier, ("float32", "int8", "hybrid")),
    "masked_text": (masked_text, ("float32", "int8")),
    "log_mel": (log_mel, ("float32",)),
    "frames": (frames, ("float32", "int8")),
    "sequence_ops": (sequence_ops, ("float32", "int8")),
    "one_hot": (one_hot, ("float32",)),
}


def convert_one(name: str, scheme: str) -> None:
    build, _ = MODELS[name]
    index = sorted(MODELS).index(name)
    _seeded(2000 + index)
    data = convert_scheme(build(), scheme, seed=100 + index)
    path = OUT / f"{PREFIX}{name}_{scheme}.tflite"
    path.write_bytes(data)
    print(f"{path.name}: {len(data)} bytes", flush=True)


def main(argv: list[str]) -> int:
    """No arguments: every model in every scheme, each in a fresh process. `NAME SCHEME`: one."""
    if len(argv) == 2:
        convert_one(argv[0], argv[1])
        return 0
    failures = []
    for name, (_, schemes) in sorted(MODELS.items()):
        for scheme in schemes:
            done = subprocess.run([sys.executable, __file__, name, scheme], capture_output=True, text=True, check=False)
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
