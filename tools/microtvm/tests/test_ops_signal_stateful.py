"""TFLite Micro's stateful Signal operators (SignalFramer, SignalStacker, SignalDelay,
SignalOverlapAdd, SignalFilterBankSpectralSubtraction) and the whole audio front end, against
the tflite_micro package's interpreter (TFLM's own kernels) over sequences of invocations: one
TFLM interpreter invoked once per step, the state persisting, compared step by step. Integer
outputs equal bit for bit; float32 overlap-add within 1e-5 relative / 1e-6 absolute (the same
float additions, equal in practice).

The host driver (testing/host.py) fills the state pool with garbage, calls
tvmgen_<m>_reset_state and runs each sequence twice, failing unless both passes give the same
bytes, so every test here also checks that reset_state restores the operators' initial state.

A framer or stacker frame that is not complete yet (valid false) is left untouched by TFLM
(undefined content); ours is 0. Those frames are compared with 0, the complete ones with TFLM.
"""
from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microtvm.compiler import CompileOptions, compile_model
from microtvm.errors import UnsupportedError
from microtvm_testing.host import build
from microtvm_testing.tflite_writer import OpSpec, SubgraphSpec, TensorSpec, build_model, single_op_model
from microtvm_testing.tflm_reference import input_specs, run_tflm_sequence

SEEDS = (0, 1, 2)
STEPS = 8
_T = {"int16": 7, "float32": 0}


def random_array(shape: Sequence[int], dtype: str, rng: np.random.Generator) -> np.ndarray:
    """Integers over their whole range (saturation and wrap-around paths), floats standard normal."""
    if dtype == "float32":
        return rng.standard_normal(tuple(shape)).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(int(info.min), int(info.max), size=tuple(shape), dtype=dtype, endpoint=True)


def random_sequence(model: bytes, seed: int, steps: int = STEPS) -> list[list[np.ndarray]]:
    specs = input_specs(model)
    return [
        [random_array(shape, dtype, np.random.default_rng([seed, t, k])) for k, (shape, dtype) in enumerate(specs)]
        for t in range(steps)
    ]


class Graph:
    """Independent custom operators side by side. `checks` holds, per graph output, a function
    (step, TFLM outputs) -> mask of the elements TFLM defines (None: all of them)."""

    def __init__(self) -> None:
        self.tensors: list[TensorSpec] = []
        self.ops: list[OpSpec] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []
        self.masks: list[Any] = []

    def tensor(self, spec: TensorSpec, output: bool = False, mask: Any = None) -> int:
        self.tensors.append(spec)
        index = len(self.tensors) - 1
        if output:
            self.outputs.append(index)
            self.masks.append(mask)
        elif spec.data is None:
            self.inputs.append(index)
        return index

    def op(self, code: str, inputs: Sequence[TensorSpec], outputs: Sequence[TensorSpec], options: dict[str, Any],
           masks: Sequence[Any] = ()) -> None:
        ins = [self.tensor(s) for s in inputs]
        outs = [self.tensor(s, output=True, mask=masks[k] if k < len(masks) else None) for k, s in enumerate(outputs)]
        self.ops.append(OpSpec("CUSTOM", ins, outs, options, custom_code=code))

    def model(self) -> bytes:
        return build_model(self.tensors, self.ops, self.inputs, self.outputs)


def compare_sequences(
    ours: Sequence[Sequence[np.ndarray]], theirs: Sequence[Sequence[np.ndarray]], masks: Sequence[Any], what: str
) -> None:
    for step, (actual, expected) in enumerate(zip(ours, theirs)):
        assert len(actual) == len(expected)
        for k, (a, b) in enumerate(zip(actual, expected)):
            message = f"{what}, invocation {step}, output {k}"
            b = np.asarray(b)
            same = a.shape == b.shape and a.dtype == b.dtype
            assert same, f"{message}: {a.dtype}{a.shape} != TFLM {b.dtype}{b.shape}"
            defined = masks[k](step, expected) if masks[k] is not None else np.ones(b.shape, bool)
            assert not a[~defined].any(), f"{message}: frames TFLM leaves undefined must be 0"
            if b.dtype.kind == "f":
                np.testing.assert_allclose(a[defined], b[defined], rtol=1e-5, atol=1e-6, err_msg=message)
            else:
                np.testing.assert_array_equal(a[defined], b[defined], err_msg=message)


