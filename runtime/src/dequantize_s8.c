/* DEQUANTIZE int8 -> float32 (see mtvm/movement.h). TFLite multiplies in double and rounds to
   float once; the exact product of |q - zp| < 2^9 and the float scale's 24-bit significand fits
   a double, so one float multiplication gives the same value. */
#include <stdint.h>

#include "mtvm/movement.h"

void mtvm_dequantize_s8_f32(const mtvm_affine_params_t* params, const int8_t* input, float* output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = params->scale * (float)((int32_t)input[i] - params->zero_point);
  }
}
