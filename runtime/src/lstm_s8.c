/*
 * UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations with int16 cell state: TFLite's integer LSTM
 * (lite/kernels/lstm_eval.cc LstmStepInteger8x8_16 and the portable tensor_utils it calls),
 * bit for bit. Per step and batch row:
 *   gate = sat16(MBQM(input_bias + W_x . x) + 0); gate = sat16(MBQM(recurrent_bias + W_h . h) + gate);
 *   peephole: gate = sat16(MBQM(p .* c) + gate); layer norm (integer, below);
 *   i, f, o = sigmoid(gate as Q3.12) -> Q0.15; g = tanh(gate as Q3.12) -> Q0.15;
 *   c = RDBPOT(f * c, 15); c = sat16(c + RDBPOT(i * g, 30 + cell_scale)) (CIFG: i = 32767 - f); clip;
 *   hidden = clamp8(MBQM(o * tanh(c as Q(15+cell_scale)), hidden scale) + hidden_offset);
 *   h = projection ? clip(clamp8(MBQM(projection_bias + W_p . hidden) + output_state_zp)) : hidden.
 * MBQM is TFLite's MultiplyByQuantizedMultiplier. The zero points of x and h are folded into the
 * biases at generation time (TFLite's Prepare does the same). With projection, LiteRT subtracts the
 * hidden intermediate's zero point from the hidden value and its projection bias adds zero point *
 * row sums back; without, the hidden value (the output) adds it: hidden_offset is one or the other.
 * sigmoid and tanh are gemmlowp's int16 fixed-point logistic and tanh, reproduced below
 * operation by operation (int16 wrapping adds, saturating doubling high multiplies).
 * Batch rows are independent, so the kernel runs one row at a time in either layout.
 */
#include <stddef.h>
#include <string.h>

#include "mtvm/quant.h"
#include "mtvm/recurrent.h"

/* ---------------------------------------------------------------------------------------------
 * gemmlowp's FixedPoint<int16_t, N> arithmetic (raw values; N integer bits, 15 - N fractional). */

static int16_t wrap16(int32_t x) { return (int16_t)(uint16_t)(uint32_t)x; }

static int16_t sat16(int32_t x) { return (int16_t)mtvm_clamp_i32(x, INT16_MIN, INT16_MAX); }

/* SaturatingRoundingDoublingHighMul for int16. */
static int16_t mul16(int16_t a, int16_t b) {
  if (a == b && a == INT16_MIN) return INT16_MAX;
  const int32_t ab = (int32_t)a * (int32_t)b;
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return wrap16((ab + nudge) / (1 << 15));
}

/* RoundingDivideByPOT for int16. */
static int16_t rdbpot16(int16_t x, int exponent) {
  const int32_t mask = (1 << exponent) - 1;
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return wrap16((x >> exponent) + (remainder > threshold ? 1 : 0));
}

/* SaturatingRoundingMultiplyByPOT<exponent> for int16. */
static int16_t srmpot16(int16_t x, int exponent) {
  if (exponent < 0) return rdbpot16(x, -exponent);
  if (exponent == 0) return x;
  const int32_t threshold = (1 << (15 - exponent)) - 1;
  if (x > threshold) return INT16_MAX;
  if (x < -threshold) return INT16_MIN;
  return wrap16((int32_t)x * (1 << exponent));
}

/* RoundingHalfSum for int16. */
static int16_t half_sum16(int16_t a, int16_t b) {
  const int32_t sum = (int32_t)a + (int32_t)b;
  const int32_t sign = sum >= 0 ? 1 : -1;
  return wrap16((sum + sign) / 2);
}

/* gemmlowp's Q0.31 constants rescaled to Q0.15 (RoundingDivideByPOT by 16). */
#define K_EXP_MINUS_ONE_EIGHTH 28918 /* exp(-1/8) */
#define K_ONE_THIRD 10923
#define K_48_OVER_17 23130      /* Q2.13 */
#define K_NEG_32_OVER_17 -15420 /* Q2.13 */
#define K_ONE_Q0 INT16_MAX
#define K_ONE_Q2 (1 << 13)

