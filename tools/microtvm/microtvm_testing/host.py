"""Run compiled models on the host, for tests: compile -> build with sanitizers -> run.

The MLF is written under a working directory (pytest's tmp_path), a small C test driver is
added (read inputs from files, call tvmgen_<m>_run twice, check both runs agree, write outputs),
and everything is built with

    ${CC:-gcc} -std=c99 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all -g

Inputs, outputs and external pools are heap blocks of exactly their size, so AddressSanitizer
reports any access outside them. The compiler and flags can be overridden (cc=, cflags=, or the
CC / MICROTVM_TEST_CFLAGS environment variables) to build with clang as well.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from microtvm import mlf
from microtvm.compiler import CompileOptions, compile_model

DEFAULT_CFLAGS = (
    "-std=c99", "-Wall", "-Wextra", "-Werror",
    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g",
)

_RUN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:halt_on_error=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def c_compiler(cc: Optional[str] = None) -> list[str]:
    return shlex.split(cc or os.environ.get("CC") or "gcc")


def c_flags(cflags: Optional[Sequence[str]] = None) -> list[str]:
    if cflags is not None:
        return list(cflags)
    extra = os.environ.get("MICROTVM_TEST_CFLAGS")
    return list(DEFAULT_CFLAGS) + (shlex.split(extra) if extra else [])


@dataclass(frozen=True)
class _Tensor:
    c_name: str
    dtype: str
    shape: tuple[int, ...]
    size: int


@dataclass
class HostModel:
    """A compiled and built model that can be run many times (one build per model and options)."""

    executable: Path
    inputs: list[_Tensor]
    outputs: list[_Tensor]
    workdir: Path

    stateful: bool = False

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One invocation (after tvmgen_<m>_reset_state for a stateful model)."""
        return self.run_sequence([inputs])[0]

    def run_sequence(self, steps: Sequence[Sequence[np.ndarray]]) -> list[list[np.ndarray]]:
        """Invoke the model once per entry of `steps` (each a list of inputs), the state persisting
        from one invocation to the next (reset once before the first); the outputs of each step.
        The driver runs the whole sequence twice, resetting the state before each pass, and
        fails unless both passes give the same bytes (reset_state restores everything)."""
        if not steps:
            raise ValueError("no invocations given")
        paths = []
        for t, inputs in enumerate(steps):
            if len(inputs) != len(self.inputs):
                raise ValueError(f"the model has {len(self.inputs)} inputs, got {len(inputs)} at step {t}")
            for i, (array, spec) in enumerate(zip(inputs, self.inputs)):
                data = np.ascontiguousarray(np.asarray(array, dtype=spec.dtype).reshape(spec.shape)).tobytes()
                path = self.workdir / f"input_{t}_{i}.bin"
                path.write_bytes(data)
                paths.append(path)
        out_paths = [self.workdir / f"output_{t}_{i}.bin" for t in range(len(steps)) for i in range(len(self.outputs))]
        for path in out_paths:
            path.unlink(missing_ok=True)
        result = subprocess.run(
            [str(self.executable), str(len(steps)), *map(str, paths), *map(str, out_paths)],
            capture_output=True,
            text=True,
            env={**os.environ, **_RUN_ENV},
            timeout=600,
        )
        if result.returncode != 0:
            raise AssertionError(f"the compiled model failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
        n = len(self.outputs)
        return [
            [
                np.frombuffer(path.read_bytes(), dtype=spec.dtype).reshape(spec.shape).copy()
                for path, spec in zip(out_paths[t * n : (t + 1) * n], self.outputs)
            ]
            for t in range(len(steps))
        ]


def build(
    model: bytes,
    workdir: Optional[Path] = None,
    *,
    cc: Optional[str] = None,
    cflags: Optional[Sequence[str]] = None,
    source_name: str = "model.tflite",
    **compile_options,
) -> HostModel:
    """Compile `model` with our pipeline and build it with the test driver."""
    workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="microtvm-host-"))
    options = CompileOptions(**compile_options)
    files = compile_model(model, source_name, options)
    return build_files(files, workdir, cc=cc, cflags=cflags)


