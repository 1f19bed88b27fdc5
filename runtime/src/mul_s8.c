/* int8 MUL (see mtvm/elementwise.h): TFLite's reference MulElementwise, with broadcasting. */
#include <stdint.h>

#include "elementwise_internal.h"
#include "mtvm/elementwise.h"

static inline int8_t mtvm_mul_s8_elem(const mtvm_mul_s8_params_t* p, int8_t a, int8_t b) {
  return (int8_t)mtvm_mul_elem(p, a, b);
}

MTVM_DEFINE_BINARY_KERNEL(mul_s8, int8_t, mtvm_mul_s8_params_t, mtvm_mul_s8_elem)
