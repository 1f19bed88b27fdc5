/* float32 RESIZE_BILINEAR (see mtvm/resize.h): LiteRT's reference expression, term by term. */
#include <stdint.h>

#include "mtvm/resize.h"

void mtvm_resize_bilinear_f32(const mtvm_resize_params_t* p, const int32_t* rows, const float* wy, const int32_t* cols,
                              const float* wx, const float* input, float* output) {
  const int32_t depth = p->depth;
  const int32_t row_stride = p->in_w * depth;
  for (int32_t b = 0; b < p->batches; ++b) {
    const float* image = input + (int64_t)b * p->in_h * row_stride;
    for (int32_t y = 0; y < p->out_h; ++y) {
      const float* r0 = image + (int64_t)rows[2 * y] * row_stride;
      const float* r1 = image + (int64_t)rows[2 * y + 1] * row_stride;
      const float wy0 = wy[2 * y];
      const float wy1 = wy[2 * y + 1];
      for (int32_t x = 0; x < p->out_w; ++x) {
        const int32_t c0 = cols[2 * x] * depth;
        const int32_t c1 = cols[2 * x + 1] * depth;
        const float wx0 = wx[2 * x];
        const float wx1 = wx[2 * x + 1];
        for (int32_t c = 0; c < depth; ++c) {
          /* Products associate left to right, (v * wy) * wx, like the reference; the final
             "+ 0.0f" of the reference (its rounding offset for float) changes nothing. */
          const float t00 = r0[c0 + c] * wy0 * wx0;
          const float t10 = r1[c0 + c] * wy1 * wx0;
          const float t01 = r0[c1 + c] * wy0 * wx1;
          const float t11 = r1[c1 + c] * wy1 * wx1;
          *output++ = t00 + t10 + t01 + t11;
        }
      }
    }
  }
}
