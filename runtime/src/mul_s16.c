/*
 * int16 MUL (see mtvm/elementwise.h): TFLite's reference_integer_ops MulElementwise on int16.
 * Zero points are 0 (TFLite requires it), so the product of two int16 values is below 2^30 and
 * fits the int32 that MultiplyByQuantizedMultiplier takes.
 */
#include <stdint.h>

#include "elementwise_internal.h"
#include "mtvm/elementwise.h"

static inline int16_t mtvm_mul_s16_elem(const mtvm_mul_s16_params_t* p, int16_t a, int16_t b) {
  return (int16_t)mtvm_mul_elem(p, a, b);
}

MTVM_DEFINE_BINARY_KERNEL(mul_s16, int16_t, mtvm_mul_s16_params_t, mtvm_mul_s16_elem)
