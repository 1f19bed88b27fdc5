/*
 * SELECT_V2: out = cond ? x : y elementwise, all three operands broadcast to the output
 * (mtvm_bcast3_t). Values are copied, so one kernel per element width serves every type.
 */
#include <stdint.h>

#include "mtvm/compare.h"

#define MTVM_DEFINE_SELECT(BITS, T)                                                                        \
  void mtvm_select_##BITS(const mtvm_select_params_t* p, const uint8_t* cond, const void* x_, const void* y_, \
                          void* out_) {                                                                   \
    const T* x = (const T*)x_;                                                                           \
    const T* y = (const T*)y_;                                                                           \
    T* out = (T*)out_;                                                                                   \
    if (p->bcast.rank == 0) {                                                                             \
      for (int32_t i = 0; i < p->size; ++i) {                                                             \
        out[i] = cond[i] ? x[i] : y[i];                                                                   \
      }                                                                                                   \
      return;                                                                                             \
    }                                                                                                     \
    const mtvm_bcast3_t* b = &p->bcast;                                                                   \
    const int32_t last = b->rank - 1;                                                                     \
    const int32_t inner = b->shape[last];                                                                 \
    const int32_t sc = b->stride[0][last], sx = b->stride[1][last], sy = b->stride[2][last];              \
    const int32_t* const strides[3] = {b->stride[0], b->stride[1], b->stride[2]};                         \
    int32_t index[MTVM_BCAST_MAX_DIMS] = {0};                                                             \
    int32_t off[3] = {0, 0, 0};                                                                           \
    for (int32_t o = 0; o < p->size; o += inner) {                                                        \
      for (int32_t i = 0; i < inner; ++i) {                                                               \
        out[o + i] = cond[off[0] + i * sc] ? x[off[1] + i * sx] : y[off[2] + i * sy];                     \
      }                                                                                                   \
      mtvm_bcast_advance(b->rank, b->shape, strides, 3, index, off);                                      \
    }                                                                                                     \
  }

MTVM_DEFINE_SELECT(8, uint8_t)
MTVM_DEFINE_SELECT(16, uint16_t)
MTVM_DEFINE_SELECT(32, uint32_t)
MTVM_DEFINE_SELECT(64, uint64_t)
