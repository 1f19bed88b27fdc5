/* float32 MAXIMUM and MINIMUM (see mtvm/elementwise.h), with TFLite's choice of operand on ties
   and NaN, with broadcasting. */
#include <stdint.h>

#include "elementwise_internal.h"
#include "mtvm/elementwise.h"

MTVM_DEFINE_BINARY_KERNEL(maximum_f32, float, mtvm_minmax_params_t, MTVM_MAX_ELEM)
MTVM_DEFINE_BINARY_KERNEL(minimum_f32, float, mtvm_minmax_params_t, MTVM_MIN_ELEM)
