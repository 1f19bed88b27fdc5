/*
 * int16 TANH (see mtvm/reduce.h): TFLite's reference_integer_ops::Tanh on int16, through the
 * sigmoid table (tanh(x) = 2 sigmoid(2x) - 1): 8 fractional bits per table step instead of 9,
 * and the result recentred and halved to Q0.15.
 */
#include <stdint.h>

#include "mtvm/reduce.h"

void mtvm_tanh_s16(const mtvm_sigmoid_s16_params_t* p, const uint16_t* sigmoid_table, const int16_t* input,
                   int16_t* output) {
  int32_t multiplier = p->input_multiplier;
  int32_t shift = p->input_left_shift;
  if (multiplier == 0) { /* power-of-two input scale */
    multiplier = 3 << shift;
    shift = 0;
  }
  const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t x = ((int32_t)input[i] * multiplier + round) >> shift;
    const uint32_t abs_x = (uint32_t)(x < 0 ? -x : x);
    const uint32_t uh = abs_x >> 8;
    int32_t result;
    if (uh >= 255) {
      result = 0xFFFF << 8; /* saturate */
    } else {
      const uint32_t ua = sigmoid_table[uh];
      const uint32_t ub = sigmoid_table[uh + 1];
      const uint32_t ut = abs_x & 0xFF;
      result = (int32_t)((ua << 8) + ut * (ub - ua)); /* unsigned wrap-around as in TFLite */
    }
    result = x >= 0 ? (result - (1 << (14 + 9)) + (1 << (9 - 2))) : (-result + (1 << (14 + 9)) + (1 << (9 - 2)) - 1);
    output[i] = (int16_t)(result >> (9 - 1));
  }
}
