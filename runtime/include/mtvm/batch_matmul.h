/*
 * BATCH_MATMUL: out[..., m, n] = sum_k lhs[..., m, k] * rhs[..., k, n], with broadcast batch
 * dimensions and adj_x / adj_y (an operand stored transposed), as LiteRT's reference kernel
 * computes it for float32, int8 (per-tensor), int16 (16x16 and 16x8, zero points 0), int8 x int8
 * -> int32 and hybrid operands (float32 LHS, int8 constant RHS).
 *
 * Shapes are LiteRT's: both operands extended to rank 5, dimensions 0-2 the batch (a dimension
 * of size 1 broadcasts: its stride is 0), then the matrices. The generator
 * (tools/microtvm/microtvm/ops/batch_matmul.py) computes every stride, so one loop serves all
 * layouts: lhs element (m, k) of a batch is lhs[m * lhs_row_stride + k * lhs_depth_stride],
 * rhs element (k, n) is rhs[k * rhs_depth_stride + n * rhs_col_stride]; the output is
 * row-major [batch0][batch1][batch2][rows][cols].
 */
#ifndef MTVM_BATCH_MATMUL_H_
#define MTVM_BATCH_MATMUL_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t batch[3];            /* broadcast batch dimensions */
  int32_t lhs_batch_stride[3]; /* elements; 0 where the LHS broadcasts */
  int32_t rhs_batch_stride[3];
  int32_t rows, cols, depth;   /* M, N, K */
  int32_t lhs_row_stride, lhs_depth_stride;
  int32_t rhs_depth_stride, rhs_col_stride;
} mtvm_batch_matmul_shape;

typedef struct {
  mtvm_batch_matmul_shape s;
} mtvm_batch_matmul_f32_params_t;

/* int8 and int16: (lhs + lhs_offset) * (rhs + rhs_offset) summed (int32 for int8, int64 for
   int16), requantized with TFLite's MultiplyByQuantizedMultiplier (the int64 form for int16),
   plus the output zero point, clamped to the output type. */
typedef struct {
  mtvm_batch_matmul_shape s;
  int32_t lhs_offset, rhs_offset, output_offset;
  int32_t multiplier, shift;
  int32_t act_min, act_max;
} mtvm_batch_matmul_quantized_params_t;

/* Hybrid: the LHS quantized per row of depth values (symmetric, or asymmetric with
   asymmetric_quantize_inputs), the int8 RHS with one scale or one per output column. */
typedef struct {
  mtvm_batch_matmul_shape s;   /* strides of the quantized LHS: [lhs batches][rows][depth] */
  int32_t lhs_rows;            /* LHS rows to quantize: rows times the LHS's batch count */
  int32_t lhs_in_row_stride, lhs_in_depth_stride; /* the float LHS as stored (adj_x) */
  int32_t scale_stride[3];     /* LiteRT's index of a batch's first row scale (see the .c) */
  int32_t row_sum_stride[3];
  int32_t asymmetric;
  float weight_scale;          /* per-tensor RHS (channel_scales == NULL) */
  const float* channel_scales; /* per-channel RHS: [cols], else NULL */
  const int32_t* row_sums;     /* asymmetric only: sums over depth of each RHS column */
} mtvm_batch_matmul_hybrid_params_t;

void mtvm_batch_matmul_f32(const mtvm_batch_matmul_f32_params_t* p, const float* lhs, const float* rhs,
                           float* output);
void mtvm_batch_matmul_s8(const mtvm_batch_matmul_quantized_params_t* p, const int8_t* lhs, const int8_t* rhs,
                          int8_t* output);
void mtvm_batch_matmul_s16(const mtvm_batch_matmul_quantized_params_t* p, const int16_t* lhs,
                           const int16_t* rhs, int16_t* output);
/* 16x8 (batch_matmul_s16_s8.c): int16 LHS, int8 RHS, int16 output (zero points 0), as the
   int16 kernel: LiteRT's BatchMatMul<int8_t, int64_t, int16_t, int16_t>. */
void mtvm_batch_matmul_s16_s8(const mtvm_batch_matmul_quantized_params_t* p, const int16_t* lhs,
                              const int8_t* rhs, int16_t* output);
/* int8 x int8 -> int32 (batch_matmul_s8_s32.c): LiteRT's BatchMatMul<int8, int8, int32>, the
   plain int32 sum of the stored values (quantization parameters are not used), wrapping. */
void mtvm_batch_matmul_s8_s32(const mtvm_batch_matmul_f32_params_t* p, const int8_t* lhs, const int8_t* rhs,
                              int32_t* output);
/* scratch: lhs_rows * depth bytes + lhs_rows * 8 bytes + depth * 4 bytes, 4-aligned (see
   mtvm_batch_matmul_hybrid_scratch in the generator). */
void mtvm_batch_matmul_hybrid(const mtvm_batch_matmul_hybrid_params_t* p, const float* lhs,
                              const int8_t* rhs, float* output, void* scratch);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_BATCH_MATMUL_H_ */
