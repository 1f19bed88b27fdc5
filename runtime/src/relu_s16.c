/*
 * int16 RELU and RELU6 (see mtvm/elementwise.h): TFLite's ReluX, a requantization by
 * input_scale / output_scale followed by the clamp to the quantized activation range. A 65536
 * entry table would cost 128 KiB of flash, so each element is computed.
 */
#include <stdint.h>

#include "mtvm/elementwise.h"
#include "mtvm/quant.h"

void mtvm_relu_s16(const mtvm_relu_s16_params_t* p, const int16_t* in, int16_t* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t x = (int32_t)in[i] - p->input_offset;
    const int32_t v = p->output_offset + mtvm_multiply_by_quantized_multiplier(x, p->multiplier, (int)p->shift);
    out[i] = (int16_t)mtvm_clamp_i32(v, p->act_min, p->act_max);
  }
}
