/* QUANTIZE float32 -> uint8 (see mtvm/movement.h): TFLite's AffineQuantize. */
#include <stdint.h>

#include "mtvm/movement.h"

void mtvm_quantize_f32_u8(const mtvm_affine_params_t* params, const float* input, uint8_t* output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (uint8_t)mtvm_quantize_value(input[i], params->scale, params->zero_point, 0, 255);
  }
}
