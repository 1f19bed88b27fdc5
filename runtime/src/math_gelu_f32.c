/*
 * float32 GELU. Exact form: 0.5 x erfc(-x / sqrt(2)), TFLite's rewrite of 0.5 x (1 + erf(x /
 * sqrt(2))) that avoids cancellation for large negative x. Approximate form (approximate=true):
 * 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). LiteRT evaluates these with Eigen's own
 * erfc/tanh, we with the C library's erfcf/tanhf: a few ulp apart (see ops/math.py).
 */
#include <math.h>
#include <stdint.h>

#include "mtvm/math.h"

void mtvm_gelu_f32(const mtvm_unary_params_t* p, const float* in, float* out) {
  const float minus_sqrt1_2 = -0.707106781f; /* -1 / sqrt(2) */
  for (int32_t i = 0; i < p->size; ++i) {
    const float x = in[i];
    out[i] = 0.5f * x * erfcf(x * minus_sqrt1_2);
  }
}

void mtvm_gelu_tanh_f32(const mtvm_unary_params_t* p, const float* in, float* out) {
  const float sqrt_2_over_pi = 0.797884561f;
  for (int32_t i = 0; i < p->size; ++i) {
    const float x = in[i];
    out[i] = 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * (x + 0.044715f * x * x * x)));
  }
}
