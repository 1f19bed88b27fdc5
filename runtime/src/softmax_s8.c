/*
 * int8 SOFTMAX (see mtvm/reduce.h): TFLite's reference quantized Softmax in gemmlowp's fixed
 * point, step by step (exponentials from the generator's table, their sum, its reciprocal, the
 * rescaled outputs).
 */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/quant.h"
#include "mtvm/reduce.h"
#include "reduce_internal.h"

/* gemmlowp's saturating multiplication by 2^exponent (exponent > 0) of a fixed-point raw value. */
static int32_t mtvm_saturating_shift_left(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return (int32_t)((uint32_t)x << exponent);
}

/* (a + b) / 2 rounded half away from zero, like gemmlowp's RoundingHalfSum. */
static int32_t mtvm_rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* Wrapping int32 addition (gemmlowp adds raw values without saturation). */
static int32_t mtvm_wrapping_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* 1 / (1 + a) for a in [0, 1) as Q0.31, by gemmlowp's three Newton-Raphson steps on Q2.29. */
static int32_t mtvm_one_over_one_plus_x(int32_t a) {
  const int32_t half_denominator = mtvm_rounding_half_sum(a, INT32_MAX); /* Q0.31 */
  const int32_t k48_over_17 = 1515870810;                                  /* Q2.29 */
  const int32_t kneg32_over_17 = -1010580540;                              /* Q2.29 */
  int32_t x = mtvm_wrapping_add(k48_over_17, mtvm_sat_round_doubling_high_mul(half_denominator, kneg32_over_17));
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = mtvm_sat_round_doubling_high_mul(half_denominator, x);
    const int32_t one_minus = (1 << 29) - half_denominator_times_x; /* Q2.29 */
    const int32_t correction = mtvm_sat_round_doubling_high_mul(x, one_minus); /* Q4.27 */
    x = mtvm_wrapping_add(x, mtvm_saturating_shift_left(correction, 2));
  }
  /* x / 2 as Q1.30, rescaled to Q0.31. */
  return mtvm_saturating_shift_left(x, 1);
}

void mtvm_softmax_s8(const mtvm_softmax_params_t* p, const int32_t* exp_table, const int8_t* input,
                     int8_t* output) {
  /* The sum of exponentials is a Q12.19 value (TFLite's kAccumulationIntegerBits = 12). */
  enum { kAccumulationIntegerBits = 12, kOutputBits = 8 };
  for (int32_t i = 0; i < p->outer; ++i) {
    const int8_t* x = input + (size_t)i * (size_t)p->depth;
    int8_t* y = output + (size_t)i * (size_t)p->depth;
    int32_t max = INT8_MIN;
    for (int32_t c = 0; c < p->depth; ++c) {
      max = x[c] > max ? x[c] : max;
    }
    /* Each exponential, rescaled from Q0.31 to Q12.19, is added to the sum. */
    uint32_t sum = 0;
    for (int32_t c = 0; c < p->depth; ++c) {
      sum += (uint32_t)mtvm_rounding_divide_by_pot(exp_table[max - x[c]], kAccumulationIntegerBits);
    }
    /* TFLite's GetReciprocal: normalise the sum to [1, 2), invert, remember the shift. */
    const int headroom_plus_one = mtvm_clz32(sum);
    const int num_bits_over_unit = kAccumulationIntegerBits - headroom_plus_one;
    const int32_t shifted_sum_minus_one = (int32_t)((sum << headroom_plus_one) - (1u << 31));
    const int32_t shifted_scale = mtvm_one_over_one_plus_x(shifted_sum_minus_one);
    const int exponent = num_bits_over_unit + 31 - kOutputBits;
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t product = mtvm_sat_round_doubling_high_mul(shifted_scale, exp_table[max - x[c]]);
      /* Exponents above 31 only occur when hundreds of inputs tie for the maximum (TFLite
         aborts there); the non-negative product then rounds to 0. */
      const int32_t unsat = exponent > 31 ? 0 : mtvm_rounding_divide_by_pot(product, exponent);
      y[c] = (int8_t)mtvm_clamp_i32(unsat + INT8_MIN, INT8_MIN, INT8_MAX);
    }
  }
}
