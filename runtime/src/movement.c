/*
 * Data-movement kernels; see mtvm/movement.h for what the generator precomputes.
 */
#include "mtvm/movement.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* One contiguous run. Runs of one element get a fixed-size copy the compiler turns into a
   single load and store; longer runs go through memcpy. */
static void copy_run(uint8_t* dst, const uint8_t* src, int32_t run_bytes) {
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
      copy_run(dest + d, source + s, run);
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

void mtvm_pad(const mtvm_pad_params_t* params, const void* src, void* dst) {
  uint8_t* out = (uint8_t*)dst;
  const int32_t size = params->elem_bytes;
  int uniform = 1; /* every byte of the pattern equal: one memset */
  for (int32_t k = 1; k < size; ++k) {
    uniform = uniform && params->fill[k] == params->fill[0];
  }
  if (uniform) {
    memset(out, params->fill[0], (size_t)params->dst_bytes);
  } else {
    for (int32_t offset = 0; offset < params->dst_bytes; offset += size) {
      memcpy(out + offset, params->fill, (size_t)size);
    }
  }
  mtvm_strided_copy(&params->interior, src, dst);
}

void mtvm_quantize_f32_s8(const mtvm_affine_params_t* params, const float* input, int8_t* output) {
  const int32_t zero_point = params->zero_point;
  /* Saturate before converting to an integer: converting an out-of-range float is undefined
     in C. round(x / scale) is integral, so comparing it with these integral bounds is exact. */
  const float upper = (float)(127 - zero_point);
  const float lower = (float)(-128 - zero_point);
  for (int32_t i = 0; i < params->size; ++i) {
    const float rounded = roundf(input[i] / params->scale); /* halves away from zero */
    int32_t q;
    if (rounded >= upper) {
      q = 127;
    } else if (rounded > lower) {
      q = (int32_t)rounded + zero_point;
    } else {
      q = -128; /* also NaN, which has no defined result in TFLite */
    }
    output[i] = (int8_t)q;
  }
}

void mtvm_dequantize_s8_f32(const mtvm_affine_params_t* params, const int8_t* input, float* output) {
  for (int32_t i = 0; i < params->size; ++i) {
    output[i] = params->scale * (float)((int32_t)input[i] - params->zero_point);
  }
}

void mtvm_requantize_lut_s8(const int8_t* table, int32_t size, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < size; ++i) {
    output[i] = table[(int32_t)input[i] + 128];
  }
}
