"""TFLite Micro's Signal operators (custom operators): our generated C against the tflite_micro
package's interpreter (TFLM's own kernels; LiteRT cannot run them), on random inputs (3 seeds per
compiled model) plus edge inputs. Integer outputs equal bit for bit; float32 FFTs within 1e-5
relative / 1e-6 absolute (they are equal in practice: the same float operations in kissfft's
order).

Several operators run side by side in one model so each model is built once: FFTs of every
power-of-two length class (radix-4 only, radix-4 then 2, one stage), zero-padded frames, ranks
1 to 3; windows with shifts 0..31; the filter bank chain on random (wrapping) weights; and a whole
stateless audio front end (window, auto scale, RFFT, energy, filter bank, square root, PCAN, log)
feeding a float32 classifier. The stateful operators (framer, stacker, delay, overlap-add,
spectral subtraction) and the whole front end over invocation sequences are in
test_ops_signal_stateful.py.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UnsupportedError
from microtvm.ops.signal import kiss_factors, log_table
from microtvm_testing.host import build
from microtvm_testing.tflite_writer import OpSpec, TensorSpec, build_model, single_op_model
from microtvm_testing.tflm_reference import assert_matches_tflm, input_specs, run_tflm

SEEDS = (0, 1, 2)
_T = {"int16": 7, "int32": 2, "float32": 0}


def random_array(shape: Sequence[int], dtype: str, rng: np.random.Generator) -> np.ndarray:
    """Integers over their whole range (so every wrap-around path runs), floats standard normal."""
    if dtype == "float32":
        return rng.standard_normal(tuple(shape)).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(int(info.min), int(info.max), size=tuple(shape), dtype=dtype, endpoint=True)


def random_inputs(model: bytes, seed: int) -> list[np.ndarray]:
    return [
        random_array(shape, dtype, np.random.default_rng([seed, k])) for k, (shape, dtype) in enumerate(input_specs(model))
    ]


class Graph:
    """A model of independent custom operators side by side (each input a graph input unless
    it has data)."""

    def __init__(self) -> None:
        self.tensors: list[TensorSpec] = []
        self.ops: list[OpSpec] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    def tensor(self, spec: TensorSpec, output: bool = False) -> int:
        self.tensors.append(spec)
        index = len(self.tensors) - 1
        if output:
            self.outputs.append(index)
        elif spec.data is None:
            self.inputs.append(index)
        return index

    def op(self, code: str, inputs: Sequence[TensorSpec], outputs: Sequence[TensorSpec], options: dict[str, Any]) -> None:
        ins = [self.tensor(s) for s in inputs]
        outs = [self.tensor(s, output=True) for s in outputs]
        self.ops.append(OpSpec("CUSTOM", ins, outs, options, custom_code=code))

    def model(self) -> bytes:
        return build_model(self.tensors, self.ops, self.inputs, self.outputs)


def _check(model: bytes, tmp_path: Path, extra: Sequence[Sequence[np.ndarray]] = ()) -> None:
    assert_matches_tflm(model, [random_inputs(model, s) for s in SEEDS] + list(extra), workdir=tmp_path)


def test_kiss_factors() -> None:
    assert kiss_factors(256) == [(4, 64), (4, 16), (4, 4), (4, 1)]
    assert kiss_factors(128) == [(4, 32), (4, 8), (4, 2), (2, 1)]
    assert kiss_factors(2) == [(2, 1)]
    assert kiss_factors(12) == [(4, 3), (3, 1)]
    assert log_table()[[0, 1, 64, 127, 128]].tolist() == [0, 224, 5568, 142, 0]


@pytest.mark.parametrize("dtype", ["int16", "int32", "float32"])
def test_fft_matches_tflm(dtype: str, tmp_path: Path) -> None:
    g = Graph()
    # (fft_length, frame shape): 2 complex points (one radix-2 stage), 4 (radix 4), 8 (4 then 2),
    # zero-padded frames, several frames in ranks 1 to 3, a 512-point transform.
    for n, shape in [(4, (4,)), (8, (3, 8)), (16, (2, 2, 11)), (64, (2, 64)), (128, (1, 100)), (512, (512,))]:
        g.op("SignalRfft", [TensorSpec(shape, dtype)], [TensorSpec((*shape[:-1], 2 * (n // 2 + 1)), dtype)],
             {"T": _T[dtype], "fft_length": n})
    for n, lead in [(4, ()), (8, (3,)), (32, (2, 2)), (256, ())]:
        g.op("SignalIrfft", [TensorSpec((*lead, 2 * (n // 2 + 1)), dtype)], [TensorSpec((*lead, n), dtype)],
             {"T": _T[dtype], "fft_length": n})
    model = g.model()
    extra = []
    if dtype != "float32":  # the extremes: every butterfly sum wraps around
        specs = input_specs(model)
        info = np.iinfo(dtype)
        extra = [[np.full(shape, value, dtype) for shape, _ in specs] for value in (info.min, info.max)]
    _check(model, tmp_path, extra)


def test_window_auto_scale_energy_match_tflm(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    g = Graph()
    for shape, shift in [((16,), 0), ((3, 8), 12), ((2, 2, 5), 31), ((400,), 15)]:
        window = TensorSpec((shape[-1],), "int16", data=random_array((shape[-1],), "int16", rng))
        g.op("SignalWindow", [TensorSpec(shape, "int16"), window], [TensorSpec(shape, "int16")], {"shift": shift})
    for n in (1, 7, 64):
        g.op("SignalFftAutoScale", [TensorSpec((n,), "int16")], [TensorSpec((n,), "int16"), TensorSpec((), "int32")], {})
    g.op("SignalEnergy", [TensorSpec((66,), "int16")], [TensorSpec((33,), "uint32")], {"start_index": 0, "end_index": 33})
    model = g.model()
    specs = input_specs(model)
    # Auto scale: all zero, all -32768 (MaxAbs16 wraps), small values (large shifts), all -1.
    edge = []
    for value in (0, -32768, 3, -1):
        edge.append([np.full(shape, value, "int16") for shape, _ in specs])
    _check(model, tmp_path, edge)


def test_energy_range_matches_tflm(tmp_path: Path) -> None:
    """Bins outside [start_index, end_index): TFLM leaves them untouched (undefined), ours are 0;
    only the computed range is compared."""
    model = single_op_model("CUSTOM", [TensorSpec((20,), "int16")], [TensorSpec((12,), "uint32")],
                            {"start_index": 2, "end_index": 9}, custom_code="SignalEnergy")
    host = build(model, tmp_path)
    for seed in SEEDS:
        inputs = random_inputs(model, seed)
        (ours,), (theirs,) = host.run(inputs), run_tflm(model, inputs)
        np.testing.assert_array_equal(ours[2:9], theirs[2:9])
        assert not ours[:2].any() and not ours[9:].any()


def _filter_bank_tables(rng: np.random.Generator, bins: int, channels: int) -> list[TensorSpec]:
    widths = rng.integers(0, 9, channels + 1).astype(np.int16)
    widths[1] = 0  # an empty channel
    freq_starts = np.array([rng.integers(0, bins - w + 1) for w in widths], np.int16)
    weight_starts = np.concatenate([[0], np.cumsum(widths[:-1])]).astype(np.int16)
    total = max(int(widths.sum()), 1)
    return [
        TensorSpec((total,), "int16", data=random_array((total,), "int16", rng)),  # weights (negative ones wrap)
        TensorSpec((total,), "int16", data=random_array((total,), "int16", rng)),  # unweights
        TensorSpec((channels + 1,), "int16", data=freq_starts),
        TensorSpec((channels + 1,), "int16", data=weight_starts),
        TensorSpec((channels + 1,), "int16", data=widths),
    ]


def test_filter_bank_chain_matches_tflm(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    g = Graph()
    for bins, channels in [(33, 6), (257, 40), (5, 1)]:
        g.op("SignalFilterBank", [TensorSpec((bins,), "uint32"), *_filter_bank_tables(rng, bins, channels)],
             [TensorSpec((channels,), "uint64")], {"num_channels": channels})
    for n in (1, 40):
        g.op("SignalFilterBankSquareRoot", [TensorSpec((n,), "uint64"), TensorSpec((), "int32", data=np.array(n % 7, np.int32))],
             [TensorSpec((n,), "uint32")], {})
    for bits, scale in [(0, 1600), (3, 65535), (31, 1 << 20)]:
        g.op("SignalFilterBankLog", [TensorSpec((30,), "uint32")], [TensorSpec((30,), "int16")],
             {"input_correction_bits": bits, "output_scale": scale})
    for shift in (0, 6, 40, 63):
        lut = TensorSpec((125,), "int16", data=random_array((125,), "int16", rng))
        g.op("SignalPCAN", [TensorSpec((20,), "uint32"), TensorSpec((20,), "uint32"), lut], [TensorSpec((20,), "uint32")],
             {"snr_shift": shift})
    model = g.model()
    specs = input_specs(model)
    # Small values: the 32-bit square root, logs of 0, 1 and 2, small noise estimates (x <= 2).
    small = [np.random.default_rng(9).integers(0, 4, shape).astype(dtype) for shape, dtype in specs]
    _check(model, tmp_path, [small])


def test_sqrt_scale_bits_input_matches_tflm(tmp_path: Path) -> None:
    """The scale bits as a graph input (FftAutoScale's output in a front end)."""
    model = single_op_model("CUSTOM", [TensorSpec((9,), "uint64"), TensorSpec((), "int32")], [TensorSpec((9,), "uint32")],
                            {}, custom_code="SignalFilterBankSquareRoot")
    values = np.array([0, 1, 2**32 - 1, 2**32, 2**64 - 1, 3, 2**40 + 5, 99, 2**63], np.uint64)
    cases = [[values, np.array(bits, np.int32)] for bits in (0, 1, 15, 31)]
    assert_matches_tflm(model, cases, workdir=tmp_path)


def _front_end_model(rng: np.random.Generator) -> bytes:
    """Audio front end on one frame of 400 samples: Window -> FftAutoScale -> Rfft(512) ->
    Energy -> FilterBank (16 channels) -> FilterBankSquareRoot (by the auto-scale bits) -> PCAN
    (a constant noise estimate) -> FilterBankLog -> CAST to float32 -> RESHAPE -> FULLY_CONNECTED
    (float32, 4 classes). (TFLM's 16x8 FULLY_CONNECTED rounds differently from LiteRT's
    reference, which our 16x8 kernels follow, so the classifier here is float32.)"""
    frame, n, channels, classes = 400, 512, 16, 4
    bins = n // 2 + 1
    hann = np.round(4096 * (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / frame))).astype(np.int16)
    # Mel-like triangular filters over bins 2..200: channel i rises over [edge_i, edge_i+1).
    edges = np.linspace(2, 200, channels + 2).astype(int)
    widths = np.diff(edges).astype(np.int16)
    freq_starts = edges[:-1].astype(np.int16)
    weight_starts = np.concatenate([[0], np.cumsum(widths[:-1])]).astype(np.int16)
    weights = np.concatenate([np.linspace(0, 4096, w, endpoint=False) for w in widths]).astype(np.int16)
    unweights = (4096 - weights).astype(np.int16)
    lut = np.clip(np.round(np.linspace(1 << 12, 64, 125)), -32768, 32767).astype(np.int16)
    t = [
        TensorSpec((frame,), "int16", name="audio"),  # 0
        TensorSpec((frame,), "int16", data=hann, name="hann"),
        TensorSpec((frame,), "int16", name="windowed"),
        TensorSpec((frame,), "int16", name="scaled"),
        TensorSpec((), "int32", name="scale_bits"),
        TensorSpec((2 * bins,), "int16", name="spectrum"),  # 5
        TensorSpec((bins,), "uint32", name="energy"),
        TensorSpec((len(weights),), "int16", data=weights, name="weights"),
        TensorSpec((len(weights),), "int16", data=unweights, name="unweights"),
        TensorSpec((channels + 1,), "int16", data=freq_starts, name="freq_starts"),
        TensorSpec((channels + 1,), "int16", data=weight_starts, name="weight_starts"),  # 10
        TensorSpec((channels + 1,), "int16", data=widths, name="widths"),
        TensorSpec((channels,), "uint64", name="filterbank"),
        TensorSpec((channels,), "uint32", name="sqrt"),
        TensorSpec((channels,), "uint32", data=rng.integers(0, 5000, channels).astype(np.uint32), name="noise"),
        TensorSpec((125,), "int16", data=lut, name="gain_lut"),  # 15
        TensorSpec((channels,), "uint32", name="pcan"),
        TensorSpec((channels,), "int16", name="log"),
        TensorSpec((2,), "int32", data=np.array([1, channels], np.int32), name="shape"),
        TensorSpec((1, channels), "float32", name="features"),
        TensorSpec((classes, channels), "float32", data=rng.standard_normal((classes, channels)).astype(np.float32) / 1000,
                   name="fc_weights"),  # 20
        TensorSpec((classes,), "float32", data=rng.standard_normal(classes).astype(np.float32), name="fc_bias"),
        TensorSpec((1, classes), "float32", name="logits"),
        TensorSpec((channels,), "float32", name="log_f32"),
    ]
    ops = [
        OpSpec("CUSTOM", [0, 1], [2], {"shift": 12}, custom_code="SignalWindow"),
        OpSpec("CUSTOM", [2], [3, 4], {}, custom_code="SignalFftAutoScale"),
        OpSpec("CUSTOM", [3], [5], {"T": 7, "fft_length": n}, custom_code="SignalRfft"),
        OpSpec("CUSTOM", [5], [6], {"start_index": 0, "end_index": bins}, custom_code="SignalEnergy"),
        OpSpec("CUSTOM", [6, 7, 8, 9, 10, 11], [12], {"num_channels": channels}, custom_code="SignalFilterBank"),
        OpSpec("CUSTOM", [12, 4], [13], {}, custom_code="SignalFilterBankSquareRoot"),
        OpSpec("CUSTOM", [13, 14, 15], [16], {"snr_shift": 6}, custom_code="SignalPCAN"),
        OpSpec("CUSTOM", [16], [17], {"input_correction_bits": 3, "output_scale": 1600}, custom_code="SignalFilterBankLog"),
        OpSpec("CAST", [17], [23]),
        OpSpec("RESHAPE", [23, 18], [19], {"new_shape": [1, channels]}),
        OpSpec("FULLY_CONNECTED", [19, 20, 21], [22], {"fused_activation_function": "NONE"}),
    ]
    return build_model(t, ops, inputs=[0], outputs=[17, 22])


