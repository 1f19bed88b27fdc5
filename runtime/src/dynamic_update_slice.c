/*
 * DYNAMIC_UPDATE_SLICE; see mtvm/slicing.h. Mirrors TFLite's kernel: the output starts as a
 * copy of the operand, each start index is clamped into [0, operand dim - update dim] (so an
 * index out of range moves the update to the nearest position where it fits, never outside),
 * then the update is copied in.
 */
#include "mtvm/slicing.h"

#include <stddef.h>
#include <string.h>

static int64_t load_index(const void* indices, int32_t i, int32_t index_bytes) {
  if (index_bytes == 8) {
    int64_t value;
    memcpy(&value, (const uint8_t*)indices + (size_t)i * 8u, sizeof(value));
    return value;
  }
  int32_t value;
  memcpy(&value, (const uint8_t*)indices + (size_t)i * 4u, sizeof(value));
  return value;
}

void mtvm_dynamic_update_slice(const mtvm_dynamic_update_slice_params_t* params, const void* operand,
                               const void* update, const void* indices, void* output) {
  if (output != operand) {
    memmove(output, operand, (size_t)params->operand_bytes);
  }
  mtvm_copy_params_t copy = params->update;
  int32_t offset = 0;
  for (int32_t d = 0; d < params->rank; ++d) {
    int64_t start = load_index(indices, d, params->index_bytes);
    if (start < 0) {
      start = 0;
    }
    if (start > params->max_start[d]) {
      start = params->max_start[d];
    }
    offset += (int32_t)start * params->stride_bytes[d];
  }
  copy.dst_offset += offset;
  mtvm_strided_copy(&copy, update, output);
}
