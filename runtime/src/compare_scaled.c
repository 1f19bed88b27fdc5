/*
 * Quantized comparisons (int8; int16 EQUAL/NOT_EQUAL), LiteRT's ComparisonWithScaling: both
 * operands are brought to real values on a common fixed-point scale (mtvm_compare_rescale in
 * mtvm/compare.h) and those integers are compared, so equality is "equal after rounding".
 */
#include <stdint.h>

#include "mtvm/compare.h"

#define MTVM__R1(p, a) mtvm_compare_rescale((a), (p)->input1_offset, (p)->input1_multiplier, (p)->input1_shift, (p)->left_shift)
#define MTVM__R2(p, b) mtvm_compare_rescale((b), (p)->input2_offset, (p)->input2_multiplier, (p)->input2_shift, (p)->left_shift)
#define MTVM__EQ(p, a, b) ((uint8_t)(MTVM__R1(p, a) == MTVM__R2(p, b)))
#define MTVM__NE(p, a, b) ((uint8_t)(MTVM__R1(p, a) != MTVM__R2(p, b)))
#define MTVM__GT(p, a, b) ((uint8_t)(MTVM__R1(p, a) > MTVM__R2(p, b)))
#define MTVM__GE(p, a, b) ((uint8_t)(MTVM__R1(p, a) >= MTVM__R2(p, b)))
#define MTVM__LT(p, a, b) ((uint8_t)(MTVM__R1(p, a) < MTVM__R2(p, b)))
#define MTVM__LE(p, a, b) ((uint8_t)(MTVM__R1(p, a) <= MTVM__R2(p, b)))

#define MTVM__DEFINE_ALL(T, S)                                                                                  \
  MTVM_DEFINE_BCAST_BINARY(mtvm_equal_##S##_scaled, T, T, uint8_t, mtvm_compare_scaled_params_t, MTVM__EQ)         \
  MTVM_DEFINE_BCAST_BINARY(mtvm_not_equal_##S##_scaled, T, T, uint8_t, mtvm_compare_scaled_params_t, MTVM__NE)     \
  MTVM_DEFINE_BCAST_BINARY(mtvm_greater_##S##_scaled, T, T, uint8_t, mtvm_compare_scaled_params_t, MTVM__GT)       \
  MTVM_DEFINE_BCAST_BINARY(mtvm_greater_equal_##S##_scaled, T, T, uint8_t, mtvm_compare_scaled_params_t, MTVM__GE) \
  MTVM_DEFINE_BCAST_BINARY(mtvm_less_##S##_scaled, T, T, uint8_t, mtvm_compare_scaled_params_t, MTVM__LT)          \
  MTVM_DEFINE_BCAST_BINARY(mtvm_less_equal_##S##_scaled, T, T, uint8_t, mtvm_compare_scaled_params_t, MTVM__LE)

MTVM__DEFINE_ALL(int8_t, s8)
MTVM__DEFINE_ALL(int16_t, s16)