def test_audio_front_end_with_classifier_matches_tflm(tmp_path: Path) -> None:
    model = _front_end_model(np.random.default_rng(11))
    rng = np.random.default_rng(5)
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(400) / 16000)).astype(np.int16)
    quiet = (rng.standard_normal(400) * 30).astype(np.int16)
    speechy = (rng.standard_normal(400) * 3000).astype(np.int16)
    assert_matches_tflm(model, [[tone], [quiet], [speechy], [np.zeros(400, np.int16)]], workdir=tmp_path)


def _refused(model: bytes, *fragments: str) -> None:
    with pytest.raises(UnsupportedError) as info:
        compile_model(model, "test.tflite", CompileOptions())
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


@pytest.mark.parametrize(
    "code, inputs, outputs, options, fragments",
    [
        ("SignalRfft", [TensorSpec((12,), "int16")], [TensorSpec((14,), "int16")], {"T": 7, "fft_length": 12},
         ["fft_length 12", "power of two"]),
        ("SignalRfft", [TensorSpec((2,), "int16")], [TensorSpec((4,), "int16")], {"T": 7, "fft_length": 2},
         ["fft_length 2"]),
        ("SignalRfft", [TensorSpec((8,), "int8")], [TensorSpec((10,), "int8")], {"T": 9, "fft_length": 8},
         ["T = 9", "int16, int32 or float32"]),
        ("SignalRfft", [TensorSpec((8,), "int16")], [TensorSpec((10,), "int32")], {"T": 7, "fft_length": 8},
         ["output", "int16"]),
        ("SignalIrfft", [TensorSpec((8,), "float32")], [TensorSpec((8,), "float32")], {"T": 0, "fft_length": 8},
         ["10 values"]),
        ("SignalWindow", [TensorSpec((10,), "int16"), TensorSpec((4,), "int16", data=np.ones(4, np.int16))],
         [TensorSpec((10,), "int16")], {"shift": 1}, ["whole number of windows"]),
        ("SignalWindow", [TensorSpec((8,), "int16"), TensorSpec((8,), "int16", data=np.ones(8, np.int16))],
         [TensorSpec((8,), "int16")], {"shift": 40}, ["shift = 40", "0..31"]),
        ("SignalEnergy", [TensorSpec((10,), "int16")], [TensorSpec((5,), "uint32")], {"start_index": 0, "end_index": 6},
         ["end_index 6"]),
        ("SignalPCAN", [TensorSpec((4,), "uint32"), TensorSpec((4,), "uint32"), TensorSpec((100,), "int16", data=np.zeros(100, np.int16))],
         [TensorSpec((4,), "uint32")], {"snr_shift": 6}, ["100 entries", "125"]),
        ("SignalFilterBankLog", [TensorSpec((4,), "uint32")], [TensorSpec((4,), "int16")],
         {"input_correction_bits": 32, "output_scale": 1}, ["input_correction_bits = 32"]),
        ("SignalFilterBank", [TensorSpec((8,), "uint32"), TensorSpec((4,), "int16", data=np.ones(4, np.int16)),
                              TensorSpec((4,), "int16", data=np.ones(4, np.int16)), TensorSpec((3,), "int16", data=np.array([0, 6, 2], np.int16)),
                              TensorSpec((3,), "int16", data=np.array([0, 1, 2], np.int16)), TensorSpec((3,), "int16", data=np.array([1, 3, 2], np.int16))],
         [TensorSpec((2,), "uint64")], {"num_channels": 2}, ["channel 1", "input bins 6..8"]),
        ("SignalFilterBank", [TensorSpec((8,), "uint32"), TensorSpec((4,), "int16", data=np.ones(4, np.int16)),
                              TensorSpec((4,), "int16", data=np.ones(4, np.int16)), TensorSpec((3,), "int16"),
                              TensorSpec((3,), "int16", data=np.array([0, 1, 2], np.int16)), TensorSpec((3,), "int16", data=np.array([1, 1, 1], np.int16))],
         [TensorSpec((2,), "uint64")], {"num_channels": 2}, ["must be a constant"]),
    ],
)
def test_unsupported_variants_are_refused(code, inputs, outputs, options, fragments) -> None:
    model = single_op_model("CUSTOM", inputs, outputs, options, custom_code=code)
    _refused(model, code, *fragments)
