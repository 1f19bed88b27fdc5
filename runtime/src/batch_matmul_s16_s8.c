/* 16x8 BATCH_MATMUL (int16 LHS, int8 RHS, int16 output, zero points 0), as LiteRT's reference
   BatchMatMul<int8_t, int64_t, int16_t, int16_t>: an int64 sum of lhs * rhs, then TFLite's int64
   MultiplyByQuantizedMultiplier (the multiplier reduced to 16 bits and one rounding shift),
   clamped to int16 (see batch_matmul_s16.c, the 16x16 twin). */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/batch_matmul.h"
#include "mtvm/quant.h"

/* TFLite's MultiplyByQuantizedMultiplier(int64_t x, ...): |x| < 2^47, shift in [-31, 7]. */
static int32_t mtvm__multiply_by_quantized_multiplier_64(int64_t x, int32_t multiplier, int shift) {
  const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
  const int total_shift = 15 - shift;
  const int64_t round = (int64_t)1 << (total_shift - 1);
  const int64_t result = x * (int64_t)reduced + round;
  /* An arithmetic right shift, written as a division that rounds toward minus infinity. */
  const int64_t divisor = (int64_t)1 << total_shift;
  const int64_t quotient = result / divisor;
  return (int32_t)(quotient - ((result % divisor) < 0 ? 1 : 0));
}

void mtvm_batch_matmul_s16_s8(const mtvm_batch_matmul_quantized_params_t* p, const int16_t* lhs,
                              const int8_t* rhs, int16_t* output) {
  const mtvm_batch_matmul_shape* s = &p->s;
  int16_t* out = output;
  for (int32_t b0 = 0; b0 < s->batch[0]; ++b0) {
    for (int32_t b1 = 0; b1 < s->batch[1]; ++b1) {
      for (int32_t b2 = 0; b2 < s->batch[2]; ++b2) {
        const int16_t* a = lhs + (size_t)b0 * s->lhs_batch_stride[0] + (size_t)b1 * s->lhs_batch_stride[1] +
                           (size_t)b2 * s->lhs_batch_stride[2];
        const int8_t* w = rhs + (size_t)b0 * s->rhs_batch_stride[0] + (size_t)b1 * s->rhs_batch_stride[1] +
                          (size_t)b2 * s->rhs_batch_stride[2];
        for (int32_t m = 0; m < s->rows; ++m) {
          for (int32_t n = 0; n < s->cols; ++n) {
            int64_t total = 0;
            for (int32_t k = 0; k < s->depth; ++k) {
              const int64_t x = a[(size_t)m * s->lhs_row_stride + (size_t)k * s->lhs_depth_stride];
              const int64_t y = w[(size_t)k * s->rhs_depth_stride + (size_t)n * s->rhs_col_stride];
              total += (x + p->lhs_offset) * (y + p->rhs_offset);
            }
            const int32_t v =
                mtvm__multiply_by_quantized_multiplier_64(total, p->multiplier, p->shift) + p->output_offset;
            *out++ = (int16_t)mtvm_clamp_i32(v, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}
