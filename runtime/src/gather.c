/*
 * GATHER and EMBEDDING_LOOKUP; see mtvm/gather.h. The loop order is the output's memory
 * order, so the output is written sequentially.
 */
#include "mtvm/gather.h"

#include <stddef.h>
#include <string.h>

void mtvm_gather(const mtvm_gather_params_t* p, const void* params, const void* indices, void* output) {
  const uint8_t* src = (const uint8_t*)params;
  uint8_t* dst = (uint8_t*)output;
  const size_t row = (size_t)p->row_bytes;
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t o = 0; o < p->outer; ++o) {
      const uint8_t* block = src + ((size_t)b * (size_t)p->outer + (size_t)o) * (size_t)p->axis_size * row;
      for (int32_t i = 0; i < p->coords; ++i) {
        const int64_t index = mtvm_load_index(indices, b * p->coords + i, p->index_bytes);
        if (index >= 0 && index < p->axis_size) {
          memcpy(dst, block + (size_t)index * row, row);
        } else {
          memset(dst, 0, row); /* LiteRT fails here; see mtvm/gather.h */
        }
        dst += row;
      }
    }
  }
}
