/*
 * MIRROR_PAD; see mtvm/space.h. The output is written sequentially; each run's source is the
 * sum of one table entry per dimension, updated incrementally like an odometer.
 */
#include "mtvm/space.h"

void mtvm_mirror_pad(const mtvm_mirror_pad_params_t* params, const int32_t* offsets, const void* src, void* dst) {
  const uint8_t* source = (const uint8_t*)src;
  uint8_t* dest = (uint8_t*)dst;
  const size_t run = (size_t)params->run_bytes;
  const int32_t rank = params->rank;
  if (rank == 0) {
    memcpy(dest, source, run);
    return;
  }
  for (int32_t k = 0; k < rank; ++k) {
    if (params->shape[k] == 0) {
      return; /* empty output */
    }
  }
  int32_t index[MTVM_MIRROR_PAD_MAX_RANK] = {0};
  /* partial[k]: the source offset contributed by dimensions 0..k-1 at the current index. */
  int32_t partial[MTVM_MIRROR_PAD_MAX_RANK + 1] = {0};
  for (int32_t k = 0; k < rank; ++k) {
    partial[k + 1] = partial[k] + offsets[params->table_start[k]];
  }
  const int32_t inner = rank - 1;
  const int32_t* inner_table = offsets + params->table_start[inner];
  const int32_t inner_count = params->shape[inner];
  for (;;) {
    const int32_t base = partial[inner];
    for (int32_t i = 0; i < inner_count; ++i) {
      memcpy(dest, source + base + inner_table[i], run);
      dest += run;
    }
    int32_t k = inner - 1;
    for (; k >= 0; --k) {
      if (++index[k] < params->shape[k]) {
        break;
      }
      index[k] = 0;
    }
    if (k < 0) {
      return;
    }
    for (int32_t j = k; j < inner; ++j) {
      partial[j + 1] = partial[j] + offsets[params->table_start[j] + index[j]];
    }
  }
}
