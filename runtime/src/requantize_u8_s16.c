/* QUANTIZE uint8 -> int16 (see mtvm/movement.h): a table of the 256 Requantize results. */
#include <stdint.h>

#include "mtvm/movement.h"

void mtvm_requantize_lut_u8_s16(const int16_t* table, int32_t size, const uint8_t* input, int16_t* output) {
  for (int32_t i = 0; i < size; ++i) {
    output[i] = table[input[i]];
  }
}
