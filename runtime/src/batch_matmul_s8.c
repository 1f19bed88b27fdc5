/* int8 BATCH_MATMUL, as LiteRT's reference BatchMatMul<int8_t, int32_t>: an int32 sum of
   (lhs + lhs_offset) * (rhs + rhs_offset), MultiplyByQuantizedMultiplier (two roundings), the
   output zero point, the int8 clamp. */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/batch_matmul.h"
#include "mtvm/quant.h"

void mtvm_batch_matmul_s8(const mtvm_batch_matmul_quantized_params_t* p, const int8_t* lhs, const int8_t* rhs,
                          int8_t* output) {
  const mtvm_batch_matmul_shape* s = &p->s;
  int8_t* out = output;
  for (int32_t b0 = 0; b0 < s->batch[0]; ++b0) {
    for (int32_t b1 = 0; b1 < s->batch[1]; ++b1) {
      for (int32_t b2 = 0; b2 < s->batch[2]; ++b2) {
        const int8_t* a = lhs + (size_t)b0 * s->lhs_batch_stride[0] + (size_t)b1 * s->lhs_batch_stride[1] +
                          (size_t)b2 * s->lhs_batch_stride[2];
        const int8_t* w = rhs + (size_t)b0 * s->rhs_batch_stride[0] + (size_t)b1 * s->rhs_batch_stride[1] +
                          (size_t)b2 * s->rhs_batch_stride[2];
        for (int32_t m = 0; m < s->rows; ++m) {
          for (int32_t n = 0; n < s->cols; ++n) {
            int32_t total = 0;
            for (int32_t k = 0; k < s->depth; ++k) {
              const int32_t x = a[(size_t)m * s->lhs_row_stride + (size_t)k * s->lhs_depth_stride];
              const int32_t y = w[(size_t)k * s->rhs_depth_stride + (size_t)n * s->rhs_col_stride];
              total += (x + p->lhs_offset) * (y + p->rhs_offset);
            }
            const int32_t v = mtvm_multiply_by_quantized_multiplier(total, p->multiplier, p->shift) + p->output_offset;
            *out++ = (int8_t)mtvm_clamp_i32(v, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}
