/*
 * DIV, FLOOR_DIV, FLOOR_MOD, SQUARED_DIFFERENCE, PRELU (broadcasting, mtvm/broadcast.h) and ADD_N.
 * Generator: tools/microtvm/microtvm/ops/arith.py, which documents the semantics of each type.
 * Sources: arith_f32.c (float32), arith_int.c (integers), arith_s8.c (quantized int8),
 * div_q.c (quantized int8/int16 DIV).
 */
#ifndef MTVM_ARITH_H_
#define MTVM_ARITH_H_

#include <stdint.h>

#include "mtvm/broadcast.h"
#include "mtvm/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t size; /* output elements */
  mtvm_bcast_t bcast;
} mtvm_arith_params_t;

/* DIV: the quotient clamped to the fused activation's range. */
typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
  float act_min;
  float act_max;
} mtvm_div_f32_params_t;

typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
  int32_t act_min;
  int32_t act_max;
} mtvm_div_s32_params_t;

/* int8 SQUARED_DIFFERENCE: LiteRT's scheme (squared_difference.cc). Each input becomes
   RDBPOT(SRDHM((q + offset) << left_shift, multiplier), -shift) (shifts <= 0), the difference is
   squared and rescaled the same way to the output, plus its zero point, clamped to int8. */
typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
  int32_t input1_offset;
  int32_t input1_multiplier;
  int32_t input1_shift;
  int32_t input2_offset;
  int32_t input2_multiplier;
  int32_t input2_shift;
  int32_t left_shift;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t output_offset;
} mtvm_squared_difference_s8_params_t;

/* int8 PRELU (reference_ops::BroadcastPrelu4DSlow): x = q + input_offset; x >= 0 is rescaled by
   multiplier 1 (s_in / s_out), x < 0 times (alpha + alpha_offset) by multiplier 2
   (s_in * s_alpha / s_out); plus the output zero point, clamped to int8. */
typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
  int32_t input_offset;
  int32_t alpha_offset;
  int32_t output_offset;
  int32_t output_multiplier_1;
  int32_t output_shift_1;
  int32_t output_multiplier_2;
  int32_t output_shift_2;
} mtvm_prelu_s8_params_t;

typedef struct {
  int32_t size;  /* elements of every input and of the output */
  int32_t count; /* number of inputs */
} mtvm_add_n_params_t;

/* Quantized DIV (int8, int16): LiteRT's reference DivElementwise (div.h), in div_q.c.
   v1 = q1 + input1_offset, v2 = q2 + input2_offset (signs moved so that v2 > 0); 1 / v2 is
   TFLite's GetReciprocal (v2 normalised to [1, 2) in Q0.31 and inverted by gemmlowp's
   Newton-Raphson one_over_one_plus_x_for_x_in_0_1, recip_shift = 31 - clz(v2)); v1, shifted
   left by its headroom (leading sign bits), is multiplied by it (SaturatingRoundingDoublingHighMul)
   and then by the output multiplier, and divided by 2^(headroom + recip_shift - output_shift)
   with RoundingDivideByPOT; plus the output zero point, clamped to [act_min, act_max]. */
typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t output_offset;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t act_min;
  int32_t act_max;
} mtvm_div_q_params_t;

#define MTVM_DECLARE_BINARY(NAME, P, T) void mtvm_##NAME(const P* p, const T* in1, const T* in2, T* out);

MTVM_DECLARE_BINARY(div_f32, mtvm_div_f32_params_t, float)
MTVM_DECLARE_BINARY(div_s32, mtvm_div_s32_params_t, int32_t)
MTVM_DECLARE_BINARY(div_s8, mtvm_div_q_params_t, int8_t)
MTVM_DECLARE_BINARY(div_s16, mtvm_div_q_params_t, int16_t)
MTVM_DECLARE_BINARY(floor_div_f32, mtvm_arith_params_t, float)
MTVM_DECLARE_BINARY(floor_div_s8, mtvm_arith_params_t, int8_t)
MTVM_DECLARE_BINARY(floor_div_s16, mtvm_arith_params_t, int16_t)
MTVM_DECLARE_BINARY(floor_div_s32, mtvm_arith_params_t, int32_t)
MTVM_DECLARE_BINARY(floor_mod_f32, mtvm_arith_params_t, float)
MTVM_DECLARE_BINARY(floor_mod_s8, mtvm_arith_params_t, int8_t)
MTVM_DECLARE_BINARY(floor_mod_s16, mtvm_arith_params_t, int16_t)
MTVM_DECLARE_BINARY(floor_mod_s32, mtvm_arith_params_t, int32_t)
MTVM_DECLARE_BINARY(floor_mod_s64, mtvm_arith_params_t, int64_t)
MTVM_DECLARE_BINARY(squared_difference_f32, mtvm_arith_params_t, float)
MTVM_DECLARE_BINARY(squared_difference_s32, mtvm_arith_params_t, int32_t)
MTVM_DECLARE_BINARY(squared_difference_s8, mtvm_squared_difference_s8_params_t, int8_t)
MTVM_DECLARE_BINARY(prelu_f32, mtvm_arith_params_t, float)
MTVM_DECLARE_BINARY(prelu_s8, mtvm_prelu_s8_params_t, int8_t)
#undef MTVM_DECLARE_BINARY

void mtvm_add_n_f32(const mtvm_add_n_params_t* p, const float* const* inputs, float* out);
void mtvm_add_n_s32(const mtvm_add_n_params_t* p, const int32_t* const* inputs, int32_t* out);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_ARITH_H_ */
