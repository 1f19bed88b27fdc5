/* float32 SIN and COS: sinf and cosf. */
#include <math.h>
#include <stdint.h>

#include "mtvm/math.h"

void mtvm_sin_f32(const mtvm_unary_params_t* p, const float* in, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    out[i] = sinf(in[i]);
  }
}

void mtvm_cos_f32(const mtvm_unary_params_t* p, const float* in, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    out[i] = cosf(in[i]);
  }
}
