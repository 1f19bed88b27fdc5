/* Per-channel QUANTIZE float32 -> int8_t and DEQUANTIZE int8_t -> float32 (see mtvm/movement.h). */
#include <stdint.h>

#include "mtvm/movement.h"

void mtvm_quantize_per_channel_f32_s8(const mtvm_per_channel_params_t* params, const float* scales,
                                      const int32_t* zero_points, const float* input, int8_t* output) {
  int32_t i = 0;
  for (int32_t o = 0; o < params->outer; ++o) {
    for (int32_t c = 0; c < params->channels; ++c) {
      for (int32_t k = 0; k < params->inner; ++k, ++i) {
        output[i] = (int8_t)mtvm_quantize_value(input[i], scales[c], zero_points[c], INT8_MIN, INT8_MAX);
      }
    }
  }
}

void mtvm_dequantize_per_channel_s8_f32(const mtvm_per_channel_params_t* params, const float* scales,
                                        const int32_t* zero_points, const int8_t* input, float* output) {
  int32_t i = 0;
  for (int32_t o = 0; o < params->outer; ++o) {
    for (int32_t c = 0; c < params->channels; ++c) {
      for (int32_t k = 0; k < params->inner; ++k, ++i) {
        output[i] = scales[c] * (float)((int32_t)input[i] - zero_points[c]);
      }
    }
  }
}