def check_sequences(g: Graph, tmp_path: Path, sequences: Sequence[Sequence[Sequence[np.ndarray]]]) -> bytes:
    model = g.model()
    host = build(model, tmp_path)
    for n, sequence in enumerate(sequences):
        compare_sequences(host.run_sequence(sequence), run_tflm_sequence(model, sequence), g.masks, f"sequence {n}")
    return model


# ---------------------------------------------------------------------------------------------
# Which frames TFLM writes


def framer_mask(shape: Sequence[int], size: int, step: int, prefill: bool):
    """Frame f of invocation t (per row) is complete once (t * n_frames + f + 1) * step samples
    have arrived, or always with prefill."""
    n_frames = shape[-2]

    def mask(t: int, expected: Sequence[np.ndarray]) -> np.ndarray:
        complete = [prefill or (t * n_frames + f + 1) * step >= size for f in range(n_frames)]
        return np.broadcast_to(np.array(complete)[:, None], tuple(shape)).copy()

    return mask


def valid_mask(valid_output: int):
    """Everything when TFLM's valid output (graph output number `valid_output`) is true."""

    def mask(t: int, expected: Sequence[np.ndarray]) -> np.ndarray:
        return np.full(np.asarray(expected[valid_output - 1]).shape, bool(expected[valid_output]))

    return mask


# ---------------------------------------------------------------------------------------------


