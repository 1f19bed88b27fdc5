/*
 * SVDF, int8 with int16 state: TFLite's EvalIntegerSVDF (reference_ops), bit for bit.
 *   1. Shift the whole int16 state left by one element.
 *   2. Feature: acc = sum of weights_feature * (input - input_zero_point) (int32), rescaled by
 *      MultiplyByQuantizedMultiplier(feature_multiplier, feature_shift), clamped to int16 and
 *      stored in the filter's last column. The state is symmetric (zero point 0): TFLite assumes
 *      so and ignores its zero point, as does this kernel.
 *   3. Time: per filter, the int32 dot of weights_time and the state; per unit the rank dots
 *      summed, + bias, rescaled by (output_multiplier, output_shift), + output zero point,
 *      clamped to int8. The fused activation is not applied: TFLite's integer kernel does not.
 * TFLite accumulates steps 3 in int32, which wraps in practice on large int16 products; the
 * sums here are done in uint32 to wrap the same way without undefined behaviour.
 */
#include <string.h>

#include "mtvm/quant.h"
#include "mtvm/recurrent.h"

void mtvm_svdf_s8(const mtvm_svdf_s8_params_t* p, const int8_t* input, const int8_t* weights_feature,
                  const int16_t* weights_time, const int32_t* bias, int16_t* state, int8_t* output) {
  const int32_t memory = p->memory_size;
  const int32_t filters = p->num_filters;
  const int32_t total = p->batch * filters * memory;
  if (total > 1) memmove(state, state + 1, (size_t)(total - 1) * sizeof(int16_t));
  for (int32_t b = 0; b < p->batch; ++b) {
    const int8_t* x = input + (size_t)b * (size_t)p->input_size;
    int16_t* state_b = state + (size_t)b * (size_t)filters * (size_t)memory;
    for (int32_t f = 0; f < filters; ++f) {
      const int8_t* w = weights_feature + (size_t)f * (size_t)p->input_size;
      int32_t acc = 0;
      for (int32_t i = 0; i < p->input_size; ++i) acc += (int32_t)w[i] * ((int32_t)x[i] - p->input_zero_point);
      acc = mtvm_multiply_by_quantized_multiplier(acc, p->feature_multiplier, p->feature_shift);
      state_b[(size_t)f * (size_t)memory + (size_t)(memory - 1)] = (int16_t)mtvm_clamp_i32(acc, INT16_MIN, INT16_MAX);
    }
    for (int32_t u = 0; u < p->num_units; ++u) {
      uint32_t sum = 0;
      for (int32_t r = 0; r < p->rank; ++r) {
        const int32_t f = u * p->rank + r;
        const int16_t* wt = weights_time + (size_t)f * (size_t)memory;
        const int16_t* s = state_b + (size_t)f * (size_t)memory;
        uint32_t dot = 0;
        for (int32_t m = 0; m < memory; ++m) dot += (uint32_t)((int32_t)wt[m] * (int32_t)s[m]);
        sum += dot;
      }
      if (bias != NULL) sum += (uint32_t)bias[u];
      int32_t y = mtvm_multiply_by_quantized_multiplier((int32_t)sum, p->output_multiplier, p->output_shift);
      y = (int32_t)((uint32_t)y + (uint32_t)p->output_zero_point); /* int32 add, wrapping like TFLite */
      output[(size_t)b * (size_t)p->num_units + (size_t)u] = (int8_t)mtvm_clamp_i32(y, INT8_MIN, INT8_MAX);
    }
  }
}
