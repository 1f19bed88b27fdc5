/*
 * ARG_MAX and ARG_MIN (LiteRT's ArgMinMax): for each [outer, inner] position, the first index
 * along the axis whose value is strictly greater (smaller) than every earlier one.
 */
#include <stdint.h>

#include "mtvm/reduction.h"

#define MTVM__DEFINE_ARG(NAME, T, BETTER)                                                \
  void NAME(const mtvm_arg_minmax_params_t* p, const T* in, void* out) {                 \
    int32_t* out32 = (int32_t*)out;                                                      \
    int64_t* out64 = (int64_t*)out;                                                      \
    for (int32_t o = 0; o < p->outer; ++o) {                                             \
      const T* slab = in + (int64_t)o * p->axis_size * p->inner;                         \
      for (int32_t i = 0; i < p->inner; ++i) {                                           \
        T best = slab[i];                                                                \
        int32_t index = 0;                                                               \
        for (int32_t k = 1; k < p->axis_size; ++k) {                                     \
          const T v = slab[(int64_t)k * p->inner + i];                                   \
          if (BETTER(v, best)) {                                                         \
            best = v;                                                                    \
            index = k;                                                                   \
          }                                                                              \
        }                                                                                \
        if (p->index_is_64) {                                                            \
          out64[(int64_t)o * p->inner + i] = index;                                      \
        } else {                                                                         \
          out32[(int64_t)o * p->inner + i] = index;                                      \
        }                                                                                \
      }                                                                                  \
    }                                                                                    \
  }

#define MTVM__GREATER(a, b) ((a) > (b))
#define MTVM__LESS(a, b) ((a) < (b))

MTVM__DEFINE_ARG(mtvm_arg_max_f32, float, MTVM__GREATER)
MTVM__DEFINE_ARG(mtvm_arg_max_s8, int8_t, MTVM__GREATER)
MTVM__DEFINE_ARG(mtvm_arg_max_s32, int32_t, MTVM__GREATER)
MTVM__DEFINE_ARG(mtvm_arg_max_b, uint8_t, MTVM__GREATER)
MTVM__DEFINE_ARG(mtvm_arg_min_f32, float, MTVM__LESS)
MTVM__DEFINE_ARG(mtvm_arg_min_s8, int8_t, MTVM__LESS)
MTVM__DEFINE_ARG(mtvm_arg_min_s32, int32_t, MTVM__LESS)
MTVM__DEFINE_ARG(mtvm_arg_min_b, uint8_t, MTVM__LESS)
