/*
 * LOG_SOFTMAX, int8 (LiteRT's reference_integer_ops::LogSoftmax), gemmlowp fixed point:
 *   sum      = sum over the row of exp(rescaled x - max) in Q12.19 (table exp_q12, by max - x)
 *   log_sum  = log(sum) in Q5.26 (log_x_for_x_greater_than_or_equal_to_1<5>, below)
 *   out      = RoundingDivideByPOT(rescaled diff - log_sum, 31 - 5 - 4) + 127, clamped, for the
 *              differences above a threshold; -128 below it.
 * The raw arithmetic of gemmlowp's FixedPoint<int32_t, N> operations: `*` is
 * SaturatingRoundingDoublingHighMul, `+`/`-` wrap, Rescale is a saturating shift.
 */
#include <stdint.h>

#include "mtvm/normalize.h"
#include "mtvm/quant.h"

#define MTVM__MUL mtvm_sat_round_doubling_high_mul

static int32_t mtvm__add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t mtvm__sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

static int32_t mtvm__saturate(int64_t x) { return x > INT32_MAX ? INT32_MAX : (x < INT32_MIN ? INT32_MIN : (int32_t)x); }

/* gemmlowp RoundingHalfSum: (a + b) / 2 rounded half away from zero. */
static int32_t mtvm__rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1 (Q0.31 in and out): Newton-Raphson division. */
static int32_t mtvm__one_over_one_plus_x(int32_t a) {
  const int32_t half_denominator = mtvm__rounding_half_sum(a, INT32_MAX); /* F0 */
  int32_t x = mtvm__add(1515870810, MTVM__MUL(half_denominator, -1010580540)); /* F2: 48/17 - 32/17 d */
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = MTVM__MUL(half_denominator, x); /* F2 */
    const int32_t one_minus = mtvm__sub(1 << 29, half_denominator_times_x);  /* F2: 1 - d x */
    x = mtvm__add(x, mtvm_saturating_shift_left(MTVM__MUL(x, one_minus), 2)); /* F4 -> F2 */
  }
  return mtvm_saturating_shift_left(x, 1); /* ExactMulByPot<-1> then Rescale<0> */
}

/*
 * TFLite's log_x_for_x_greater_than_or_equal_to_1_impl<5, 12>: log of a Q12.19 value >= 1 as
 * Q5.26. The value is written z * 2^k with z in [sqrt(1/2), sqrt(2)) two ways (headroom of z
 * and of z * sqrt(1/2)), and log z is a rational approximation around sqrt(sqrt(1/2)); the sum
 * is accumulated with 6 integer bits.
 */
static int32_t mtvm__log_q12_to_q5(int32_t input) {
  enum { kInputIntegerBits = 12, kAccumIntegerBits = 6 };
  const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
  const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
  const int32_t shifted_quarter = mtvm_rounding_divide_by_pot(536870912, kAccumIntegerBits); /* 1/4 in F6 */
  const int z_a_headroom_plus_1 = mtvm_clz32((uint32_t)input);
  const int32_t r_a_tmp = mtvm_saturating_shift_left(input, z_a_headroom_plus_1 - 1);
  const int32_t r_a_raw = mtvm_saturating_shift_left(MTVM__MUL(r_a_tmp, sqrt_half), 1);
  const int32_t z_a_pow_2_adj = mtvm__saturate(
      (int64_t)mtvm_saturating_shift_left(kInputIntegerBits - z_a_headroom_plus_1, 31 - kAccumIntegerBits) +
      shifted_quarter);
  const int32_t z_b = MTVM__MUL(input, sqrt_half);
  const int z_b_headroom = mtvm_clz32((uint32_t)z_b) - 1;
  const int32_t r_b_raw = mtvm_saturating_shift_left(input, z_b_headroom);
  const int32_t z_b_pow_2_adj = mtvm__saturate(
      (int64_t)mtvm_saturating_shift_left(kInputIntegerBits - z_b_headroom, 31 - kAccumIntegerBits) -
      shifted_quarter);
  const int32_t r = r_a_raw < r_b_raw ? r_a_raw : r_b_raw;
  const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;
  const int32_t p = mtvm__rounding_half_sum(r, sqrt_sqrt_half);
  int32_t q = mtvm__sub(r, sqrt_sqrt_half);
  q = mtvm__add(q, q);
  {
    const int32_t common_sq = MTVM__MUL(q, q);
    const int32_t num = mtvm__add(MTVM__MUL(q, r), MTVM__MUL(MTVM__MUL(q, common_sq), alpha_n));
    const int32_t denom_minus_one_0 = mtvm__add(
        MTVM__MUL(p, mtvm__add(mtvm__add(alpha_i, q), MTVM__MUL(alpha_d, common_sq))), MTVM__MUL(alpha_f, q));
    const int32_t recip_denom = mtvm__one_over_one_plus_x(denom_minus_one_0);
    const int32_t num_scaled = mtvm_rounding_divide_by_pot(num, kAccumIntegerBits); /* F0 -> F6 */
    const int32_t sum = mtvm__add(MTVM__MUL(z_pow_2_adj, log_2), MTVM__MUL(num_scaled, recip_denom));
    return mtvm_saturating_shift_left(sum, 1); /* Rescale<5> of F6 */
  }
}

void mtvm_log_softmax_s8(const mtvm_log_softmax_params_t* p, const int32_t* exp_q12, const int32_t* diff_q5,
                         const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p->outer; ++i) {
    const int8_t* x = input + (int64_t)i * p->depth;
    int8_t* y = output + (int64_t)i * p->depth;
    int32_t max = INT8_MIN;
    int32_t sum = 0;
    for (int32_t c = 0; c < p->depth; ++c) max = x[c] > max ? x[c] : max;
    for (int32_t c = 0; c < p->depth; ++c) sum = mtvm__add(sum, exp_q12[max - x[c]]);
    {
      const int32_t log_sum = mtvm__log_q12_to_q5(sum);
      /* Differences whose output would be below the int8 range: the threshold is log_sum +
         INT32_MIN mapped back to input units; strictly above it the output is computed. */
      const int32_t reversed =
          mtvm_multiply_by_quantized_multiplier(mtvm__add(log_sum, INT32_MIN), p->reverse_multiplier, (int)p->reverse_shift);
      const int32_t threshold = p->diff_min - 1 > reversed ? p->diff_min - 1 : reversed;
      for (int32_t c = 0; c < p->depth; ++c) {
        const int32_t diff = (int32_t)x[c] - max;
        if (diff > threshold) {
          const int32_t out = mtvm_rounding_divide_by_pot(mtvm__sub(diff_q5[-diff], log_sum), 31 - 5 - 4) + 127;
          y[c] = (int8_t)mtvm_clamp_i32(out, INT8_MIN, INT8_MAX);
        } else {
          y[c] = INT8_MIN;
        }
      }
    }
  }
}
