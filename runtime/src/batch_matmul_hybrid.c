/*
 * Hybrid BATCH_MATMUL (float32 LHS, int8 constant RHS), as LiteRT's EvalHybrid with the
 * reference hybrid BatchMatMul:
 *   - every LHS row (depth values) is quantized (mtvm/hybrid.h), in LHS memory order; per-tensor
 *     RHS folds its scale into each row's factor (s = s * weight_scale);
 *   - out = 0 + scale * float(total), with total = sum(q * w) and, when asymmetric, LiteRT's
 *     zero point term done in float: total = (int32)(float(total) - float(row_sum) * float(zp));
 *     scale = s, or s * channel_scale[n] per channel.
 * LiteRT finds a batch's row factors and zero points at (b0 + b1 + b2) * rows over the batch
 * indices where the LHS does not broadcast (and its RHS row sums likewise per column count),
 * not at the batch's own row index: scale_stride / row_sum_stride reproduce that indexing.
 */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/batch_matmul.h"
#include "mtvm/hybrid.h"

void mtvm_batch_matmul_hybrid(const mtvm_batch_matmul_hybrid_params_t* p, const float* lhs,
                              const int8_t* rhs, float* output, void* scratch) {
  const mtvm_batch_matmul_shape* s = &p->s;
  const size_t quantized_bytes = ((size_t)p->lhs_rows * (size_t)s->depth + 3u) & ~(size_t)3u;
  int8_t* q = (int8_t*)scratch;
  float* factors = (float*)(void*)((uint8_t*)scratch + quantized_bytes);
  int32_t* zero_points = (int32_t*)(void*)(factors + p->lhs_rows);
  float* row = (float*)(void*)(zero_points + p->lhs_rows);

  const size_t matrix = (size_t)s->rows * (size_t)s->depth;
  for (int32_t r = 0; r < p->lhs_rows; ++r) {
    const float* src = lhs + (size_t)(r / s->rows) * matrix + (size_t)(r % s->rows) * p->lhs_in_row_stride;
    for (int32_t k = 0; k < s->depth; ++k) {
      row[k] = src[(size_t)k * p->lhs_in_depth_stride];
    }
    int8_t* qr = q + (size_t)r * (size_t)s->depth;
    zero_points[r] = 0;
    factors[r] = p->asymmetric ? mtvm_hybrid_quantize_asymmetric(row, s->depth, qr, &zero_points[r])
                               : mtvm_hybrid_quantize_symmetric(row, s->depth, qr);
    if (p->channel_scales == NULL) {
      factors[r] = factors[r] * p->weight_scale;
    }
  }

  float* out = output;
  for (int32_t b0 = 0; b0 < s->batch[0]; ++b0) {
    for (int32_t b1 = 0; b1 < s->batch[1]; ++b1) {
      for (int32_t b2 = 0; b2 < s->batch[2]; ++b2) {
        const int8_t* a = q + (size_t)b0 * s->lhs_batch_stride[0] + (size_t)b1 * s->lhs_batch_stride[1] +
                          (size_t)b2 * s->lhs_batch_stride[2];
        const int8_t* w = rhs + (size_t)b0 * s->rhs_batch_stride[0] + (size_t)b1 * s->rhs_batch_stride[1] +
                          (size_t)b2 * s->rhs_batch_stride[2];
        const size_t first = (size_t)b0 * p->scale_stride[0] + (size_t)b1 * p->scale_stride[1] +
                             (size_t)b2 * p->scale_stride[2];
        const size_t sums = (size_t)b0 * p->row_sum_stride[0] + (size_t)b1 * p->row_sum_stride[1] +
                            (size_t)b2 * p->row_sum_stride[2];
        for (int32_t m = 0; m < s->rows; ++m) {
          const float factor = factors[first + (size_t)m];
          const float zp = (float)zero_points[first + (size_t)m];
          for (int32_t n = 0; n < s->cols; ++n) {
            int32_t total = 0;
            for (int32_t k = 0; k < s->depth; ++k) {
              total += (int32_t)a[(size_t)m * s->lhs_row_stride + (size_t)k] *
                       (int32_t)w[(size_t)k * s->rhs_depth_stride + (size_t)n * s->rhs_col_stride];
            }
            if (p->asymmetric) {
              const float correction = (float)p->row_sums[sums + (size_t)n] * zp;
              const float corrected = (float)total - correction;
              total = (int32_t)corrected;
            }
            const float scale = p->channel_scales != NULL ? factor * p->channel_scales[n] : factor;
            const float product = scale * (float)total;
            *out++ = 0.0f + product;
          }
        }
      }
    }
  }
}
