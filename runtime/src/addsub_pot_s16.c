/*
 * int16 ADD and SUB on TFLite's power-of-two path (see mtvm/elementwise.h), for LSTM-style
 * fixed-point tensors: scales 2^k, zero points 0. The input whose scale is finer than the output's
 * is divided by 2^shift with gemmlowp's int16 RoundingDivideByPOT (the other shift is 0, an
 * identity); the results are added (subtracted) as Q0.15 values with int16 saturation, as
 * gemmlowp's SaturatingAdd does, and clamped to the fused activation range. TFLite's broadcasting
 * SUB clamps the int32 difference to the activation range directly, which is the same because
 * that range lies inside int16.
 */
#include <stdint.h>

#include "mtvm/elementwise.h"
#include "mtvm/quant.h"

static inline int16_t mtvm_pot_finish(const mtvm_addsub_pot_s16_params_t* p, int32_t raw) {
  const int32_t saturated = mtvm_clamp_i32(raw, INT16_MIN, INT16_MAX);
  return (int16_t)mtvm_clamp_i32(saturated, p->act_min, p->act_max);
}

static inline int16_t mtvm_add_pot_elem(const mtvm_addsub_pot_s16_params_t* p, int16_t a, int16_t b) {
  const int32_t x1 = mtvm_rounding_divide_by_pot_s16(a, (int)p->input1_shift);
  const int32_t x2 = mtvm_rounding_divide_by_pot_s16(b, (int)p->input2_shift);
  return mtvm_pot_finish(p, x1 + x2);
}

static inline int16_t mtvm_sub_pot_elem(const mtvm_addsub_pot_s16_params_t* p, int16_t a, int16_t b) {
  const int32_t x1 = mtvm_rounding_divide_by_pot_s16(a, (int)p->input1_shift);
  const int32_t x2 = mtvm_rounding_divide_by_pot_s16(b, (int)p->input2_shift);
  return mtvm_pot_finish(p, x1 - x2);
}

MTVM_DEFINE_BINARY_KERNEL(add_pot_s16, int16_t, mtvm_addsub_pot_s16_params_t, mtvm_add_pot_elem)
MTVM_DEFINE_BINARY_KERNEL(sub_pot_s16, int16_t, mtvm_addsub_pot_s16_params_t, mtvm_sub_pot_elem)
