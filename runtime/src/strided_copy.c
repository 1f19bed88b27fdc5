/*
 * The strided copy (see mtvm/movement.h) that CONCATENATION, STRIDED_SLICE, TRANSPOSE and the
 * data-movement families' operators (SLICE, SPLIT, PACK, GATHER, ...) compile to: a loop nest
 * over byte strides, for every element type.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mtvm/movement.h"

/* One contiguous run. Runs of one element get a fixed-size copy the compiler turns into a
   single load and store; longer runs go through memcpy. */
static void mtvm_copy_run(uint8_t* dst, const uint8_t* src, int32_t run_bytes) {
  switch (run_bytes) {
    case 1:
      *dst = *src;
      break;
    case 4:
      memcpy(dst, src, 4);
      break;
    default:
      memcpy(dst, src, (size_t)run_bytes);
      break;
  }
}

void mtvm_strided_copy(const mtvm_copy_params_t* params, const void* src, void* dst) {
  const uint8_t* source = (const uint8_t*)src;
  uint8_t* dest = (uint8_t*)dst;
  const int32_t run = params->run_bytes;
  if (params->rank == 0) {
    memcpy(dest + params->dst_offset, source + params->src_offset, (size_t)run);
    return;
  }
  /* Byte offsets are tracked as integers rather than pointers: after the last step along a
     dimension they may point outside the buffers, which is fine for an integer only. */
  const int32_t inner = params->rank - 1;
  const int32_t inner_count = params->shape[inner];
  const int32_t inner_src_stride = params->src_stride[inner];
  const int32_t inner_dst_stride = params->dst_stride[inner];
  int32_t index[MTVM_COPY_MAX_RANK] = {0};
  int32_t src_offset = params->src_offset;
  int32_t dst_offset = params->dst_offset;
  for (;;) {
    int32_t s = src_offset;
    int32_t d = dst_offset;
    for (int32_t i = 0; i < inner_count; ++i) {
      mtvm_copy_run(dest + d, source + s, run);
      s += inner_src_stride;
      d += inner_dst_stride;
    }
    /* Advance the outer dimensions like an odometer, innermost first. */
    int32_t k = inner - 1;
    for (; k >= 0; --k) {
      src_offset += params->src_stride[k];
      dst_offset += params->dst_stride[k];
      if (++index[k] < params->shape[k]) {
        break;
      }
      src_offset -= params->shape[k] * params->src_stride[k];
      dst_offset -= params->shape[k] * params->dst_stride[k];
      index[k] = 0;
    }
    if (k < 0) {
      return;
    }
  }
}
