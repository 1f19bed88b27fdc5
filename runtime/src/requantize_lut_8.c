/* QUANTIZE between 8-bit types (see mtvm/movement.h): a byte-indexed table lookup. */
#include <stdint.h>

#include "mtvm/movement.h"

void mtvm_requantize_lut_8(const uint8_t* table, int32_t size, const void* input, void* output) {
  const uint8_t* in = (const uint8_t*)input;
  uint8_t* out = (uint8_t*)output;
  for (int32_t i = 0; i < size; ++i) {
    out[i] = table[in[i]];
  }
}
