/* int16 (quantized) ABS (see mtvm/math.h): LiteRT's AbsEvalQuantized with zero points 0. */
#include <stdint.h>

#include "mtvm/math.h"
#include "mtvm/quant.h"

void mtvm_abs_q16(const mtvm_abs_q16_params_t *p, const int16_t *in, int16_t *out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t value = in[i] < 0 ? -(int32_t)in[i] : (int32_t)in[i];
    const int32_t scaled =
        p->needs_rescale ? mtvm_multiply_by_quantized_multiplier(value, p->multiplier, (int)p->shift) : value;
    out[i] = (int16_t)mtvm_clamp_i32(scaled, INT16_MIN, INT16_MAX);
  }
}
