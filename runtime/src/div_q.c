/*
 * Quantized DIV (int8, int16), as LiteRT's reference DivElementwise computes it (see
 * mtvm/arith.h for the outline, tools/microtvm/microtvm/ops/arith.py for the parameters).
 *
 * The final RoundingDivideByPOT may get an exponent above 31 (a small numerator over a large
 * divisor: the headroom of v1 plus recip_shift exceed 31 + output_shift). gemmlowp's function is
 * only defined up to 31; LiteRT's x86-64 build (the reference we match) then computes the mask
 * (1 << e) - 1 in 64 bits, truncated to int32 (all ones), and shifts x right by e mod 32 (the
 * x86 shift instruction's count). mtvm__rdbpot_wide reproduces exactly that, without undefined
 * behaviour; the generator guarantees 0 <= e <= 63.
 */
#include <stdint.h>

#include "mtvm/arith.h"

static int mtvm__clz32(uint32_t x) { /* x != 0 */
  int n = 0;
  while ((x & 0x80000000u) == 0u) {
    x <<= 1;
    ++n;
  }
  return n;
}

/* TFLite's CountLeadingSignBits for int32: the bits below the sign bit equal to it (31 for 0). */
static int mtvm__leading_sign_bits(int32_t x) {
  if (x == 0) {
    return 31;
  }
  const uint32_t magnitude = x < 0 ? ~(uint32_t)x : (uint32_t)x;
  return magnitude == 0u ? 31 : mtvm__clz32(magnitude) - 1;
}

static int32_t mtvm__saturating_shift_left(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp's one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a in [0, 1) as Q0.31, by three
   Newton-Raphson steps in Q2.29 from 48/17 - 32/17 * d (d = (1 + a) / 2, RoundingHalfSum). */
static int32_t mtvm__one_over_one_plus_x(int32_t a) {
  const int64_t sum = (int64_t)a + (int64_t)INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  int32_t x = (int32_t)((uint32_t)1515870810 + (uint32_t)mtvm_sat_round_doubling_high_mul(half_denominator, -1010580540));
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = mtvm_sat_round_doubling_high_mul(half_denominator, x);
    const int32_t one_minus = (int32_t)((uint32_t)(1 << 29) - (uint32_t)half_denominator_times_x);
    const int32_t correction = mtvm__saturating_shift_left(mtvm_sat_round_doubling_high_mul(x, one_minus), 2);
    x = (int32_t)((uint32_t)x + (uint32_t)correction);
  }
  return mtvm__saturating_shift_left(x, 1); /* x / 2 as Q1.30, rescaled to Q0.31 */
}

/* RoundingDivideByPOT for 0 <= e <= 63, exponents above 31 as LiteRT's x86-64 build (above). */
static int32_t mtvm__rdbpot_wide(int32_t x, int e) {
  if (e <= 31) {
    return mtvm_rounding_divide_by_pot(x, e);
  }
  const int32_t threshold = -1 + (x < 0 ? 1 : 0); /* (mask >> 1) + (x < 0) with mask = -1 */
  return (x >> (e & 31)) + (x > threshold ? 1 : 0);
}

static int32_t mtvm__div_q(const mtvm_div_q_params_t *p, int32_t a, int32_t b) {
  int32_t v1 = p->input1_offset + a;
  int32_t v2 = p->input2_offset + b;
  if (v2 == 0) { /* LiteRT fails the invoke on a zero divisor; we saturate toward v1's sign */
    return v1 >= 0 ? p->act_max : p->act_min;
  }
  if (v2 < 0) {
    v1 = -v1;
    v2 = -v2;
  }
  const int clz = mtvm__clz32((uint32_t)v2);
  const int recip_shift = 31 - clz;
  const int32_t shifted_minus_one = (int32_t)(((uint32_t)v2 << clz) - 0x80000000u);
  const int32_t inverse = mtvm__one_over_one_plus_x(shifted_minus_one);
  const int headroom = mtvm__leading_sign_bits(v1);
  const int32_t unscaled = mtvm_sat_round_doubling_high_mul((int32_t)((uint32_t)v1 << headroom), inverse);
  const int exponent = headroom + recip_shift - (int)p->output_shift;
  const int32_t result =
      p->output_offset + mtvm__rdbpot_wide(mtvm_sat_round_doubling_high_mul(unscaled, p->output_multiplier), exponent);
  return mtvm_clamp_i32(result, p->act_min, p->act_max);
}

static inline int8_t mtvm__div_s8(const mtvm_div_q_params_t *p, int8_t a, int8_t b) {
  return (int8_t)mtvm__div_q(p, a, b);
}

static inline int16_t mtvm__div_s16(const mtvm_div_q_params_t *p, int16_t a, int16_t b) {
  return (int16_t)mtvm__div_q(p, a, b);
}

MTVM_DEFINE_BCAST_BINARY(mtvm_div_s8, int8_t, int8_t, int8_t, mtvm_div_q_params_t, mtvm__div_s8)
MTVM_DEFINE_BCAST_BINARY(mtvm_div_s16, int16_t, int16_t, int16_t, mtvm_div_q_params_t, mtvm__div_s16)
