/*
 * Data-movement kernels: CONCATENATION, PAD, STRIDED_SLICE, TRANSPOSE (one strided copy
 * primitive), and the conversions QUANTIZE and DEQUANTIZE.
 *
 * All index arithmetic happens at generation time (tools/microtvm/microtvm/ops/movement.py):
 * begin/end/stride masks, negative indices, permutations and paddings are resolved into a
 * `mtvm_copy_params_t` whose strides are in bytes, so one type-agnostic loop serves every
 * operator and element type. The generator also merges dimensions that stay contiguous, drops
 * extents of 1, and folds an innermost run that is contiguous on both sides into one memcpy.
 *
 * Output buffers must not overlap the input buffers.
 */
#ifndef MTVM_MOVEMENT_H_
#define MTVM_MOVEMENT_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest loop nest of a strided copy (TFLite's TRANSPOSE accepts up to 8 dimensions). */
#define MTVM_COPY_MAX_RANK 8

/*
 * For every index (i_0, ..., i_{rank-1}) below `shape`, copy `run_bytes` contiguous bytes from
 *   src + src_offset + sum_k i_k * src_stride[k]
 * to
 *   dst + dst_offset + sum_k i_k * dst_stride[k].
 * Offsets and strides are in bytes; source strides are negative for reversed slices.
 * rank == 0 is a single run (a plain memcpy).
 */
typedef struct {
  int32_t rank;
  int32_t run_bytes;
  int32_t src_offset;
  int32_t dst_offset;
  int32_t shape[MTVM_COPY_MAX_RANK];
  int32_t src_stride[MTVM_COPY_MAX_RANK];
  int32_t dst_stride[MTVM_COPY_MAX_RANK];
} mtvm_copy_params_t;

void mtvm_strided_copy(const mtvm_copy_params_t* params, const void* src, void* dst);

/* PAD: fill all `dst_bytes` of the output with `fill_byte` (an int8 output's zero point, or 0
   for float32, whose 0.0f is all zero bits), then copy the input into the interior. */
typedef struct {
  int32_t dst_bytes;
  int32_t fill_byte;
  mtvm_copy_params_t interior;
} mtvm_pad_params_t;

void mtvm_pad(const mtvm_pad_params_t* params, const void* src, void* dst);

/* Per-tensor affine quantization: real = scale * (q - zero_point). */
typedef struct {
  int32_t size; /* elements */
  float scale;
  int32_t zero_point;
} mtvm_affine_params_t;

/* QUANTIZE float32 -> int8 like TFLite's reference AffineQuantize: q = round(x / scale) + zp,
   rounded half away from zero, division (not multiplication by 1/scale) in float32, saturated
   to [-128, 127]. */
void mtvm_quantize_f32_s8(const mtvm_affine_params_t* params, const float* input, int8_t* output);

/* DEQUANTIZE int8 -> float32: scale * (q - zp), one rounding to float (bit-equal to TFLite's
   product in double then cast, because the exact product fits in a double). */
void mtvm_dequantize_s8_f32(const mtvm_affine_params_t* params, const int8_t* input, float* output);

/* QUANTIZE int8 -> int8 (requantization): output[i] = table[input[i] + 128], where the
   generator computed all 256 entries with TFLite's Requantize arithmetic. */
void mtvm_requantize_lut_s8(const int8_t* table, int32_t size, const int8_t* input, int8_t* output);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_MOVEMENT_H_ */
