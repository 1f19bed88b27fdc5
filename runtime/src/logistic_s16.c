/*
 * int16 LOGISTIC (see mtvm/reduce.h): TFLite's reference_integer_ops::Logistic on int16. The
 * rescaled input is a fixed-point number with 9 fractional bits per table step (sigmoid(i / 24)
 * is sampled every 1/24 = 2^9 input units after the factor 3 * 2^k); |x| indexes the table, the
 * low 9 bits interpolate, and sigmoid(-x) = 1 - sigmoid(x) handles negative inputs.
 */
#include <stdint.h>

#include "mtvm/reduce.h"

void mtvm_logistic_s16(const mtvm_sigmoid_s16_params_t* p, const uint16_t* sigmoid_table, const int16_t* input,
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
    const uint32_t uh = abs_x >> 9;
    uint32_t result;
    if (uh >= 255) {
      result = (uint32_t)0x7FFF << 10; /* saturate */
    } else {
      const uint32_t ua = sigmoid_table[uh];
      const uint32_t ub = sigmoid_table[uh + 1];
      const uint32_t ut = abs_x & 0x1ff;
      result = (ua << 9) + ut * (ub - ua); /* unsigned wrap-around as in TFLite */
    }
    result = x >= 0 ? (result + (1u << 9)) : ((1u << (16 + 9)) - result + (1u << 9) - 1u);
    output[i] = (int16_t)(result >> 10);
  }
}
