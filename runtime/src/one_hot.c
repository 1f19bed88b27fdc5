/*
 * ONE_HOT; see mtvm/one_hot.h. The loops run in the output's memory order.
 */
#include "mtvm/one_hot.h"

#include <stddef.h>
#include <string.h>

/* The index LiteRT compares: static_cast<int>(index). For an int64 index that keeps the low 32
   bits; the comparison with d (0 <= d < 2^31) is made on those bits as unsigned values, which is
   the same test without an implementation-defined narrowing conversion. */
static uint32_t low_bits(const uint8_t* indices, size_t i, int32_t index_bytes) {
  if (index_bytes == 8) {
    int64_t v;
    memcpy(&v, indices + i * 8u, sizeof(v));
    return (uint32_t)(uint64_t)v;
  }
  int32_t v;
  memcpy(&v, indices + i * 4u, sizeof(v));
  return (uint32_t)v;
}

void mtvm_one_hot(const mtvm_one_hot_params_t* p, const void* indices, const void* on_value,
                  const void* off_value, void* output) {
  const uint8_t* idx = (const uint8_t*)indices;
  uint8_t* dst = (uint8_t*)output;
  const size_t width = (size_t)p->value_bytes;
  for (int32_t o = 0; o < p->outer; ++o) {
    for (int32_t d = 0; d < p->depth; ++d) {
      for (int32_t i = 0; i < p->inner; ++i) {
        const size_t k = (size_t)o * (size_t)p->inner + (size_t)i;
        const int hot = low_bits(idx, k, p->index_bytes) == (uint32_t)d;
        memcpy(dst, hot ? on_value : off_value, width);
        dst += width;
      }
    }
  }
}
