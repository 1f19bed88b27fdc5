/*
 * int16 ADD and SUB on TFLite's general path (see mtvm/elementwise.h): the same arithmetic as the
 * int8 kernels (reference AddElementwise / SubElementwise) with 15 bits of headroom instead of 20,
 * which keeps (x - zp) * 2^15 inside int32 for every int16 x. Shifts are <= 0 (TFLite's
 * QuantizeMultiplierSmallerThanOneExp), so MultiplyByQuantizedMultiplier is exactly its
 * "SmallerThanOneExp" form.
 */
#include <stdint.h>

#include "elementwise_internal.h"
#include "mtvm/elementwise.h"

static inline int16_t mtvm_add_s16_elem(const mtvm_addsub_s16_params_t* p, int16_t a, int16_t b) {
  return (int16_t)mtvm_addsub_elem(p, a, b, 1);
}

static inline int16_t mtvm_sub_s16_elem(const mtvm_addsub_s16_params_t* p, int16_t a, int16_t b) {
  return (int16_t)mtvm_addsub_elem(p, a, b, -1);
}

MTVM_DEFINE_BINARY_KERNEL(add_s16, int16_t, mtvm_addsub_s16_params_t, mtvm_add_s16_elem)
MTVM_DEFINE_BINARY_KERNEL(sub_s16, int16_t, mtvm_addsub_s16_params_t, mtvm_sub_s16_elem)
