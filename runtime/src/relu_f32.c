/* float32 RELU and RELU6 (see mtvm/elementwise.h): min(max(x, lo), hi). */
#include <stdint.h>

#include "mtvm/elementwise.h"
#include "mtvm/quant.h"

void mtvm_relu_f32(const mtvm_relu_f32_params_t* p, const float* in, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    out[i] = mtvm_clamp_f32(in[i], p->lo, p->hi); /* a NaN stays NaN, as in LiteRT */
  }
}
