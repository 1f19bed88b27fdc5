/* QUANTIZE float32 -> int8 (see mtvm/movement.h): TFLite's reference AffineQuantize. */
#include <stdint.h>

#include "mtvm/movement.h"

void mtvm_quantize_f32_s8(const mtvm_affine_params_t* params, const float* input, int8_t* output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int8_t)mtvm_quantize_value(input[i], params->scale, params->zero_point, INT8_MIN, INT8_MAX);
  }
}
