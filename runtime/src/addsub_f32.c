/* float32 ADD and SUB (see mtvm/elementwise.h): the result clamped to the fused activation's
   range, with broadcasting. */
#include <stdint.h>

#include "mtvm/elementwise.h"
#include "mtvm/quant.h"

static inline float mtvm_add_f32_elem(const mtvm_arith_f32_params_t* p, float a, float b) {
  return mtvm_clamp_f32(a + b, p->act_min, p->act_max);
}

static inline float mtvm_sub_f32_elem(const mtvm_arith_f32_params_t* p, float a, float b) {
  return mtvm_clamp_f32(a - b, p->act_min, p->act_max);
}

MTVM_DEFINE_BINARY_KERNEL(add_f32, float, mtvm_arith_f32_params_t, mtvm_add_f32_elem)
MTVM_DEFINE_BINARY_KERNEL(sub_f32, float, mtvm_arith_f32_params_t, mtvm_sub_f32_elem)
