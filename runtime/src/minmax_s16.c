/*
 * int16 MAXIMUM and MINIMUM (see mtvm/elementwise.h): stored values are compared, as TFLite does
 * (no requantization even when the tensors' scales differ).
 */
#include <stdint.h>

#include "elementwise_internal.h"
#include "mtvm/elementwise.h"

MTVM_DEFINE_BINARY_KERNEL(maximum_s16, int16_t, mtvm_minmax_params_t, MTVM_MAX_ELEM)
MTVM_DEFINE_BINARY_KERNEL(minimum_s16, int16_t, mtvm_minmax_params_t, MTVM_MIN_ELEM)
