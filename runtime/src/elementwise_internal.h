/*
 * What the elementwise kernels share (addsub_*.c, mul_*.c, minmax_*.c): TFLite's per-element
 * arithmetic of ADD/SUB and MUL on quantized values, and MAXIMUM/MINIMUM. Family-internal:
 * generated code includes mtvm/elementwise.h only.
 */
#ifndef MTVM_ELEMENTWISE_INTERNAL_H_
#define MTVM_ELEMENTWISE_INTERNAL_H_

#include <stdint.h>

#include "mtvm/elementwise.h"
#include "mtvm/quant.h"

/* One input of a quantized ADD/SUB on the common scale: (offset + x) with `left_shift` bits of
   headroom, rescaled by the input's multiplier (TFLite's AddElementwise / SubElementwise, whose
   Prepare chose left_shift 20 for int8 and 15 for int16, so that (offset + x) * 2^left_shift
   stays inside int32). */
static inline int32_t mtvm_addsub_rescale(int32_t offset, int32_t x, int32_t multiplier, int32_t shift,
                                          int32_t left_shift) {
  const int32_t shifted = (offset + x) * ((int32_t)1 << left_shift);
  return mtvm_multiply_by_quantized_multiplier(shifted, multiplier, (int)shift);
}

/* The sum or difference of the rescaled inputs, rescaled to the output and clamped. */
static inline int32_t mtvm_addsub_output(const mtvm_addsub_s8_params_t* p, int32_t raw) {
  const int32_t out =
      mtvm_multiply_by_quantized_multiplier(raw, p->output_multiplier, (int)p->output_shift) + p->output_offset;
  return mtvm_clamp_i32(out, p->act_min, p->act_max);
}

/* ADD (sign 1) or SUB (sign -1) of one pair of elements, TFLite's general path. */
static inline int32_t mtvm_addsub_elem(const mtvm_addsub_s8_params_t* p, int32_t a, int32_t b, int32_t sign) {
  const int32_t x1 = mtvm_addsub_rescale(p->input1_offset, a, p->input1_multiplier, p->input1_shift, p->left_shift);
  const int32_t x2 = mtvm_addsub_rescale(p->input2_offset, b, p->input2_multiplier, p->input2_shift, p->left_shift);
  return mtvm_addsub_output(p, sign > 0 ? x1 + x2 : x1 - x2);
}

/* MUL of one pair of elements: (offset1 + a) * (offset2 + b) rescaled once to the output
   (MulElementwise). The product of two int8 (or zero-point-0 int16) values fits an int32. */
static inline int32_t mtvm_mul_elem(const mtvm_mul_s8_params_t* p, int32_t a, int32_t b) {
  const int32_t product = (p->input1_offset + a) * (p->input2_offset + b);
  const int32_t out =
      mtvm_multiply_by_quantized_multiplier(product, p->output_multiplier, (int)p->output_shift) + p->output_offset;
  return mtvm_clamp_i32(out, p->act_min, p->act_max);
}

/* MAXIMUM/MINIMUM compare stored values, with TFLite's choice of operand on ties and NaN
   (a > b ? a : b keeps b when they compare unordered). Macros, as the element type varies. */
#define MTVM_MAX_ELEM(p, a, b) ((void)(p), (a) > (b) ? (a) : (b))
#define MTVM_MIN_ELEM(p, a, b) ((void)(p), (a) < (b) ? (a) : (b))

#endif /* MTVM_ELEMENTWISE_INTERNAL_H_ */
