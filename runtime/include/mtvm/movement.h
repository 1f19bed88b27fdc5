/*
 * Data-movement kernels: CONCATENATION, PAD, PADV2, STRIDED_SLICE, TRANSPOSE (one strided copy
 * primitive, for every element type), and the conversions QUANTIZE and DEQUANTIZE. One source
 * file per kernel: strided_copy.c, pad.c (which calls the strided copy), quantize_s8.c,
 * dequantize_s8.c, quantize_s16.c, dequantize_s16.c, requantize_s16.c, requantize_s8_s16.c,
 * requantize_lut_8.c, per_channel_s8.c, per_channel_s16.c; int8 -> int8 QUANTIZE is a table run
 * by mtvm_lut_s8 (mtvm/unary.h, lut_s8.c).
 *
 * All index arithmetic happens at generation time (tools/microtvm/microtvm/ops/movement.py):
 * begin/end/stride masks, negative indices, permutations and paddings are resolved into a
 * `mtvm_copy_params_t` whose strides are in bytes, so one type-agnostic loop serves every
 * operator and element type. The generator also merges dimensions that stay contiguous, drops
 * extents of 1, and folds an innermost run that is contiguous on both sides into one memcpy.
 *
 * Output buffers must not overlap the input buffers (except where a lowering declares it).
 */
#ifndef MTVM_MOVEMENT_H_
#define MTVM_MOVEMENT_H_

#include <math.h>
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

/* PAD, PADV2: fill the output (`dst_bytes`) with the `elem_bytes`-byte pattern `fill` (the
   element's bytes in the target's order: a quantized output's zero point for PAD, PADV2's
   constant value, 0.0f for float32 PAD), then copy the input into the interior. Works for every
   element type. */
typedef struct {
  int32_t dst_bytes;
  int32_t elem_bytes; /* 1, 2, 4 or 8 */
  uint8_t fill[8];
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

/* QUANTIZE int8 -> int8 (requantization): mtvm_lut_s8 (mtvm/unary.h) with a table of TFLite's
   Requantize arithmetic for all 256 inputs. */

/* ---- int16, 8-bit and per-channel conversions ---------------------------------------------- */

/* QUANTIZE float32 -> int16 (quantize_s16.c): as mtvm_quantize_f32_s8, saturated to int16. */
void mtvm_quantize_f32_s16(const mtvm_affine_params_t* params, const float* input, int16_t* output);

/* DEQUANTIZE int16 -> float32 (dequantize_s16.c): scale * (q - zp), rounded once. */
void mtvm_dequantize_s16_f32(const mtvm_affine_params_t* params, const int16_t* input, float* output);

/* QUANTIZE with an int16 input (requantize_s16.c), TFLite's Requantize: output =
   clamp(MBQM(q - input_zero_point, multiplier, shift) + output_zero_point), with the multiplier of
   in_scale / out_scale computed in double. */
typedef struct {
  int32_t size;
  int32_t multiplier;
  int32_t shift;
  int32_t input_zero_point;
  int32_t output_zero_point;
} mtvm_requantize_params_t;

void mtvm_requantize_s16_s8(const mtvm_requantize_params_t* params, const int16_t* input, int8_t* output);
void mtvm_requantize_s16_s16(const mtvm_requantize_params_t* params, const int16_t* input, int16_t* output);

/* QUANTIZE int8 -> int16 (requantize_s8_s16.c): output[i] = table[input[i] + 128], Requantize
   tabulated by the generator. */
void mtvm_requantize_lut_s8_s16(const int16_t* table, int32_t size, const int8_t* input, int16_t* output);

/* QUANTIZE between 8-bit types (uint8 <-> int8; requantize_lut_8.c): output byte =
   table[input byte], the table holding TFLite's Requantize result for each of the 256 raw bytes. */
void mtvm_requantize_lut_8(const uint8_t* table, int32_t size, const void* input, void* output);

/* uint8 conversions (legacy uint8 model boundaries), one file each: QUANTIZE float32 -> uint8
   (quantize_u8.c; as mtvm_quantize_f32_s8, saturated to [0, 255]), DEQUANTIZE uint8 -> float32
   (dequantize_u8.c; scale * (q - zp), exact in float), and QUANTIZE uint8 -> int16
   (requantize_u8_s16.c; output[i] = table[input[i]], the 256 Requantize results). */
void mtvm_quantize_f32_u8(const mtvm_affine_params_t* params, const float* input, uint8_t* output);
void mtvm_dequantize_u8_f32(const mtvm_affine_params_t* params, const uint8_t* input, float* output);
void mtvm_requantize_lut_u8_s16(const int16_t* table, int32_t size, const uint8_t* input, int16_t* output);

/*
 * Per-channel QUANTIZE / DEQUANTIZE (per_channel_s8.c, per_channel_s16.c): the tensor is viewed
 * as [outer, channels, inner] around the quantized dimension; channel c uses scales[c] and
 * zero_points[c]. Quantize: round(x / scale) + zp, halves away from zero, in float32, saturated;
 * dequantize: scale * (q - zp) in float32 (TFLite's PerChannelQuantize / PerChannelDequantize).
 */
typedef struct {
  int32_t outer;
  int32_t channels;
  int32_t inner;
} mtvm_per_channel_params_t;

void mtvm_quantize_per_channel_f32_s8(const mtvm_per_channel_params_t* params, const float* scales,
                                      const int32_t* zero_points, const float* input, int8_t* output);
void mtvm_dequantize_per_channel_s8_f32(const mtvm_per_channel_params_t* params, const float* scales,
                                        const int32_t* zero_points, const int8_t* input, float* output);
void mtvm_quantize_per_channel_f32_s16(const mtvm_per_channel_params_t* params, const float* scales,
                                       const int32_t* zero_points, const float* input, int16_t* output);
void mtvm_dequantize_per_channel_s16_f32(const mtvm_per_channel_params_t* params, const float* scales,
                                         const int32_t* zero_points, const int16_t* input, float* output);

/* Saturating float -> integer quantization shared by the QUANTIZE kernels: round(x / scale) + zp
   clamped to [lo, hi], comparing before converting (an out-of-range conversion is undefined). */
static inline int32_t mtvm_quantize_value(float x, float scale, int32_t zero_point, int32_t lo, int32_t hi) {
  const float rounded = roundf(x / scale); /* halves away from zero */
  if (rounded >= (float)(hi - zero_point)) {
    return hi;
  }
  if (rounded > (float)(lo - zero_point)) {
    return (int32_t)rounded + zero_point;
  }
  return lo; /* also NaN */
}

#ifdef __cplusplus
}
#endif

#endif /* MTVM_MOVEMENT_H_ */
