/*
 * int16 LEAKY_RELU (see mtvm/elementwise.h): TFLite's QuantizeLeakyRelu. Non-negative inputs are
 * rescaled by input_scale / output_scale; negative ones by input_scale * alpha / output_scale,
 * applied as |multiplier| and negated when alpha < 0.
 */
#include <stdint.h>

#include "mtvm/elementwise.h"
#include "mtvm/quant.h"

void mtvm_leaky_relu_s16(const mtvm_leaky_relu_s16_params_t* p, const int16_t* in, int16_t* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t x = (int32_t)in[i] - p->input_offset;
    int32_t v = p->output_offset;
    if (x >= 0) {
      v += mtvm_multiply_by_quantized_multiplier(x, p->identity_multiplier, (int)p->identity_shift);
    } else {
      const int32_t scaled = mtvm_multiply_by_quantized_multiplier(x, p->alpha_multiplier, (int)p->alpha_shift);
      v += p->alpha_negative ? -scaled : scaled;
    }
    out[i] = (int16_t)mtvm_clamp_i32(v, INT16_MIN, INT16_MAX);
  }
}
