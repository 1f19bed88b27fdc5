/* QUANTIZE int8 -> int16 (see mtvm/movement.h): a 256-entry table of TFLite's Requantize. */
#include <stdint.h>

#include "mtvm/movement.h"

void mtvm_requantize_lut_s8_s16(const int16_t* table, int32_t size, const int8_t* input, int16_t* output) {
  for (int32_t i = 0; i < size; ++i) {
    output[i] = table[(int32_t)input[i] + 128];
  }
}
