/* Comparisons of stored integer values: int16, int32, int64, and bool (EQUAL/NOT_EQUAL). */
#include <stdint.h>

#include "mtvm/compare.h"

#define MTVM__EQ(p, a, b) ((void)(p), (uint8_t)((a) == (b)))
#define MTVM__NE(p, a, b) ((void)(p), (uint8_t)((a) != (b)))
#define MTVM__GT(p, a, b) ((void)(p), (uint8_t)((a) > (b)))
#define MTVM__GE(p, a, b) ((void)(p), (uint8_t)((a) >= (b)))
#define MTVM__LT(p, a, b) ((void)(p), (uint8_t)((a) < (b)))
#define MTVM__LE(p, a, b) ((void)(p), (uint8_t)((a) <= (b)))
/* bool: any non-zero byte is true (tensors hold 0/1; this keeps other bytes meaningful). */
#define MTVM__BEQ(p, a, b) ((void)(p), (uint8_t)(((a) != 0) == ((b) != 0)))
#define MTVM__BNE(p, a, b) ((void)(p), (uint8_t)(((a) != 0) != ((b) != 0)))

#define MTVM__DEFINE_ALL(T, SUFFIX)                                                                    \
  MTVM_DEFINE_BCAST_BINARY(mtvm_equal_##SUFFIX, T, T, uint8_t, mtvm_compare_params_t, MTVM__EQ)         \
  MTVM_DEFINE_BCAST_BINARY(mtvm_not_equal_##SUFFIX, T, T, uint8_t, mtvm_compare_params_t, MTVM__NE)     \
  MTVM_DEFINE_BCAST_BINARY(mtvm_greater_##SUFFIX, T, T, uint8_t, mtvm_compare_params_t, MTVM__GT)       \
  MTVM_DEFINE_BCAST_BINARY(mtvm_greater_equal_##SUFFIX, T, T, uint8_t, mtvm_compare_params_t, MTVM__GE) \
  MTVM_DEFINE_BCAST_BINARY(mtvm_less_##SUFFIX, T, T, uint8_t, mtvm_compare_params_t, MTVM__LT)          \
  MTVM_DEFINE_BCAST_BINARY(mtvm_less_equal_##SUFFIX, T, T, uint8_t, mtvm_compare_params_t, MTVM__LE)

MTVM__DEFINE_ALL(int16_t, s16)
MTVM__DEFINE_ALL(int32_t, s32)
MTVM__DEFINE_ALL(int64_t, s64)
MTVM_DEFINE_BCAST_BINARY(mtvm_equal_b, uint8_t, uint8_t, uint8_t, mtvm_compare_params_t, MTVM__BEQ)
MTVM_DEFINE_BCAST_BINARY(mtvm_not_equal_b, uint8_t, uint8_t, uint8_t, mtvm_compare_params_t, MTVM__BNE)