def build_files(files: dict[str, bytes], workdir: Path, *, cc: Optional[str] = None, cflags: Optional[Sequence[str]] = None) -> HostModel:
    """Build an MLF tree (as compile_model returns it) with the test driver."""
    workdir = Path(workdir)
    tree = workdir / "mlf"
    mlf.write_dir(files, tree)
    metadata = json.loads(files["metadata.json"])
    (module_name, module), = metadata["modules"].items()

    def tensors(key: str) -> list[_Tensor]:
        return [_Tensor(t["c_name"], t["dtype"], tuple(t["shape"]), t["size"]) for t in module[key]]

    inputs, outputs = tensors("inputs"), tensors("outputs")
    pools = [p for p in module["memory"]["pools"] if p["external"]]
    stateful = any(b["kind"] == "state" for b in module["memory"]["buffers"])
    driver = workdir / "main.c"
    driver.write_text(
        _driver(
            module_name, inputs, outputs, [p["name"] for p in pools], module["use_workspace_io"],
            module["memory"]["alignment"], stateful,
        )
    )
    sources = sorted(tree.glob("codegen/host/src/*.c")) + sorted(tree.glob("runtime/src/*.c"))
    executable = workdir / "model"
    command = [
        *c_compiler(cc), *c_flags(cflags),
        f"-I{tree / 'codegen/host/include'}", f"-I{tree / 'codegen/host/src'}", f"-I{tree / 'runtime/include'}",
        *map(str, sources), str(driver), "-o", str(executable), "-lm",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"building the generated code failed:\n{shlex.join(command)}\n{result.stdout}\n{result.stderr}")
    return HostModel(executable, inputs, outputs, workdir, stateful)


def run_compiled(
    model: bytes,
    inputs: Sequence[np.ndarray],
    *,
    workdir: Optional[Path] = None,
    cc: Optional[str] = None,
    cflags: Optional[Sequence[str]] = None,
    **compile_options,
) -> list[np.ndarray]:
    """Outputs of our generated C for `inputs` (compile options as CompileOptions fields)."""
    return build(model, workdir, cc=cc, cflags=cflags, **compile_options).run(inputs)


def assert_matches_reference(
    model: bytes,
    seeds: Sequence[int] = (0, 1, 2),
    rtol: float = 1e-5,
    atol: float = 1e-6,
    *,
    steps: int = 1,
    workdir: Optional[Path] = None,
    cc: Optional[str] = None,
    cflags: Optional[Sequence[str]] = None,
    **compile_options,
) -> None:
    """For each seed: random inputs, LiteRT's reference kernels vs our generated C. Integer
    outputs must be equal; float outputs within rtol/atol. Builds once for all seeds.

    `steps` > 1: a sequence of that many invocations per seed (reference.random_input_sequence),
    the state of a stateful model persisting from one to the next on both sides (one LiteRT
    interpreter invoked repeatedly), compared invocation by invocation."""
    from .reference import random_input_sequence, run_reference_sequence

    host = build(model, workdir, cc=cc, cflags=cflags, **compile_options)
    for seed in seeds:
        sequence = random_input_sequence(model, seed, steps)
        expected_steps = run_reference_sequence(model, sequence)
        actual_steps = host.run_sequence(sequence)
        for step, (actual, expected) in enumerate(zip(actual_steps, expected_steps)):
            assert len(actual) == len(expected), f"{len(actual)} outputs, LiteRT gives {len(expected)}"
            for k, (ours, theirs) in enumerate(zip(actual, expected)):
                theirs = np.asarray(theirs)
                message = f"seed {seed}, output {k}" + (f", invocation {step}" if steps > 1 else "")
                assert ours.shape == theirs.shape, f"{message}: shape {ours.shape} != LiteRT {theirs.shape}"
                assert ours.dtype == theirs.dtype, f"{message}: dtype {ours.dtype} != LiteRT {theirs.dtype}"
                if theirs.dtype.kind == "f":
                    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=message)
                else:
                    np.testing.assert_array_equal(ours, theirs, err_msg=message)


