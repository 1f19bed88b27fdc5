/* float32 BATCH_MATMUL: each output is sum_k lhs * rhs accumulated in float from 0, k rising,
   as LiteRT's reference BatchMatMul. */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/batch_matmul.h"

void mtvm_batch_matmul_f32(const mtvm_batch_matmul_f32_params_t* p, const float* lhs, const float* rhs,
                           float* output) {
  const mtvm_batch_matmul_shape* s = &p->s;
  float* out = output;
  for (int32_t b0 = 0; b0 < s->batch[0]; ++b0) {
    for (int32_t b1 = 0; b1 < s->batch[1]; ++b1) {
      for (int32_t b2 = 0; b2 < s->batch[2]; ++b2) {
        const float* a = lhs + (size_t)b0 * s->lhs_batch_stride[0] + (size_t)b1 * s->lhs_batch_stride[1] +
                         (size_t)b2 * s->lhs_batch_stride[2];
        const float* w = rhs + (size_t)b0 * s->rhs_batch_stride[0] + (size_t)b1 * s->rhs_batch_stride[1] +
                         (size_t)b2 * s->rhs_batch_stride[2];
        for (int32_t m = 0; m < s->rows; ++m) {
          for (int32_t n = 0; n < s->cols; ++n) {
            float total = 0.0f;
            for (int32_t k = 0; k < s->depth; ++k) {
              total += a[(size_t)m * s->lhs_row_stride + (size_t)k * s->lhs_depth_stride] *
                       w[(size_t)k * s->rhs_depth_stride + (size_t)n * s->rhs_col_stride];
            }
            *out++ = total;
          }
        }
      }
    }
  }
}
