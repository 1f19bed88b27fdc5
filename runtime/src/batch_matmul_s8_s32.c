/* int8 x int8 -> int32 BATCH_MATMUL, as LiteRT's reference BatchMatMul<int8, int8, int32>: the
   int32 sum of the products of the stored values (LiteRT ignores the quantization parameters
   here), accumulated in rising k and wrapping like LiteRT's int32 sum on its hosts. */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/batch_matmul.h"

void mtvm_batch_matmul_s8_s32(const mtvm_batch_matmul_f32_params_t* p, const int8_t* lhs, const int8_t* rhs,
                              int32_t* output) {
  const mtvm_batch_matmul_shape* s = &p->s;
  int32_t* out = output;
  for (int32_t b0 = 0; b0 < s->batch[0]; ++b0) {
    for (int32_t b1 = 0; b1 < s->batch[1]; ++b1) {
      for (int32_t b2 = 0; b2 < s->batch[2]; ++b2) {
        const int8_t* a = lhs + (size_t)b0 * s->lhs_batch_stride[0] + (size_t)b1 * s->lhs_batch_stride[1] +
                          (size_t)b2 * s->lhs_batch_stride[2];
        const int8_t* w = rhs + (size_t)b0 * s->rhs_batch_stride[0] + (size_t)b1 * s->rhs_batch_stride[1] +
                          (size_t)b2 * s->rhs_batch_stride[2];
        for (int32_t m = 0; m < s->rows; ++m) {
          for (int32_t n = 0; n < s->cols; ++n) {
            uint32_t total = 0;
            for (int32_t k = 0; k < s->depth; ++k) {
              const int32_t x = a[(size_t)m * s->lhs_row_stride + (size_t)k * s->lhs_depth_stride];
              const int32_t y = w[(size_t)k * s->rhs_depth_stride + (size_t)n * s->rhs_col_stride];
              total += (uint32_t)(x * y);
            }
            *out++ = (int32_t)total;
          }
        }
      }
    }
  }
}
