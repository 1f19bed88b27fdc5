/* QUANTIZE int16 -> int8 and int16 -> int16 (see mtvm/movement.h): TFLite's Requantize. */
#include <stdint.h>

#include "mtvm/movement.h"
#include "mtvm/quant.h"

static inline int32_t mtvm__requantize(const mtvm_requantize_params_t* p, int32_t q, int32_t lo, int32_t hi) {
  const int32_t v =
      mtvm_multiply_by_quantized_multiplier(q - p->input_zero_point, p->multiplier, (int)p->shift) +
      p->output_zero_point;
  return mtvm_clamp_i32(v, lo, hi);
}

void mtvm_requantize_s16_s8(const mtvm_requantize_params_t* params, const int16_t* input, int8_t* output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int8_t)mtvm__requantize(params, input[i], INT8_MIN, INT8_MAX);
  }
}

void mtvm_requantize_s16_s16(const mtvm_requantize_params_t* params, const int16_t* input, int16_t* output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = (int16_t)mtvm__requantize(params, input[i], INT16_MIN, INT16_MAX);
  }
}