def alias_chain_model() -> bytes:
    """A small int8 model for tests of the whole pipeline (aliases around one operator):

        input[1,2,4] -RESHAPE-> [1,8] -FULLY_CONNECTED-> fc[1,6] -RESHAPE-> out_a[2,3]
                                                                \\-SQUEEZE-> out_b[6]

    RESHAPE of a graph input (alias), an operator writing straight into an output (out_a), and
    a second output sharing those bytes (a copy)."""
    from .tflite_writer import OpSpec, TensorSpec, build_model

    rng = np.random.default_rng(1)
    q_in = dict(dtype="int8", scale=0.05, zero_point=-3)
    q_out = dict(dtype="int8", scale=0.1, zero_point=2)
    tensors = [
        TensorSpec([1, 2, 4], **q_in, name="input"),
        TensorSpec([2], "int32", data=np.array([1, 8], np.int32), name="shape_flat"),
        TensorSpec([1, 8], **q_in, name="flat"),
        TensorSpec([6, 8], "int8", scale=0.02, zero_point=0, data=rng.integers(-127, 128, (6, 8), dtype=np.int8), name="weights"),
        TensorSpec([6], "int32", scale=0.05 * 0.02, zero_point=0, data=rng.integers(-2000, 2000, (6,), dtype=np.int32), name="bias"),
        TensorSpec([1, 6], **q_out, name="fc"),
        TensorSpec([2], "int32", data=np.array([2, 3], np.int32), name="shape_a"),
        TensorSpec([2, 3], **q_out, name="out_a"),
        TensorSpec([6], **q_out, name="out_b"),
    ]
    ops = [
        OpSpec("RESHAPE", [0, 1], [2], {"new_shape": [1, 8]}),
        OpSpec("FULLY_CONNECTED", [2, 3, 4], [5], {"fused_activation_function": "NONE"}),
        OpSpec("RESHAPE", [5, 6], [7], {"new_shape": [2, 3]}),
        OpSpec("SQUEEZE", [5], [8], {"squeeze_dims": [0]}),
    ]
    return build_model(tensors, ops, inputs=[0], outputs=[7, 8])


_DRIVER = r"""/* Test driver generated by microtvm_testing.host: not part of the product. */
#define _POSIX_C_SOURCE 200112L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tvmgen_@M@.h"

static void* allocate(size_t size, size_t alignment) {
  void* p = NULL;
  if (posix_memalign(&p, alignment, size ? size : 1) != 0) {
    fprintf(stderr, "out of memory\n");
    exit(3);
  }
  memset(p, 0xA5, size ? size : 1); /* garbage: nothing may rely on zeroed memory */
  return p;
}

static void read_file(const char* path, void* data, size_t size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL || fread(data, 1, size, f) != size || fgetc(f) != EOF) {
    fprintf(stderr, "cannot read %zu bytes from %s\n", size, path);
    exit(3);
  }
  fclose(f);
}

static void write_file(const char* path, const void* data, size_t size) {
  FILE* f = fopen(path, "wb");
  if (f == NULL || fwrite(data, 1, size, f) != size) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(3);
  }
  fclose(f);
}

int main(int argc, char** argv) {
  static const size_t input_sizes[] = {@INPUT_SIZES@};
  static const size_t output_sizes[] = {@OUTPUT_SIZES@};
  enum { NUM_INPUTS = @NUM_INPUTS@, NUM_OUTPUTS = @NUM_OUTPUTS@ };
  void** input_data;
  void** first_outputs;
  int steps, pass, step, i;
  if (argc < 2 || (steps = atoi(argv[1])) < 1 || argc != 2 + steps * (NUM_INPUTS + NUM_OUTPUTS)) {
    fprintf(stderr, "usage: %s STEPS INPUT_FILES... OUTPUT_FILES... (per step, in step order)\n", argv[0]);
    return 2;
  }
  input_data = (void**)allocate(sizeof(void*) * steps * NUM_INPUTS, 16);
  first_outputs = (void**)allocate(sizeof(void*) * steps * NUM_OUTPUTS, 16);
  for (step = 0; step < steps; ++step) {
    for (i = 0; i < NUM_INPUTS; ++i) {
      input_data[step * NUM_INPUTS + i] = allocate(input_sizes[i], 16);
      read_file(argv[2 + step * NUM_INPUTS + i], input_data[step * NUM_INPUTS + i], input_sizes[i]);
    }
  }
@SETUP@
  /* Run the sequence twice: the second pass must give the same bytes (a stateless model carries
     nothing between runs; a stateful one is reset before each pass, on garbage the first time). */
  for (pass = 0; pass < 2; ++pass) {
@RESET@
    for (step = 0; step < steps; ++step) {
      int32_t status;
      void* in_ptrs[NUM_INPUTS];
      void* out_ptrs[NUM_OUTPUTS];
@BIND@
      /* Garbage in the outputs first: with --use-workspace-io an output may share bytes with an
         input whose lifetime ends before the output is written. */
      for (i = 0; i < NUM_OUTPUTS; ++i) memset(out_ptrs[i], 0xA5, output_sizes[i]);
      for (i = 0; i < NUM_INPUTS; ++i) memcpy(in_ptrs[i], input_data[step * NUM_INPUTS + i], input_sizes[i]);
      status = @RUN@;
      if (status != 0) {
        fprintf(stderr, "tvmgen_@M@_run returned %d\n", (int)status);
        return 1;
      }
      for (i = 0; i < NUM_OUTPUTS; ++i) {
        void** first = &first_outputs[step * NUM_OUTPUTS + i];
        if (pass == 0) {
          *first = allocate(output_sizes[i], 16);
          memcpy(*first, out_ptrs[i], output_sizes[i]);
        } else if (memcmp(*first, out_ptrs[i], output_sizes[i]) != 0) {
          fprintf(stderr, "step %d: output %d differs between two passes\n", step, i);
          return 1;
        }
        if (pass == 1) write_file(argv[2 + steps * NUM_INPUTS + step * NUM_OUTPUTS + i], out_ptrs[i], output_sizes[i]);
      }
    }
  }
  return 0;
}
"""


