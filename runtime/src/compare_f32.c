/* float32 comparisons (IEEE: NaN compares unequal to everything, -0 equals 0). */
#include <stdint.h>

#include "mtvm/compare.h"

#define MTVM__EQ(p, a, b) ((void)(p), (uint8_t)((a) == (b)))
#define MTVM__NE(p, a, b) ((void)(p), (uint8_t)((a) != (b)))
#define MTVM__GT(p, a, b) ((void)(p), (uint8_t)((a) > (b)))
#define MTVM__GE(p, a, b) ((void)(p), (uint8_t)((a) >= (b)))
#define MTVM__LT(p, a, b) ((void)(p), (uint8_t)((a) < (b)))
#define MTVM__LE(p, a, b) ((void)(p), (uint8_t)((a) <= (b)))

MTVM_DEFINE_BCAST_BINARY(mtvm_equal_f32, float, float, uint8_t, mtvm_compare_params_t, MTVM__EQ)
MTVM_DEFINE_BCAST_BINARY(mtvm_not_equal_f32, float, float, uint8_t, mtvm_compare_params_t, MTVM__NE)
MTVM_DEFINE_BCAST_BINARY(mtvm_greater_f32, float, float, uint8_t, mtvm_compare_params_t, MTVM__GT)
MTVM_DEFINE_BCAST_BINARY(mtvm_greater_equal_f32, float, float, uint8_t, mtvm_compare_params_t, MTVM__GE)
MTVM_DEFINE_BCAST_BINARY(mtvm_less_f32, float, float, uint8_t, mtvm_compare_params_t, MTVM__LT)
MTVM_DEFINE_BCAST_BINARY(mtvm_less_equal_f32, float, float, uint8_t, mtvm_compare_params_t, MTVM__LE)
