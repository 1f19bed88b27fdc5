/* QUANTIZE float32 -> int16 (see mtvm/movement.h): TFLite's AffineQuantize. */
#include <stdint.h>

#include "mtvm/movement.h"

void mtvm_quantize_f32_s16(const mtvm_affine_params_t* params, const float* input, int16_t* output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int16_t)mtvm_quantize_value(input[i], params->scale, params->zero_point, INT16_MIN, INT16_MAX);
  }
}
