/*
 * int16 MEAN (see mtvm/reduce.h): TFLite's QuantizedMeanOrSum on int16, as mtvm_mean_s8 in
 * mean_s8.c: an int32 sum (wrapping like TFLite's), the zero point correction in 64 bits, one
 * MultiplyByQuantizedMultiplier with the division by the count folded in, saturated to int16.
 */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/quant.h"
#include "mtvm/reduce.h"

void mtvm_mean_s16(const mtvm_mean_params_t* p, const int16_t* input, int16_t* output) {
  const int32_t num_outputs = mtvm_mean_num_outputs(p);
  int32_t outer_index[MTVM_MEAN_MAX_DIMS] = {0};
  size_t base = 0;
  for (int32_t o = 0; o < num_outputs; ++o) {
    int32_t inner_index[MTVM_MEAN_MAX_DIMS] = {0};
    size_t offset = base;
    uint32_t sum = 0; /* TFLite sums in int32 and lets it wrap; unsigned keeps that defined */
    for (int32_t k = 0; k < p->count; ++k) {
      sum += (uint32_t)(int32_t)input[offset];
      offset = mtvm_next_offset(p->num_inner, p->inner_extent, p->inner_stride, inner_index, offset);
    }
    /* The zero point correction is computed in 64 bits and then narrowed, as in TFLite. */
    const int64_t centred = (int64_t)(int32_t)sum - (int64_t)p->input_zero_point * (int64_t)p->count;
    const int32_t scaled = mtvm_multiply_by_quantized_multiplier((int32_t)(uint32_t)(uint64_t)centred,
                                                                 p->multiplier, p->shift);
    output[o] = (int16_t)mtvm_clamp_i32(scaled + p->output_zero_point, INT16_MIN, INT16_MAX);
    base = mtvm_next_offset(p->num_outer, p->outer_extent, p->outer_stride, outer_index, base);
  }
}
