/*
 * Quantized REDUCE_PROD, int8 and int16 (LiteRT's QuantizedReduceProd; see mtvm/reduction.h).
 * Every step rescales: p = MBQM64((int64)p * (x - zero_point)), so p stays in int32 range.
 */
#include <stdint.h>

#include "mtvm/quant.h"
#include "mtvm/reduction.h"

#define MTVM__DEFINE_PROD_Q(NAME, T, LO, HI)                                                       \
  void NAME(const mtvm_reduce_q_params_t* p, const T* in, T* out) {                                \
    const mtvm_reduce_walk_t* w = &p->walk;                                                        \
    for (int32_t o = 0; o < w->num_outputs; ++o) {                                                 \
      const int32_t base = mtvm_reduce_base(w, o);                                                 \
      int32_t prod = 0;                                                                            \
      int32_t first = 1;                                                                           \
      MTVM_REDUCE_VISIT(w, in, base, T, {                                                          \
        const int32_t v = (int32_t)x - p->input_zero_point;                                        \
        if (first) {                                                                               \
          prod = v;                                                                                \
          first = 0;                                                                               \
        } else {                                                                                   \
          prod = mtvm_multiply_by_quantized_multiplier_s64((int64_t)prod * v, p->multiplier, p->shift); \
        }                                                                                          \
      });                                                                                          \
      const int32_t value =                                                                        \
          mtvm_multiply_by_quantized_multiplier_s64((int64_t)prod, p->multiplier, p->shift) +      \
          p->output_zero_point;                                                                    \
      out[o] = (T)mtvm_clamp_i32(value, (LO), (HI));                                               \
    }                                                                                              \
  }

MTVM__DEFINE_PROD_Q(mtvm_reduce_prod_s8, int8_t, INT8_MIN, INT8_MAX)
MTVM__DEFINE_PROD_Q(mtvm_reduce_prod_s16, int16_t, INT16_MIN, INT16_MAX)
