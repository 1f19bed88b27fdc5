/*
 * int8 SUM (always requantized, even with equal quantization), reproducing LiteRT's
 * reference kernel as it runs (ai-edge-litert 2.x, BUILTIN_REF): it reads the int8 tensor as
 * uint8 values and clamps to the uint8 range [0, 255] before storing the byte, i.e. it runs
 * QuantizedMeanOrSum<uint8_t> on the int8 buffers:
 *   sum   = sum of (uint8_t)x over the reduced elements (int32)
 *   value = MultiplyByQuantizedMultiplier(sum - count * input_zero_point, M, shift)
 *           + output_zero_point, clamped to [0, 255], stored as the byte of the int8 output.
 * M and shift are QuantizeMultiplier(input_scale / output_scale) in double (PrepareMeanOrSum).
 */
#include <stdint.h>

#include "mtvm/quant.h"
#include "mtvm/reduction.h"

void mtvm_reduce_sum_q8(const mtvm_reduce_q_params_t* p, const int8_t* in, int8_t* out) {
  const mtvm_reduce_walk_t* w = &p->walk;
  const uint8_t* bytes = (const uint8_t*)in;
  /* LiteRT subtracts input_zero_point * count in int64 and truncates to int32. */
  const int32_t offset = (int32_t)(uint32_t)((uint64_t)(int64_t)p->input_zero_point * (uint64_t)(int64_t)w->count);
  for (int32_t o = 0; o < w->num_outputs; ++o) {
    const int32_t base = mtvm_reduce_base(w, o);
    uint32_t sum = 0;
    MTVM_REDUCE_VISIT(w, bytes, base, uint8_t, { sum += x; });
    const int32_t shifted = (int32_t)(sum - (uint32_t)offset);
    const int32_t value =
        mtvm_multiply_by_quantized_multiplier(shifted, p->multiplier, (int)p->shift) + p->output_zero_point;
    out[o] = (int8_t)(uint8_t)mtvm_clamp_i32(value, 0, 255);
  }
}
