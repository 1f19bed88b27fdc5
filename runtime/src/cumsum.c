/*
 * CUMSUM (LiteRT's CumSum): along the axis, a running sum starting at 0 in the element type;
 * `exclusive` stores the sum before adding the element, `reverse` runs from the end. Integer
 * sums wrap (computed in unsigned arithmetic).
 */
#include <stdint.h>

#include "mtvm/reduction.h"

#define MTVM__DEFINE_CUMSUM(NAME, T, ADD)                                                  \
  void NAME(const mtvm_cumsum_params_t* p, const T* in, T* out) {                          \
    for (int32_t o = 0; o < p->outer; ++o) {                                               \
      const int64_t slab = (int64_t)o * p->depth * p->inner;                               \
      for (int32_t i = 0; i < p->inner; ++i) {                                             \
        T acc = 0;                                                                         \
        for (int32_t k = 0; k < p->depth; ++k) {                                           \
          const int32_t d = p->reverse ? p->depth - 1 - k : k;                             \
          const int64_t at = slab + (int64_t)d * p->inner + i;                             \
          const T x = in[at];                                                              \
          if (p->exclusive) {                                                              \
            out[at] = acc;                                                                 \
            acc = ADD(acc, x);                                                             \
          } else {                                                                         \
            acc = ADD(acc, x);                                                             \
            out[at] = acc;                                                                 \
          }                                                                                \
        }                                                                                  \
      }                                                                                    \
    }                                                                                      \
  }

#define MTVM__ADD_F32(a, b) ((a) + (b))
#define MTVM__ADD_S32(a, b) ((int32_t)((uint32_t)(a) + (uint32_t)(b)))
#define MTVM__ADD_S64(a, b) ((int64_t)((uint64_t)(a) + (uint64_t)(b)))

MTVM__DEFINE_CUMSUM(mtvm_cumsum_f32, float, MTVM__ADD_F32)
MTVM__DEFINE_CUMSUM(mtvm_cumsum_s32, int32_t, MTVM__ADD_S32)
MTVM__DEFINE_CUMSUM(mtvm_cumsum_s64, int64_t, MTVM__ADD_S64)
