/* Quantized int8 SQUARED_DIFFERENCE and PRELU (see mtvm/arith.h for the arithmetic). */
#include <stdint.h>

#include "mtvm/arith.h"

/* MultiplyByQuantizedMultiplierSmallerThanOneExp: shift <= 0. */
static inline int32_t mtvm__scale_down(int32_t x, int32_t multiplier, int32_t shift) {
  return mtvm_rounding_divide_by_pot(mtvm_sat_round_doubling_high_mul(x, multiplier), (int)-shift);
}

static inline int8_t mtvm__squared_difference_s8(const mtvm_squared_difference_s8_params_t* p, int8_t a,
                                                 int8_t b) {
  const int32_t x1 = mtvm__scale_down((p->input1_offset + a) * ((int32_t)1 << p->left_shift),
                                      p->input1_multiplier, p->input1_shift);
  const int32_t x2 = mtvm__scale_down((p->input2_offset + b) * ((int32_t)1 << p->left_shift),
                                      p->input2_multiplier, p->input2_shift);
  const int32_t diff = x1 - x2; /* |diff| < 2^15: its square fits */
  const int32_t out = mtvm__scale_down(diff * diff, p->output_multiplier, p->output_shift) + p->output_offset;
  return (int8_t)mtvm_clamp_i32(out, -128, 127);
}

static inline int8_t mtvm__prelu_s8(const mtvm_prelu_s8_params_t* p, int8_t q, int8_t alpha) {
  const int32_t x = p->input_offset + q;
  int32_t out;
  if (x >= 0) {
    out = mtvm_multiply_by_quantized_multiplier(x, p->output_multiplier_1, (int)p->output_shift_1);
  } else {
    out = mtvm_multiply_by_quantized_multiplier(x * (p->alpha_offset + alpha), p->output_multiplier_2,
                                                (int)p->output_shift_2);
  }
  return (int8_t)mtvm_clamp_i32(out + p->output_offset, -128, 127);
}

MTVM_DEFINE_BCAST_BINARY(mtvm_squared_difference_s8, int8_t, int8_t, int8_t, mtvm_squared_difference_s8_params_t,
                         mtvm__squared_difference_s8)
MTVM_DEFINE_BCAST_BINARY(mtvm_prelu_s8, int8_t, int8_t, int8_t, mtvm_prelu_s8_params_t, mtvm__prelu_s8)
