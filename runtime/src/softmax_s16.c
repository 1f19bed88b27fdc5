/*
 * int16 SOFTMAX (see mtvm/reduce.h): TFLite's reference SoftmaxInt16, step by step.
 */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/quant.h"
#include "mtvm/reduce.h"
#include "reduce_internal.h"

/* TFLite's LUTLookup on int16: 512 intervals of 128 input steps, linear interpolation between
   entries index and index + 1, rounded to nearest (Q0.15 slope times a Q0.7 offset). */
static inline int16_t mtvm__lut_lookup_s16(int16_t value, const int16_t* lut) {
  const uint16_t index = (uint16_t)(256 + (value >> 7));
  const int16_t offset = (int16_t)(value & 0x7f);
  const int16_t base = lut[index];
  const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
  const int32_t delta = ((int32_t)slope * offset + 64) >> 7;
  return (int16_t)(base + delta);
}

void mtvm_softmax_s16(const mtvm_softmax_s16_params_t* p, const int16_t* exp_lut, const int16_t* one_over_one_plus_x_lut,
                      const int16_t* input, int16_t* output) {
  for (int32_t i = 0; i < p->outer; ++i) {
    const int16_t* x = input + (size_t)i * (size_t)p->depth;
    int16_t* y = output + (size_t)i * (size_t)p->depth;
    int16_t max = INT16_MIN;
    for (int32_t c = 0; c < p->depth; ++c) {
      max = x[c] > max ? x[c] : max;
    }
    /* exp(x - max) in Q0.15, cached in the output as TFLite does; their sum is Q16.15. */
    int32_t sum = 0;
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t scaled =
          mtvm_multiply_by_quantized_multiplier((int32_t)x[c] - max, p->input_multiplier, (int)p->input_shift);
      const int16_t centred = (int16_t)mtvm_clamp_i32(scaled + 32767, INT16_MIN, INT16_MAX); /* [-10, 0] -> int16 */
      y[c] = mtvm__lut_lookup_s16(centred, exp_lut);
      sum += y[c];
    }
    /* 1 / sum: normalise the sum to [1, 2) in Q1.14 (with rounding), take x = sum - 1, recentre
       [0, 65535] to int16 and look up 1 / (1 + x). */
    const int headroom_plus_one = mtvm_clz32((uint32_t)sum);
    const int32_t shifted_sum = (int32_t)((((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    const int32_t centred_sum = shifted_sum - ((1 << 15) + (1 << 16));
    const int16_t reciprocal =
        mtvm__lut_lookup_s16((int16_t)mtvm_clamp_i32(centred_sum, INT16_MIN, INT16_MAX), one_over_one_plus_x_lut);
    const int right_shift = 31 - headroom_plus_one;
    const int64_t round = (int64_t)1 << (right_shift - 1);
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t result = (int32_t)(((int64_t)y[c] * (int64_t)reciprocal + round) >> right_shift);
      y[c] = (int16_t)mtvm_clamp_i32(result, 0, INT16_MAX);
    }
  }
}
