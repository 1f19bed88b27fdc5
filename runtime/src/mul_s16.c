/*
 * int16 MUL (see mtvm/elementwise.h): TFLite's reference_integer_ops MulElementwise on int16.
 * Zero points are 0 (TFLite requires it), so the product of two int16 values is below 2^30 and
 * fits the int32 that MultiplyByQuantizedMultiplier takes.
 */
#include <stdint.h>

#include "mtvm/elementwise.h"
#include "mtvm/quant.h"

static inline int16_t mtvm__mul_s16_elem(const mtvm_mul_s16_params_t* p, int16_t a, int16_t b) {
  const int32_t product = (p->input1_offset + (int32_t)a) * (p->input2_offset + (int32_t)b);
  const int32_t out =
      mtvm_multiply_by_quantized_multiplier(product, p->output_multiplier, (int)p->output_shift) + p->output_offset;
  return (int16_t)mtvm_clamp_i32(out, p->act_min, p->act_max);
}

MTVM_DEFINE_BINARY_KERNEL(mul_s16, int16_t, mtvm_mul_s16_params_t, mtvm__mul_s16_elem)
