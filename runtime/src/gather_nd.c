/*
 * GATHER_ND; see mtvm/gather.h. A tuple with any index outside its dimension gives a slice of
 * zero bytes (LiteRT fails the inference instead).
 */
#include "mtvm/gather.h"

#include <stddef.h>
#include <string.h>

void mtvm_gather_nd(const mtvm_gather_nd_params_t* p, const void* params, const void* indices, void* output) {
  const uint8_t* src = (const uint8_t*)params;
  uint8_t* dst = (uint8_t*)output;
  const size_t slice = (size_t)p->slice_bytes;
  for (int32_t t = 0; t < p->tuples; ++t) {
    size_t offset = 0;
    int in_range = 1;
    for (int32_t j = 0; j < p->depth; ++j) {
      const int64_t index = mtvm_load_index(indices, t * p->depth + j, p->index_bytes);
      if (index < 0 || index >= p->dims[j]) {
        in_range = 0;
        break;
      }
      offset += (size_t)index * (size_t)p->stride_bytes[j];
    }
    if (in_range) {
      memcpy(dst, src + offset, slice);
    } else {
      memset(dst, 0, slice);
    }
    dst += slice;
  }
}
