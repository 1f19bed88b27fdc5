/* float32 MUL (see mtvm/elementwise.h): the product clamped to the fused activation's range,
   with broadcasting. */
#include <stdint.h>

#include "mtvm/elementwise.h"
#include "mtvm/quant.h"

static inline float mtvm_mul_f32_elem(const mtvm_arith_f32_params_t* p, float a, float b) {
  return mtvm_clamp_f32(a * b, p->act_min, p->act_max);
}

MTVM_DEFINE_BINARY_KERNEL(mul_f32, float, mtvm_arith_f32_params_t, mtvm_mul_f32_elem)