def _driver(
    module: str, inputs: list[_Tensor], outputs: list[_Tensor], pools: list[str], workspace_io: bool, alignment: int,
    stateful: bool = False,
) -> str:
    P, M = f"tvmgen_{module}", f"TVMGEN_{module.upper()}"
    setup, reset = [], []
    if pools:
        setup.append(f"  struct {P}_workspace_pools pools;")
        for pool in pools:
            setup.append(f"  pools.{pool} = allocate({M}_{pool.upper()}_WORKSPACE_POOL_SIZE, {alignment});")
    if stateful:
        setup.append(f"  struct {P}_state state;")
        setup.append(f"  state.state = allocate({M}_STATE_SIZE, {alignment});")
        reset.append(f"    memset(state.state, 0x5A + pass, {M}_STATE_SIZE); /* garbage: reset must set everything */")
        reset.append(f"    if ({P}_reset_state(&state) != 0) {{")
        reset.append(f"      fprintf(stderr, \"{P}_reset_state failed\\n\");")
        reset.append("      return 1;")
        reset.append("    }")
    pools_arg = "&pools" if pools else ""
    state_arg = "&state" if stateful else ""
    bind = []
    if workspace_io:
        bind.append(f"      struct {P}_inputs in = {P}_map_inputs({pools_arg});")
        bind.append(f"      struct {P}_outputs out = {P}_map_outputs({pools_arg});")
        run = f"{P}_run({', '.join(a for a in (pools_arg, state_arg) if a)})"
    else:
        setup.append(f"  struct {P}_inputs in;")
        setup.append(f"  struct {P}_outputs out;")
        for t in inputs:
            setup.append(f"  in.{t.c_name} = allocate({M}_{t.c_name.upper()}_SIZE, 16);")
        for t in outputs:
            setup.append(f"  out.{t.c_name} = allocate({M}_{t.c_name.upper()}_SIZE, 16);")
        run = f"{P}_run(&in, &out{', &pools' if pools else ''}{', &state' if stateful else ''})"
    bind += [f"      in_ptrs[{i}] = in.{t.c_name};" for i, t in enumerate(inputs)]
    bind += [f"      out_ptrs[{i}] = out.{t.c_name};" for i, t in enumerate(outputs)]
    return (
        _DRIVER.replace("@M@", module)
        .replace("@INPUT_SIZES@", ", ".join(str(t.size) for t in inputs))
        .replace("@OUTPUT_SIZES@", ", ".join(str(t.size) for t in outputs))
        .replace("@NUM_INPUTS@", str(len(inputs)))
        .replace("@NUM_OUTPUTS@", str(len(outputs)))
        .replace("@SETUP@", "\n".join(setup))
        .replace("@BIND@", "\n".join(bind))
        .replace("@RESET@", "\n".join(reset))
        .replace("@RUN@", run)
    )
