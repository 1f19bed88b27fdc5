/*
 * L2_NORMALIZATION, int8 (LiteRT's reference_integer_ops::L2Normalization): the output scale is
 * 1/128 (zero point 0), so x / |x| becomes MBQM(x - zp, 1/sqrt(acc) as multiplier, shift + 7).
 */
#include <stdint.h>

#include "mtvm/normalize.h"
#include "mtvm/quant.h"

/*
 * GetInvSqrtQuantizedMultiplierExp(input, reverse_shift = -1): 1/sqrt(input) as a Q31 multiplier
 * and a shift, by five Newton-Raphson steps in gemmlowp fixed point with 3 integer bits (F3) on
 * the input normalised into [2^27, 2^29) by pairs of bits.
 */
static void mtvm__inv_sqrt(int32_t input, int32_t* multiplier, int32_t* shift) {
  int32_t s = 11;
  if (input <= 1) { /* 0 is treated like 1, as TFLite does */
    *multiplier = INT32_MAX;
    *shift = 0;
    return;
  }
  while (input >= (1 << 29)) {
    input /= 4;
    ++s;
  }
  {
    const int max_left_shift_bits = mtvm_clz32((uint32_t)input) - 1;
    const int left_shift_bit_pairs = max_left_shift_bits / 2 - 1;
    s -= left_shift_bit_pairs;
    input = (int32_t)((uint32_t)input << (2 * left_shift_bit_pairs));
  }
  {
    const int32_t fixedpoint_input = input >> 1;                                /* F3 */
    const int32_t half_input = mtvm_rounding_divide_by_pot(fixedpoint_input, 1); /* x / 2, rounded */
    const int32_t half_three = (1 << 28) + (1 << 27);                           /* 1.5 in F3 */
    int32_t x = 1 << 28;                                                        /* 1.0 in F3 */
    for (int i = 0; i < 5; ++i) {
      /* x3 = x*x*x is F9; Rescale<3> is a saturating left shift by 6. */
      const int32_t x3 = mtvm_saturating_shift_left(
          mtvm_sat_round_doubling_high_mul(mtvm_sat_round_doubling_high_mul(x, x), x), 6);
      /* 1.5 x - (input / 2) x^3 is F6; Rescale<3>: left shift by 3. */
      const int32_t step = (int32_t)((uint32_t)mtvm_sat_round_doubling_high_mul(half_three, x) -
                                     (uint32_t)mtvm_sat_round_doubling_high_mul(half_input, x3));
      x = mtvm_saturating_shift_left(step, 3);
    }
    x = mtvm_sat_round_doubling_high_mul(x, 1518500250); /* times sqrt(2) / 2 in Q0.31 */
    if (s < 0) {
      x = (int32_t)((uint32_t)x << -s);
      s = 0;
    }
    *multiplier = x;
    *shift = -s; /* the right shift becomes a left shift (reverse_shift = -1) */
  }
}

void mtvm_l2_norm_s8(const mtvm_l2_norm_params_t* p, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p->outer; ++i) {
    const int8_t* x = input + (int64_t)i * p->depth;
    int8_t* y = output + (int64_t)i * p->depth;
    int32_t acc = 0;
    int32_t multiplier;
    int32_t shift;
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t v = (int32_t)x[c] - p->input_zero_point;
      acc = (int32_t)((uint32_t)acc + (uint32_t)(v * v)); /* wraps only past 2^16 elements */
    }
    mtvm__inv_sqrt(acc, &multiplier, &shift);
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t v = (int32_t)x[c] - p->input_zero_point;
      /* kOutputScale = 7: the output is Q0.7 (scale 1/128). */
      const int32_t out = mtvm_multiply_by_quantized_multiplier(v, multiplier, (int)(shift + 7));
      y[c] = (int8_t)mtvm_clamp_i32(out, INT8_MIN, INT8_MAX);
    }
  }
}
