/* float32 HARD_SWISH (see mtvm/elementwise.h): x * min(6, max(0, x + 3)) / 6, in LiteRT's
   reference order (the product first, then the division). */
#include <stdint.h>

#include "mtvm/elementwise.h"

void mtvm_hard_swish_f32(const mtvm_hard_swish_f32_params_t* p, const float* in, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const float x = in[i];
    const float shifted = x + 3.0f;
    const float relu6 = 0.0f < shifted ? (6.0f < shifted ? 6.0f : shifted) : 0.0f;
    out[i] = x * relu6 / 6.0f;
  }
}
