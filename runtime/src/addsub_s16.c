/*
 * int16 ADD and SUB on TFLite's general path (see mtvm/elementwise.h): the same arithmetic as the
 * int8 kernels (reference AddElementwise / SubElementwise) with 15 bits of headroom instead of 20,
 * which keeps (x - zp) * 2^15 inside int32 for every int16 x. Shifts are <= 0 (TFLite's
 * QuantizeMultiplierSmallerThanOneExp), so MultiplyByQuantizedMultiplier is exactly its
 * "SmallerThanOneExp" form.
 */
#include <stdint.h>

#include "mtvm/elementwise.h"
#include "mtvm/quant.h"

static inline int32_t mtvm__rescale_s16(int32_t offset, int16_t x, int32_t multiplier, int32_t shift, int32_t left) {
  const int32_t shifted = (offset + (int32_t)x) * ((int32_t)1 << left);
  return mtvm_multiply_by_quantized_multiplier(shifted, multiplier, (int)shift);
}

static inline int16_t mtvm__addsub_s16_finish(const mtvm_addsub_s16_params_t* p, int32_t raw) {
  const int32_t out =
      mtvm_multiply_by_quantized_multiplier(raw, p->output_multiplier, (int)p->output_shift) + p->output_offset;
  return (int16_t)mtvm_clamp_i32(out, p->act_min, p->act_max);
}

static inline int16_t mtvm__add_s16_elem(const mtvm_addsub_s16_params_t* p, int16_t a, int16_t b) {
  const int32_t x1 = mtvm__rescale_s16(p->input1_offset, a, p->input1_multiplier, p->input1_shift, p->left_shift);
  const int32_t x2 = mtvm__rescale_s16(p->input2_offset, b, p->input2_multiplier, p->input2_shift, p->left_shift);
  return mtvm__addsub_s16_finish(p, x1 + x2);
}

static inline int16_t mtvm__sub_s16_elem(const mtvm_addsub_s16_params_t* p, int16_t a, int16_t b) {
  const int32_t x1 = mtvm__rescale_s16(p->input1_offset, a, p->input1_multiplier, p->input1_shift, p->left_shift);
  const int32_t x2 = mtvm__rescale_s16(p->input2_offset, b, p->input2_multiplier, p->input2_shift, p->left_shift);
  return mtvm__addsub_s16_finish(p, x1 - x2);
}

MTVM_DEFINE_BINARY_KERNEL(add_s16, int16_t, mtvm_addsub_s16_params_t, mtvm__add_s16_elem)
MTVM_DEFINE_BINARY_KERNEL(sub_s16, int16_t, mtvm_addsub_s16_params_t, mtvm__sub_s16_elem)
