/*
 * FULLY_CONNECTED, 16x8: int16 activations (zero point 0), int8 weights (per-tensor, with a
 * zero point, or per-channel), int64 or int32 bias.
 *
 * Mirrors LiteRT's reference_integer_ops::FullyConnected for int16 inputs with the float
 * scales (the path LiteRT's FULLY_CONNECTED takes): acc = sum((w + filter_offset) * x) + bias,
 * in 64 bits (in int32 for an int32 bias: wrapped once at the end, which is the same integer),
 * then round(acc * scale) in double, half away from zero, clamped to the activation range.
 * The double product and rounding are exactly LiteRT's (IEEE double, std::round); a result
 * beyond int32, which LiteRT converts with undefined behaviour, saturates here.
 * sum(w * x) is mtvm_dot_s16_s8 (SMLALD with the DSP extension); the filter offset adds
 * filter_offset * sum(x) per row.
 */
#include <math.h>
#include <stdint.h>

#include "mtvm/conv.h"

void mtvm_fully_connected_s16(const mtvm_fully_connected_s16_params_t* p, const int16_t* input,
                              int16_t* output) {
  const int32_t depth = p->accum_depth;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int16_t* x = input + (int64_t)b * depth;
    int64_t input_sum = 0;
    if (p->filter_offset != 0) {
      for (int32_t i = 0; i < depth; ++i) {
        input_sum += x[i];
      }
    }
    for (int32_t oc = 0; oc < p->out_c; ++oc) {
      int64_t acc = mtvm_dot_s16_s8(x, p->weights + (int64_t)oc * depth, depth);
      acc += p->filter_offset * input_sum;
      if (p->bias != NULL) {
        acc += p->bias[oc];
      }
      if (p->wrap_s32) {
        acc = mtvm_wrap_s32(acc);
      }
      const double scaled = round((double)acc * p->scales[p->per_channel_scales ? oc : 0]);
      const double lo = (double)p->act_min, hi = (double)p->act_max;
      *output++ = (int16_t)(scaled < lo ? p->act_min : (scaled > hi ? p->act_max : (int32_t)scaled));
    }
  }
}
