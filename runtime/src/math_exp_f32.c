/*
 * float32 EXP (expf) and ELU (x < 0 ? expm1f(x) : x, TFLite's reference_ops::Elu). Within a few
 * ulp of LiteRT, whose results come from the host's libm (see ops/math.py for the tolerance).
 */
#include <math.h>
#include <stdint.h>

#include "mtvm/math.h"

void mtvm_exp_f32(const mtvm_unary_params_t* p, const float* in, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    out[i] = expf(in[i]);
  }
}

void mtvm_elu_f32(const mtvm_unary_params_t* p, const float* in, float* out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const float x = in[i];
    out[i] = x < 0.0f ? expm1f(x) : x;
  }
}
