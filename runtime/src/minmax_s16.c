/*
 * int16 MAXIMUM and MINIMUM (see mtvm/elementwise.h): stored values are compared, as TFLite does
 * (no requantization even when the tensors' scales differ).
 */
#include <stdint.h>

#include "mtvm/elementwise.h"

#define MTVM__MAX_S16(p, a, b) ((void)(p), (a) > (b) ? (a) : (b))
#define MTVM__MIN_S16(p, a, b) ((void)(p), (a) < (b) ? (a) : (b))

MTVM_DEFINE_BINARY_KERNEL(maximum_s16, int16_t, mtvm_minmax_params_t, MTVM__MAX_S16)
MTVM_DEFINE_BINARY_KERNEL(minimum_s16, int16_t, mtvm_minmax_params_t, MTVM__MIN_S16)
