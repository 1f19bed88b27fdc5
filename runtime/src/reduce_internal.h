/*
 * What the reduce family's kernels share (pool_*.c, softmax_*.c): float limits and gemmlowp's
 * integer helpers in the form TFLite's reference kernels use them. Family-internal: generated
 * code includes mtvm/reduce.h only.
 */
#ifndef MTVM_REDUCE_INTERNAL_H_
#define MTVM_REDUCE_INTERNAL_H_

#include <stdint.h>

/* std::numeric_limits<float>::lowest(), which TFLite's float max pool and softmax start from. */
#define MTVM_FLOAT_LOWEST (-3.40282347e+38f)

/* The number of leading zero bits of x (32 for 0), as TFLite's CountLeadingZeros. */
static inline int mtvm_clz32(uint32_t x) {
  int n = 0;
  if (x == 0) {
    return 32;
  }
  while ((x & 0x80000000u) == 0) {
    x <<= 1;
    ++n;
  }
  return n;
}

#endif /* MTVM_REDUCE_INTERNAL_H_ */