/* exp(a) for a in [-1/4, 0), a in Q0.15: a Taylor expansion around -1/8. */
static int16_t exp_quarter(int16_t a) {
  const int16_t x = wrap16(a + (1 << 12));
  const int16_t x2 = mul16(x, x);
  const int16_t x3 = mul16(x2, x);
  const int16_t x4 = mul16(x2, x2);
  const int16_t x4_over_4 = srmpot16(x4, -2);
  const int16_t poly = srmpot16(wrap16(mul16(wrap16(x4_over_4 + x3), K_ONE_THIRD) + x2), -1);
  return sat16((int32_t)K_EXP_MINUS_ONE_EIGHTH + mul16(K_EXP_MINUS_ONE_EIGHTH, wrap16(x + poly)));
}

/* exp(a) for a <= 0 with `bits` integer bits; result in Q0.15. */
static int16_t exp_on_negative_values(int16_t a, int bits) {
  static const int16_t multipliers[7] = {25520, 19875, 12055, 4435, 600, 11, 0}; /* exp(-2^k), k = -2..4 */
  const int frac = 15 - bits;
  const int16_t one_quarter = (int16_t)(1 << (frac - 2));
  const int16_t mask = wrap16(one_quarter - 1);
  const int16_t a_mod_quarter_minus_one_quarter = wrap16((a & mask) - one_quarter);
  int16_t result = exp_quarter(srmpot16(a_mod_quarter_minus_one_quarter, bits));
  const int16_t remainder = wrap16(a_mod_quarter_minus_one_quarter - a);
  for (int k = -2; k <= 4; ++k) {
    if (bits > k) {
      const int shift = frac + k;
      if (remainder & (1 << shift)) result = mul16(result, multipliers[k + 2]);
    }
  }
  if (bits > 5) {
    /* -32 in the input format: gemmlowp's constant -(1 << (36 - bits)) rescaled to 16 bits. */
    const int16_t clamp = wrap16(-(1 << (36 - bits - 16)));
    if (a < clamp) result = 0;
  }
  if (a == 0) result = K_ONE_Q0;
  return result;
}

/* Newton-Raphson for 1 / (1 + a) (or (1 - a) / (1 + a)), a in [0, 1] Q0.15; x in Q2.13. */
static int16_t reciprocal_iteration(int16_t half_denominator) {
  int16_t x = wrap16(K_48_OVER_17 + mul16(half_denominator, K_NEG_32_OVER_17));
  for (int i = 0; i < 3; ++i) {
    const int16_t half_denominator_times_x = mul16(half_denominator, x);
    const int16_t one_minus = wrap16(K_ONE_Q2 - half_denominator_times_x);
    x = wrap16(x + srmpot16(mul16(x, one_minus), 2));
  }
  return x;
}

static int16_t one_over_one_plus_x(int16_t a) {
  const int16_t x = reciprocal_iteration(half_sum16(a, K_ONE_Q0));
  return srmpot16(x, 1); /* ExactMulByPot<-1> then Rescale<0> from 1 integer bit */
}

static int16_t one_minus_x_over_one_plus_x(int16_t a) {
  const int16_t x = reciprocal_iteration(half_sum16(a, K_ONE_Q0));
  return srmpot16(wrap16(x - K_ONE_Q2), 2);
}

/* gemmlowp::logistic for FixedPoint<int16_t, 3>. */
static int16_t sigmoid_q3(int16_t a) {
  const int16_t abs_input = a > 0 ? a : wrap16(-(int32_t)a);
  const int16_t positive = one_over_one_plus_x(exp_on_negative_values(wrap16(-(int32_t)abs_input), 3));
  if (a == 0) return 1 << 14;
  return a > 0 ? positive : wrap16(K_ONE_Q0 - positive);
}