def _framers_and_stackers(g: Graph) -> None:
    # (input shape, frame_size, frame_step, prefill): TFLM's 400/160 with and without prefill,
    # several frames per invocation in rank 3, frame_size < frame_step, frame_size == frame_step,
    # a capacity that is not frame_size (7 rounded up to 9).
    for shape, size, step, prefill in [
        ((160,), 400, 160, False),
        ((160,), 400, 160, True),
        ((2, 3, 8), 12, 4, True),
        ((2, 3, 8), 12, 4, False),
        ((6,), 4, 6, False),
        ((10,), 5, 5, True),
        ((3, 9), 7, 3, False),
    ]:
        out_shape = (*shape[:-1], shape[-1] // step, size)
        g.op("SignalFramer", [TensorSpec(shape, "int16")], [TensorSpec(out_shape, "int16"), TensorSpec((), "bool")],
             {"frame_size": size, "frame_step": step, "prefill": prefill},
             masks=[framer_mask(out_shape, size, step, prefill)])
    # (channels, left, right, step): valid from the first frame, after a few, skipping frames.
    for channels, left, right, step in [(5, 2, 1, 1), (3, 0, 0, 1), (4, 1, 2, 3), (2, 3, 0, 2), (40, 0, 3, 4)]:
        total = channels * (left + right + 1)
        g.op("SignalStacker", [TensorSpec((channels,), "int16")],
             [TensorSpec((total,), "int16"), TensorSpec((), "bool")],
             {"num_channels": channels, "stacker_left_context": left, "stacker_right_context": right,
              "stacker_step": step}, masks=[valid_mask(len(g.outputs) + 1)])


def test_framer_stacker_match_tflm(tmp_path: Path) -> None:
    g = Graph()
    _framers_and_stackers(g)
    model = g.model()
    check_sequences(g, tmp_path, [random_sequence(model, seed) for seed in SEEDS])


def test_delay_overlap_add_match_tflm(tmp_path: Path) -> None:
    g = Graph()
    # (shape, delay_length): shorter than, longer than (several invocations) and equal to a frame, none.
    for shape, delay in [((10,), 3), ((2, 4), 7), ((3,), 0), ((2, 2, 5), 5), ((1,), 1)]:
        g.op("SignalDelay", [TensorSpec(shape, "int16")], [TensorSpec(shape, "int16")], {"delay_length": delay})
    # (input shape, frame_step): int16 saturates on full-range inputs.
    for dtype in ("int16", "float32"):
        for shape, step in [((3, 8), 4), ((2, 2, 6), 6), ((1, 5), 1), ((2, 1, 3, 4), 3)]:
            out = (*shape[:-2], shape[-2] * step)
            g.op("SignalOverlapAdd", [TensorSpec(shape, dtype)], [TensorSpec(out, dtype)],
                 {"T": _T[dtype], "frame_step": step})
    model = g.model()
    small = [[np.asarray(x // 1024) if x.dtype == np.int16 else x for x in step] for step in random_sequence(model, 9)]
    check_sequences(g, tmp_path, [random_sequence(model, seed) for seed in SEEDS] + [small])


def _spectral_options(channels: int, smoothing: float, alternate: float, remaining: float, smoothing_bits: int,
                      bits: int, clamping: bool) -> dict[str, Any]:
    """Options as TFLM's Python op derives them from fractions (scale 1 << bits)."""
    one = 1 << bits
    s, a = int(smoothing * one), int(alternate * one)
    return {
        "num_channels": channels, "smoothing": s, "one_minus_smoothing": one - s, "alternate_smoothing": a,
        "alternate_one_minus_smoothing": one - a, "min_signal_remaining": int(remaining * one),
        "smoothing_bits": smoothing_bits, "spectral_subtraction_bits": bits, "clamping": clamping,
    }


def test_spectral_subtraction_matches_tflm(tmp_path: Path) -> None:
    g = Graph()
    configs = [
        _spectral_options(40, 0.025, 0.06, 0.05, 10, 14, False),  # micro_speech
        _spectral_options(7, 0.025, 0.06, 0.05, 10, 14, True),
        _spectral_options(5, 0.5, 0.9, 0.3, 0, 4, True),
        {"num_channels": 3, "smoothing": 2**31 - 1, "one_minus_smoothing": 5, "alternate_smoothing": 1,
         "alternate_one_minus_smoothing": 2**30, "min_signal_remaining": 2**31 - 1, "smoothing_bits": 31,
         "spectral_subtraction_bits": 63, "clamping": False},
        # Raw weights TFLM reads as int32 and uses as uint32 (negative ones are large).
        {"num_channels": 4, "smoothing": -7, "one_minus_smoothing": 2**31 - 1, "alternate_smoothing": 123456789,
         "alternate_one_minus_smoothing": -(2**31), "min_signal_remaining": -1, "smoothing_bits": 3,
         "spectral_subtraction_bits": 20, "clamping": False},
    ]
    for options in configs:
        n = options["num_channels"]
        g.op("SignalFilterBankSpectralSubtraction", [TensorSpec((n,), "uint32")],
             [TensorSpec((n,), "uint32"), TensorSpec((n,), "uint32")], options)
    model = g.model()
    # Full-range inputs (the scaled input wraps), then a quiet stretch after loud ones (the
    # estimate above the input: the clamping path), then small values.
    loud = random_sequence(model, 0, 4)
    quiet = [[np.asarray(x >> 20) for x in step] for step in random_sequence(model, 1, 6)]
    tiny = [[np.asarray(x >> 29) for x in step] for step in random_sequence(model, 2, 4)]
    check_sequences(g, tmp_path, [random_sequence(model, seed) for seed in SEEDS] + [loud + quiet + tiny])


# ---------------------------------------------------------------------------------------------
# The audio front end


def _mel(hz: np.ndarray) -> np.ndarray:
    return 1127.0 * np.log1p(hz / 700.0)


def _filter_bank_tables(bins_hz: float, start: int, end: int, channels: int) -> list[np.ndarray]:
    """Mel-spaced triangular channels over FFT bins [start, end) (Q12 weights), in TFLM's layout:
    num_channels + 1 channels, each described by its first bin, its first weight and its width;
    channel i's rising weights pair with the falling 'unweights' of channel i - 1."""
    edges_mel = np.linspace(_mel(np.array(start * bins_hz)), _mel(np.array((end - 1) * bins_hz)), channels + 2)
    edge_bins = np.clip(np.round(700.0 * np.expm1(edges_mel / 1127.0) / bins_hz).astype(int), start, end - 1)
    edge_bins = np.maximum.accumulate(edge_bins)
    starts, widths, weights, unweights = [], [], [], []
    for i in range(channels + 1):
        lo, hi = int(edge_bins[i]), int(edge_bins[i + 1])
        width = max(hi - lo, 1)
        rise = np.round(4096 * (np.arange(width) + 1) / (width + 1)).astype(np.int16)
        starts.append(min(lo, end - width))
        widths.append(width)
        weights.extend(rise)
        unweights.extend(4096 - rise)
    weight_starts = np.concatenate([[0], np.cumsum(widths[:-1])])
    return [np.array(weights, np.int16), np.array(unweights, np.int16), np.array(starts, np.int16),
            weight_starts.astype(np.int16), np.array(widths, np.int16)]


def _pcan_gain_table(strength: float, offset: float, gain_bits: int, input_bits: int) -> np.ndarray:
    """A PCAN gain table in TFLM's layout (125 entries: f(0), f(1), then per bit length b of the
    noise estimate, at 4 b - 6, the quadratic y0, a1, a2 through f(2^(b-1)), f(1.5 2^(b-1)),
    f(2^b)), with f(x) = 2^gain_bits (x / 2^input_bits + offset)^-strength, saturated to int16."""

    def f(x: float) -> int:
        return min(32767, math.floor((1 << gain_bits) * (x / (1 << input_bits) + offset) ** -strength + 0.5))

    lut = np.zeros(125, np.int64)
    lut[0], lut[1] = f(0), f(1)
    for b in range(2, 33):
        x0 = 1 << (b - 1)
        y0, y1, y2 = f(x0), f(x0 + x0 // 2), f(2 * x0 - (1 if b == 32 else 0))
        a1 = 4 * (y1 - y0) - (y2 - y0)
        lut[4 * b - 6: 4 * b - 3] = (y0, a1, (y2 - y0) - a1)
    return np.clip(lut, -32768, 32767).astype(np.int16)


def _front_end_model(step: int = 320, frame: int = 480, fft: int = 512, channels: int = 40) -> tuple[bytes, list[Any]]:
    """TFLM's micro_speech feature generator as one model (audio_preprocessor.py's chain, 16 kHz,
    30 ms windows every 20 ms): Framer (prefill) -> Window (Hann, Q12) -> RESHAPE -> FftAutoScale
    -> Rfft (512) -> Energy (bins 4..240) -> FilterBank (40 mel channels) -> FilterBankSquareRoot
    (by the auto-scale bits) -> FilterBankSpectralSubtraction -> PCAN (its noise estimate) ->
    FilterBankLog -> Stacker (2 frames before, 1 after). Outputs: the log features, the stack and
    the two valid flags."""
    bins = fft // 2 + 1
    start, end = 4, 241  # about 125 Hz .. 7500 Hz at 31.25 Hz per bin
    hann = np.round(4096 * (0.5 - 0.5 * np.cos(2 * np.pi * (np.arange(frame) + 0.5) / frame))).astype(np.int16)
    weights, unweights, freq_starts, weight_starts, widths = _filter_bank_tables(16000 / fft, start, end, channels)
    correction_bits = int(math.log2(fft)) - 12 // 2
    left, right = 2, 1
    stacked = channels * (left + right + 1)
    t = [
        TensorSpec((step,), "int16", name="audio"),  # 0
        TensorSpec((1, frame), "int16", name="frames"),
        TensorSpec((), "bool", name="framer_valid"),
        TensorSpec((frame,), "int16", data=hann, name="hann"),
        TensorSpec((1, frame), "int16", name="windowed"),
        TensorSpec((1,), "int32", data=np.array([frame], np.int32), name="flat_shape"),  # 5
        TensorSpec((frame,), "int16", name="windowed_flat"),
        TensorSpec((frame,), "int16", name="scaled"),
        TensorSpec((), "int32", name="scale_bits"),
        TensorSpec((2 * bins,), "int16", name="spectrum"),
        TensorSpec((bins,), "uint32", name="energy"),  # 10
        TensorSpec((len(weights),), "int16", data=weights, name="weights"),
        TensorSpec((len(weights),), "int16", data=unweights, name="unweights"),
        TensorSpec((channels + 1,), "int16", data=freq_starts, name="freq_starts"),
        TensorSpec((channels + 1,), "int16", data=weight_starts, name="weight_starts"),
        TensorSpec((channels + 1,), "int16", data=widths, name="widths"),  # 15
        TensorSpec((channels,), "uint64", name="filterbank"),
        TensorSpec((channels,), "uint32", name="sqrt"),
        TensorSpec((channels,), "uint32", name="denoised"),
        TensorSpec((channels,), "uint32", name="noise"),
        TensorSpec((125,), "int16", data=_pcan_gain_table(0.95, 80.0, 21, correction_bits), name="gain_lut"),  # 20
        TensorSpec((channels,), "uint32", name="pcan"),
        TensorSpec((channels,), "int16", name="features"),
        TensorSpec((stacked,), "int16", name="stacked"),
        TensorSpec((), "bool", name="stacker_valid"),
    ]
    ops = [
        OpSpec("CUSTOM", [0], [1, 2], {"frame_size": frame, "frame_step": step, "prefill": True},
               custom_code="SignalFramer"),
        OpSpec("CUSTOM", [1, 3], [4], {"shift": 12}, custom_code="SignalWindow"),
        OpSpec("RESHAPE", [4, 5], [6], {"new_shape": [frame]}),
        OpSpec("CUSTOM", [6], [7, 8], {}, custom_code="SignalFftAutoScale"),
        OpSpec("CUSTOM", [7], [9], {"T": 7, "fft_length": fft}, custom_code="SignalRfft"),
        OpSpec("CUSTOM", [9], [10], {"start_index": start, "end_index": end}, custom_code="SignalEnergy"),
        OpSpec("CUSTOM", [10, 11, 12, 13, 14, 15], [16], {"num_channels": channels}, custom_code="SignalFilterBank"),
        OpSpec("CUSTOM", [16, 8], [17], {}, custom_code="SignalFilterBankSquareRoot"),
        OpSpec("CUSTOM", [17], [18, 19], _spectral_options(channels, 0.025, 0.06, 0.05, 10, 14, False),
               custom_code="SignalFilterBankSpectralSubtraction"),
        OpSpec("CUSTOM", [18, 19, 20], [21], {"snr_shift": 21 - correction_bits - 12}, custom_code="SignalPCAN"),
        OpSpec("CUSTOM", [21], [22], {"input_correction_bits": correction_bits, "output_scale": 1 << 6},
               custom_code="SignalFilterBankLog"),
        OpSpec("CUSTOM", [22], [23, 24], {"num_channels": channels, "stacker_left_context": left,
                                          "stacker_right_context": right, "stacker_step": 1},
               custom_code="SignalStacker"),
    ]
    masks = [None, valid_mask(2), None, None]
    return build_model(t, ops, inputs=[0], outputs=[22, 23, 24, 2]), masks


def _audio(seed: int, steps: int, step: int = 320) -> list[list[np.ndarray]]:
    """Speech-like test audio: a gliding tone whose loudness changes, noise bursts and silence."""
    rng = np.random.default_rng(seed)
    n = np.arange(steps * step)
    envelope = np.repeat(rng.choice([0.0, 0.02, 0.3, 1.0], steps), step)
    tone = np.sin(2 * np.pi * np.cumsum(np.linspace(200, 3000, n.size)) / 16000)
    noise = rng.standard_normal(n.size) * (0.05 + 0.5 * (rng.random(n.size) < 0.1))
    audio = np.clip(np.round(12000 * envelope * tone + 3000 * noise), -32768, 32767).astype(np.int16)
    return [[audio[k * step: (k + 1) * step]] for k in range(steps)]


def test_audio_front_end_sequence_matches_tflm(tmp_path: Path) -> None:
    model, masks = _front_end_model()
    host = build(model, tmp_path)
    sequences = [_audio(seed, 12) for seed in SEEDS]
    sequences.append([[np.zeros(320, np.int16)]] * 3 + [[np.full(320, v, np.int16)] for v in (32767, -32768, 1, 0)])
    for n, sequence in enumerate(sequences):
        expected = run_tflm_sequence(model, sequence)
        compare_sequences(host.run_sequence(sequence), expected, masks, f"sequence {n}")
        assert all(bool(step[3]) for step in expected)  # prefill: every frame complete
        assert [bool(step[2]) for step in expected] == [k >= 1 for k in range(len(sequence))]


def test_front_end_state_is_planned(tmp_path: Path) -> None:
    """The operator state is in the state pool (metadata), sized as the kernels' layouts."""
    model, _ = _front_end_model()
    files = compile_model(model, "front_end.tflite", CompileOptions(module_name="fe"))
    metadata = json.loads(files["metadata.json"])
    memory = metadata["modules"]["fe"]["memory"]
    state = [b for b in memory["buffers"] if b["kind"] == "state"]
    # framer: 4 + 2 * 640 (capacity 480 rounded to 640); spectral subtraction: 4 * 40; stacker: 8 + 2 * 160.
    assert sorted(b["size_bytes"] for b in state) == [160, 328, 1284]
    assert {b["state"] for b in state} == {"operator_state"} and sorted(b["operator"] for b in state) == [0, 8, 11]
    assert memory["state_size_bytes"] == sum(-(-b["size_bytes"] // 16) * 16 for b in state)
    lib1 = next(v for k, v in files.items() if k.endswith("lib1.c")).decode()
    assert "_reset_state" in lib1 and lib1.count("/* state of operator") == 3


def test_operator_state_with_nonzero_initial_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The general mechanism (OpLowering.state_init) beyond all-zero state: a SignalDelay whose
    pending samples start as 100, -200, 300 instead of zeros. reset_state copies those bytes from a
    constant array (the driver checks it on a garbage-filled state), and the first invocation
    outputs them."""
    from microtvm import ops

    initial = np.array([100, -200, 300], "<i2").view(np.uint8)
    lowering = ops.LOWERINGS_BY_OPCODE["SignalDelay"]
    monkeypatch.setitem(ops.LOWERINGS_BY_OPCODE, "SignalDelay",
                        dataclasses.replace(lowering, state_init=lambda op, graph: initial))
    model = single_op_model("CUSTOM", [TensorSpec((4,), "int16")], [TensorSpec((4,), "int16")], {"delay_length": 3},
                            custom_code="SignalDelay")
    files = compile_model(model, "delay.tflite", CompileOptions(module_name="delay"))
    lib1 = next(v for k, v in files.items() if k.endswith("lib1.c")).decode()
    assert "memcpy(state_pool + 0, tvmgen_delay_state_init_op0, 6);" in lib1
    host = build(model, tmp_path)
    steps = [[np.array([1, 2, 3, 4], np.int16)], [np.array([5, 6, 7, 8], np.int16)]]
    outputs = [step[0].tolist() for step in host.run_sequence(steps)]
    assert outputs == [[100, -200, 300, 1], [2, 3, 4, 5]]


def test_operator_state_in_if_branches_matches_tflm(tmp_path: Path) -> None:
    """Stateful operators inside subgraphs: each IF branch delays its input by its own SignalDelay,
    whose state advances only on the invocations that take that branch."""
    def branch(delay: int) -> SubgraphSpec:
        ops = [OpSpec("CUSTOM", [0], [1], {"delay_length": delay}, custom_code="SignalDelay")]
        return SubgraphSpec([TensorSpec((4,), "int16"), TensorSpec((4,), "int16")], ops, [0], [1])

    main = [TensorSpec((1,), "bool", name="cond"), TensorSpec((4,), "int16", name="x"), TensorSpec((4,), "int16")]
    ops = [OpSpec("IF", [0, 1], [2], {"then_subgraph_index": 1, "else_subgraph_index": 2})]
    model = build_model(main, ops, [0, 1], [2], subgraphs=[branch(3), branch(6)])
    host = build(model, tmp_path)
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        sequence = [[rng.random(1) < 0.5, random_array((4,), "int16", rng)] for _ in range(10)]
        compare_sequences(host.run_sequence(sequence), run_tflm_sequence(model, sequence), [None], f"seed {seed}")


# ---------------------------------------------------------------------------------------------


def _refused(model: bytes, *fragments: str) -> None:
    with pytest.raises(UnsupportedError) as info:
        compile_model(model, "test.tflite", CompileOptions())
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


_VALID = TensorSpec((), "bool")


@pytest.mark.parametrize(
    "code, inputs, outputs, options, fragments",
    [
        ("SignalFramer", [TensorSpec((8,), "int16")], [TensorSpec((1, 4), "int16"), _VALID],
         {"frame_size": 4, "frame_step": 8, "prefill": True}, ["prefill", "frame_size 4 < frame_step 8"]),
        ("SignalFramer", [TensorSpec((10,), "int16")], [TensorSpec((2, 8), "int16"), _VALID],
         {"frame_size": 8, "frame_step": 4, "prefill": False}, ["10", "multiple of frame_step 4"]),
        ("SignalFramer", [TensorSpec((8,), "int16")], [TensorSpec((2, 6), "int16"), _VALID],
         {"frame_size": 8, "frame_step": 4, "prefill": False}, ["output shape [2, 6]", "[2, 8]"]),
        ("SignalFramer", [TensorSpec((8,), "float32")], [TensorSpec((2, 8), "float32"), _VALID],
         {"frame_size": 8, "frame_step": 4, "prefill": False}, ["float32", "int16"]),
        ("SignalFramer", [TensorSpec((8,), "int16")], [TensorSpec((2, 8), "int16"), TensorSpec((), "int32")],
         {"frame_size": 8, "frame_step": 4, "prefill": False}, ["valid output", "bool"]),
        ("SignalStacker", [TensorSpec((4,), "int16")], [TensorSpec((12,), "int16"), _VALID],
         {"num_channels": 4, "stacker_left_context": 1, "stacker_right_context": 1, "stacker_step": 4},
         ["stacker_step = 4", "1..3"]),
        ("SignalStacker", [TensorSpec((4,), "int16")], [TensorSpec((8,), "int16"), _VALID],
         {"num_channels": 4, "stacker_left_context": 1, "stacker_right_context": 1, "stacker_step": 1},
         ["output 12", "got 4 and 8"]),
        ("SignalDelay", [TensorSpec((4,), "int16")], [TensorSpec((5,), "int16")], {"delay_length": 2}, ["its shape"]),
        ("SignalDelay", [TensorSpec((4,), "int16")], [TensorSpec((4,), "int16")], {"delay_length": -1},
         ["delay_length = -1"]),
        ("SignalOverlapAdd", [TensorSpec((2, 4), "int16")], [TensorSpec((10,), "int16")], {"T": 7, "frame_step": 5},
         ["frame_step = 5", "1..4"]),
        ("SignalOverlapAdd", [TensorSpec((2, 4), "int32")], [TensorSpec((4,), "int32")], {"T": 2, "frame_step": 2},
         ["T = 2", "int16 or float32"]),
        ("SignalOverlapAdd", [TensorSpec((2, 4), "float32")], [TensorSpec((4,), "float32")], {"T": 7, "frame_step": 2},
         ["float32", "int16"]),
        ("SignalOverlapAdd", [TensorSpec((4,), "int16")], [TensorSpec((2,), "int16")], {"T": 7, "frame_step": 2},
         ["rank >= 2"]),
        ("SignalFilterBankSpectralSubtraction", [TensorSpec((4,), "uint32")],
         [TensorSpec((4,), "uint32"), TensorSpec((4,), "uint32")],
         {**_spectral_options(4, 0.1, 0.1, 0.1, 32, 14, False)}, ["smoothing_bits = 32", "0..31"]),
        ("SignalFilterBankSpectralSubtraction", [TensorSpec((4,), "uint32")],
         [TensorSpec((4,), "uint32"), TensorSpec((4,), "uint32")],
         {**_spectral_options(5, 0.1, 0.1, 0.1, 10, 14, False)}, ["num_channels = 5", "got 4, 4 and 4"]),
    ],
)
def test_unsupported_variants_are_refused(code, inputs, outputs, options, fragments) -> None:
    if len(outputs) == 1:
        model = single_op_model("CUSTOM", inputs, outputs, options, custom_code=code)
    else:
        tensors = [*inputs, *outputs]
        ops = [OpSpec("CUSTOM", [0], list(range(1, len(tensors))), options, custom_code=code)]
        model = build_model(tensors, ops, inputs=[0], outputs=list(range(1, len(tensors))))
    _refused(model, code, *fragments)
