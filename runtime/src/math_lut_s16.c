/*
 * int16 (quantized) EXP, LOG, RSQRT and GELU: LiteRT evaluates them through a 513-entry table
 * (LUTPopulate<int16_t>, computed by tools/microtvm/microtvm/ops/math.py) and TFLite's LUTLookup:
 * the input's top 9 bits select entry `index` (after adding 256), the low 7 bits interpolate
 * linearly towards entry index + 1, rounding the Q0.7 product to nearest.
 */
#include <stdint.h>

#include "mtvm/math.h"

void mtvm_lut_s16(const mtvm_lut_s16_params_t *p, const int16_t *table, const int16_t *in, int16_t *out) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t value = in[i];
    const int32_t index = 256 + (value >> 7); /* arithmetic shift: 0..511 */
    const int32_t offset = value & 0x7f;
    const int32_t base = table[index];
    const int32_t slope = (int16_t)(uint16_t)(table[index + 1] - base); /* int16, as TFLite keeps it */
    const int32_t delta = (slope * offset + 64) >> 7;
    out[i] = (int16_t)(uint16_t)(base + delta); /* TFLite's static_cast<int16_t> wraps */
  }
}
