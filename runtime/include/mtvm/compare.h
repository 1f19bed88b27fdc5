/*
 * Comparisons (EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL), LOGICAL_AND/OR/NOT and
 * SELECT_V2, with broadcasting (mtvm/broadcast.h). Generator: tools/microtvm/microtvm/ops/compare.py.
 * bool tensors are uint8_t holding 0 or 1.
 *
 * Sources: compare_f32.c (float32), compare_int.c (int16, int32, int64, bool: stored values),
 * compare_scaled.c (int8 and quantized int16 EQUAL/NOT_EQUAL: LiteRT's rescaled comparison),
 * logical.c, select.c.
 */
#ifndef MTVM_COMPARE_H_
#define MTVM_COMPARE_H_

#include <stdint.h>

#include "mtvm/broadcast.h"
#include "mtvm/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t size; /* output elements */
  mtvm_bcast_t bcast;
} mtvm_compare_params_t;

/*
 * LiteRT's ComparisonWithScaling: each operand becomes
 *   MultiplyByQuantizedMultiplierSmallerThanOneExp((q + offset) << left_shift, multiplier, shift)
 * (shift <= 0), i.e. its real value on a common fixed-point scale, and those integers are compared.
 */
typedef struct {
  int32_t size;
  mtvm_bcast_t bcast;
  int32_t input1_offset; /* -zero point */
  int32_t input1_multiplier;
  int32_t input1_shift;
  int32_t input2_offset;
  int32_t input2_multiplier;
  int32_t input2_shift;
  int32_t left_shift;
} mtvm_compare_scaled_params_t;

static inline int32_t mtvm_compare_rescale(int32_t q, int32_t offset, int32_t multiplier, int32_t shift,
                                           int32_t left_shift) {
  const int32_t shifted = (q + offset) * ((int32_t)1 << left_shift); /* |.| <= 65535 * 256 for int16 */
  return mtvm_rounding_divide_by_pot(mtvm_sat_round_doubling_high_mul(shifted, multiplier), (int)-shift);
}

typedef struct {
  int32_t size;
} mtvm_logical_not_params_t;

typedef struct {
  int32_t size; /* output elements */
  mtvm_bcast3_t bcast; /* operands: condition, x, y */
} mtvm_select_params_t;

#define MTVM_DECLARE_COMPARE(T, SUFFIX)                                                                     \
  void mtvm_equal_##SUFFIX(const mtvm_compare_params_t* p, const T* in1, const T* in2, uint8_t* out);         \
  void mtvm_not_equal_##SUFFIX(const mtvm_compare_params_t* p, const T* in1, const T* in2, uint8_t* out);     \
  void mtvm_greater_##SUFFIX(const mtvm_compare_params_t* p, const T* in1, const T* in2, uint8_t* out);       \
  void mtvm_greater_equal_##SUFFIX(const mtvm_compare_params_t* p, const T* in1, const T* in2, uint8_t* out); \
  void mtvm_less_##SUFFIX(const mtvm_compare_params_t* p, const T* in1, const T* in2, uint8_t* out);          \
  void mtvm_less_equal_##SUFFIX(const mtvm_compare_params_t* p, const T* in1, const T* in2, uint8_t* out);

#define MTVM_DECLARE_COMPARE_SCALED(T, SUFFIX)                                                              \
  void mtvm_equal_##SUFFIX##_scaled(const mtvm_compare_scaled_params_t* p, const T* in1, const T* in2,        \
                                    uint8_t* out);                                                          \
  void mtvm_not_equal_##SUFFIX##_scaled(const mtvm_compare_scaled_params_t* p, const T* in1, const T* in2,    \
                                        uint8_t* out);                                                      \
  void mtvm_greater_##SUFFIX##_scaled(const mtvm_compare_scaled_params_t* p, const T* in1, const T* in2,      \
                                      uint8_t* out);                                                        \
  void mtvm_greater_equal_##SUFFIX##_scaled(const mtvm_compare_scaled_params_t* p, const T* in1, const T* in2,\
                                            uint8_t* out);                                                  \
  void mtvm_less_##SUFFIX##_scaled(const mtvm_compare_scaled_params_t* p, const T* in1, const T* in2,         \
                                   uint8_t* out);                                                           \
  void mtvm_less_equal_##SUFFIX##_scaled(const mtvm_compare_scaled_params_t* p, const T* in1, const T* in2,   \
                                         uint8_t* out);

MTVM_DECLARE_COMPARE(float, f32)
MTVM_DECLARE_COMPARE(int16_t, s16)
MTVM_DECLARE_COMPARE(int32_t, s32)
MTVM_DECLARE_COMPARE(int64_t, s64)
MTVM_DECLARE_COMPARE(uint8_t, b) /* only EQUAL and NOT_EQUAL are generated for bool */
MTVM_DECLARE_COMPARE_SCALED(int8_t, s8)
MTVM_DECLARE_COMPARE_SCALED(int16_t, s16)

#undef MTVM_DECLARE_COMPARE
#undef MTVM_DECLARE_COMPARE_SCALED

void mtvm_logical_and(const mtvm_compare_params_t* p, const uint8_t* in1, const uint8_t* in2, uint8_t* out);
void mtvm_logical_or(const mtvm_compare_params_t* p, const uint8_t* in1, const uint8_t* in2, uint8_t* out);
void mtvm_logical_not(const mtvm_logical_not_params_t* p, const uint8_t* in, uint8_t* out);

/* SELECT_V2 on elements of 8, 16, 32 or 64 bits (any type: values are copied). */
void mtvm_select_8(const mtvm_select_params_t* p, const uint8_t* cond, const void* x, const void* y, void* out);
void mtvm_select_16(const mtvm_select_params_t* p, const uint8_t* cond, const void* x, const void* y, void* out);
void mtvm_select_32(const mtvm_select_params_t* p, const uint8_t* cond, const void* x, const void* y, void* out);
void mtvm_select_64(const mtvm_select_params_t* p, const uint8_t* cond, const void* x, const void* y, void* out);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_COMPARE_H_ */
