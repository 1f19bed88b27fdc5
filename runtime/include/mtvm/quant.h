/*
 * Fixed-point helpers shared by all int8 kernels.
 *
 * They reproduce TFLite's reference arithmetic bit for bit (gemmlowp's
 * SaturatingRoundingDoublingHighMul followed by RoundingDivideByPOT, i.e. the
 * "double rounding" MultiplyByQuantizedMultiplier). The Python twin used at
 * generation time lives in tools/microtvm/microtvm/quant.py.
 */
#ifndef MTVM_QUANT_H_
#define MTVM_QUANT_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

static inline int32_t mtvm_sat_round_doubling_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) {
    return INT32_MAX; /* the only product that overflows */
  }
  int64_t ab = (int64_t)a * (int64_t)b;
  int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
  /* C division truncates toward zero, as gemmlowp relies on. */
  return (int32_t)((ab + nudge) / (1LL << 31));
}

static inline int32_t mtvm_rounding_divide_by_pot(int32_t x, int exponent) {
  int32_t mask = (int32_t)((1LL << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^(shift - 31), rounded like TFLite's MultiplyByQuantizedMultiplier. */
static inline int32_t mtvm_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  int left_shift = shift > 0 ? shift : 0;
  int right_shift = shift > 0 ? 0 : -shift;
  /* The left shift is done in unsigned arithmetic: TFLite's "x * (1 << left)" wraps, and
     signed overflow would be undefined behaviour in C. */
  int32_t shifted = (int32_t)((uint32_t)x << left_shift);
  return mtvm_rounding_divide_by_pot(mtvm_sat_round_doubling_high_mul(shifted, multiplier), right_shift);
}

/* gemmlowp's RoundingDivideByPOT on int16 values (every intermediate is an int16, as in TFLite's
   16-bit power-of-two ADD/SUB): for exponent >= 16 the mask wraps to -1, which TFLite keeps. */
static inline int16_t mtvm_rounding_divide_by_pot_s16(int16_t x, int exponent) {
  const int16_t mask = (int16_t)(uint16_t)(((uint64_t)1 << exponent) - 1u);
  const int16_t remainder = (int16_t)(x & mask);
  const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
  return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

static inline int32_t mtvm_clamp_i32(int32_t x, int32_t lo, int32_t hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

static inline float mtvm_clamp_f32(float x, float lo, float hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

#ifdef __cplusplus
}
#endif

#endif /* MTVM_QUANT_H_ */