/* gemmlowp::tanh for FixedPoint<int16_t, bits>. */
static int16_t tanh_q(int16_t a, int bits) {
  const int16_t n = a < 0 ? a : wrap16(-(int32_t)a);
  /* tanh_on_negative_values: exp of 2n (the same raw value with one more integer bit). */
  const int16_t t = one_minus_x_over_one_plus_x(exp_on_negative_values(n, bits + 1));
  if (a == 0) return 0;
  return a < 0 ? wrap16(-(int32_t)t) : t;
}

/* ---------------------------------------------------------------------------------------------
 * Integer layer norm: TFLite's ApplyLayerNorm with GetInvSqrtQuantizedMultiplierExp. */

static int32_t sat_left_shift32(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)((1LL << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp Rescale of FixedPoint<int32_t> from `from` to `to` integer bits (to <= from). */
static int32_t rescale32(int32_t x, int from, int to) { return sat_left_shift32(x, from - to); }

static int32_t mul32(int32_t a, int32_t b) { return mtvm_sat_round_doubling_high_mul(a, b); }

static void inv_sqrt_multiplier(int32_t input, int32_t* multiplier, int32_t* shift) {
  if (input <= 1) {
    *multiplier = INT32_MAX;
    *shift = 0;
    return;
  }
  int32_t out_shift = 11;
  while (input >= (1 << 29)) {
    input /= 4;
    ++out_shift;
  }
  unsigned leading_zeros = 0;
  for (uint32_t v = (uint32_t)input; !(v & 0x80000000u); v <<= 1) ++leading_zeros;
  const unsigned max_left_shift_bit_pairs = (leading_zeros - 1) / 2;
  const unsigned left_shift_bit_pairs = max_left_shift_bit_pairs - 1;
  out_shift -= (int32_t)left_shift_bit_pairs;
  input = (int32_t)((uint32_t)input << (2 * left_shift_bit_pairs));
  /* Newton-Raphson in Q3.28 for 1 / sqrt(input). */
  const int32_t fixedpoint_input = input >> 1;
  const int32_t half_input = mtvm_rounding_divide_by_pot(fixedpoint_input, 1);
  const int32_t half_three = (1 << 28) + (1 << 27);
  int32_t x = 1 << 28;
  for (int i = 0; i < 5; ++i) {
    const int32_t x3 = rescale32(mul32(mul32(x, x), x), 9, 3);
    x = rescale32((int32_t)((uint32_t)mul32(half_three, x) - (uint32_t)mul32(half_input, x3)), 6, 3);
  }
  x = mul32(x, 1518500250); /* sqrt(2) / 2 in Q0.31 */
  if (out_shift < 0) {
    x = (int32_t)((uint32_t)x << -out_shift);
    out_shift = 0;
  }
  *multiplier = x;
  *shift = -out_shift; /* reverse_shift -1 */
}

static void layer_norm_s16(int16_t* x, int32_t n, const int16_t* weights, const int32_t* bias, int32_t multiplier,
                           int32_t shift, int32_t variance_guard) {
  int64_t sum = 0;
  int64_t sum_sq = 0;
  for (int32_t j = 0; j < n; ++j) {
    sum += x[j];
    sum_sq += (int32_t)x[j] * (int32_t)x[j];
  }
  const int32_t mean = (int32_t)(sum * 1024 / n);
  const int32_t temp = (1 << 20) / n;
  const int64_t variance = sum_sq * temp - (int64_t)mean * (int64_t)mean;
  int32_t variance2 = (int32_t)(variance / (1 << 20));
  if (variance2 < 1) variance2 = variance_guard;
  int32_t inv_multiplier, inv_shift;
  inv_sqrt_multiplier(variance2, &inv_multiplier, &inv_shift);
  for (int32_t j = 0; j < n; ++j) {
    const int32_t shifted = 1024 * (int32_t)x[j] - mean;
    const int32_t rescaled = mtvm_multiply_by_quantized_multiplier(shifted, inv_multiplier, inv_shift);
    /* int32 product and sum (wrapping like TFLite's), then widened. */
    const int64_t val3 = (int32_t)((uint32_t)rescaled * (uint32_t)(int32_t)weights[j] + (uint32_t)bias[j]);
    const int32_t val4 = (int32_t)((val3 > 0 ? val3 + 512 : val3 - 512) / 1024);
    x[j] = sat16(mtvm_multiply_by_quantized_multiplier(val4, multiplier, shift + 12));
  }
}

/* ---------------------------------------------------------------------------------------------
 * The step. */

/* out = sat16(MBQM(bias + W . v) + out), TFLite's MatrixBatchVectorMultiplyAccumulate (int16). */
static void matmul_accumulate(const int8_t* weights, const int32_t* bias, const int8_t* v, int32_t n_rows,
                              int32_t n_cols, int32_t multiplier, int32_t shift, int16_t* out) {
  for (int32_t r = 0; r < n_rows; ++r) {
    const int8_t* row = weights + (size_t)r * (size_t)n_cols;
    uint32_t acc = (uint32_t)bias[r];
    for (int32_t c = 0; c < n_cols; ++c) acc += (uint32_t)((int32_t)v[c] * (int32_t)row[c]);
    const int32_t y = mtvm_multiply_by_quantized_multiplier((int32_t)acc, multiplier, shift) + out[r];
    out[r] = sat16(y);
  }
}

static void gate(const mtvm_lstm_s8_params_t* p, const mtvm_lstm_s8_weights_t* w, int g, const int8_t* x,
                 const int8_t* h, const int16_t* c, int16_t* out) {
  const int32_t n_cell = p->n_cell;
  memset(out, 0, (size_t)n_cell * sizeof(int16_t));
  matmul_accumulate(w->input_weights[g], w->input_bias[g], x, n_cell, p->n_input, p->input_multiplier[g],
                    p->input_shift[g], out);
  matmul_accumulate(w->recurrent_weights[g], w->recurrent_bias[g], h, n_cell, p->n_output,
                    p->recurrent_multiplier[g], p->recurrent_shift[g], out);
  if (w->peephole[g] != NULL) {
    for (int32_t k = 0; k < n_cell; ++k) {
      const int32_t prod = mtvm_multiply_by_quantized_multiplier((int32_t)w->peephole[g][k] * (int32_t)c[k],
                                                                 p->peephole_multiplier[g], p->peephole_shift[g]);
      out[k] = sat16(prod + out[k]);
    }
  }
  if (w->layer_norm[g] != NULL) {
    layer_norm_s16(out, n_cell, w->layer_norm[g], w->layer_norm_bias[g], p->layer_norm_multiplier[g],
                   p->layer_norm_shift[g], p->variance_guard[g]);
  }
  for (int32_t k = 0; k < n_cell; ++k) out[k] = g == MTVM_LSTM_G ? tanh_q(out[k], 3) : sigmoid_q3(out[k]);
}

static void step(const mtvm_lstm_s8_params_t* p, const mtvm_lstm_s8_weights_t* w, const int8_t* x, int8_t* h,
                 int16_t* c, int8_t* out, int16_t* gates, int8_t* hidden) {
  const int32_t n_cell = p->n_cell;
  const int cifg = w->input_weights[MTVM_LSTM_I] == NULL;
  int16_t* ig = gates;
  int16_t* fg = gates + n_cell;
  int16_t* gg = gates + 2 * n_cell;
  int16_t* og = gates + 3 * n_cell;
  if (!cifg) gate(p, w, MTVM_LSTM_I, x, h, c, ig);
  gate(p, w, MTVM_LSTM_F, x, h, c, fg);
  gate(p, w, MTVM_LSTM_G, x, h, c, gg);
  /* UpdateLstmCellInteger. */
  const int shift = 30 + p->cell_scale;
  for (int32_t k = 0; k < n_cell; ++k) {
    const int16_t kept = wrap16(mtvm_rounding_divide_by_pot((int32_t)fg[k] * (int32_t)c[k], 15));
    const int16_t in = cifg ? wrap16(INT16_MAX - fg[k]) : ig[k];
    const int16_t added = wrap16(mtvm_rounding_divide_by_pot((int32_t)in * (int32_t)gg[k], shift));
    int16_t ck = sat16((int32_t)kept + (int32_t)added);
    if (p->cell_clip > 0) ck = (int16_t)mtvm_clamp_i32(ck, -p->cell_clip, p->cell_clip);
    c[k] = ck;
  }
  gate(p, w, MTVM_LSTM_O, x, h, c, og);
  /* CalculateLstmOutputInteger8x8_16: tanh(c) into the input gate's scratch (free now). With a
     cell scale below 2^-15 the tanh input would have negative integer bits, for which TFLite's
     ApplyTanh has no case and writes nothing: the scratch keeps the input gate, and LiteRT's
     hidden value is o * i. Reproduced as is (CIFG, whose scratch LiteRT never writes, is refused
     at generation time). */
  if (15 + p->cell_scale >= 0) {
    for (int32_t k = 0; k < n_cell; ++k) ig[k] = tanh_q(c[k], 15 + p->cell_scale);
  }
  for (int32_t k = 0; k < n_cell; ++k) {
    int32_t v = mtvm_multiply_by_quantized_multiplier((int32_t)og[k] * (int32_t)ig[k], p->hidden_multiplier,
                                                      p->hidden_shift);
    v += p->hidden_offset;
    hidden[k] = (int8_t)mtvm_clamp_i32(v, INT8_MIN, INT8_MAX);
  }
  if (w->projection_weights != NULL) {
    for (int32_t r = 0; r < p->n_output; ++r) {
      const int8_t* row = w->projection_weights + (size_t)r * (size_t)n_cell;
      uint32_t acc = (uint32_t)w->projection_bias[r];
      for (int32_t k = 0; k < n_cell; ++k) acc += (uint32_t)((int32_t)hidden[k] * (int32_t)row[k]);
      int32_t y = mtvm_multiply_by_quantized_multiplier((int32_t)acc, p->projection_multiplier, p->projection_shift);
      y = mtvm_clamp_i32(y + p->output_state_zero_point, INT8_MIN, INT8_MAX);
      if (p->proj_clip > 0) y = mtvm_clamp_i32(y, -p->proj_clip, p->proj_clip);
      h[r] = (int8_t)y;
    }
  } else {
    memcpy(h, hidden, (size_t)p->n_output);
  }
  memcpy(out, h, (size_t)p->n_output);
}

void mtvm_lstm_s8(const mtvm_lstm_s8_params_t* p, const mtvm_lstm_s8_weights_t* w, const int8_t* input,
                  int8_t* output_state, int16_t* cell_state, int8_t* output, void* scratch) {
  int16_t* gates = (int16_t*)scratch;
  int8_t* hidden = (int8_t*)(gates + 4 * p->n_cell);
  for (int32_t t = 0; t < p->n_time; ++t) {
    for (int32_t b = 0; b < p->n_batch; ++b) {
      const size_t row = p->time_major ? (size_t)t * (size_t)p->n_batch + (size_t)b
                                       : (size_t)b * (size_t)p->n_time + (size_t)t;
      step(p, w, input + row * (size_t)p->n_input, output_state + (size_t)b * (size_t)p->n_output,
           cell_state + (size_t)b * (size_t)p->n_cell, output + row * (size_t)p->n_output, gates, hidden);
    }
  }
}
