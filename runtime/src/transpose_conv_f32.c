/*
 * TRANSPOSE_CONV, f32. See mtvm/transpose_conv.h for the geometry and the gather order.
 * float32: LiteRT's reference_ops::TransposeConv (same additions in the same order).
 */
#include <stdint.h>

#include "mtvm/transpose_conv.h"

void mtvm_transpose_conv_f32(const mtvm_transpose_conv_f32_params_t* p, const float* input, float* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const int32_t in_c = g->in_c;
  for (int32_t b = 0; b < g->batches; ++b) {
    const float* image = input + (int64_t)b * g->in_h * g->in_w * in_c;
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      int32_t fy0, iy0;
      const int32_t rows = mtvm_transpose_conv_taps(oy, g->pad_top, g->stride_h, g->filter_h, g->in_h, &fy0, &iy0);
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        int32_t fx0, ix0;
        const int32_t cols =
            mtvm_transpose_conv_taps(ox, g->pad_left, g->stride_w, g->filter_w, g->in_w, &fx0, &ix0);
        for (int32_t oc = 0; oc < g->out_c; ++oc) {
          float acc = 0.0f;
          for (int32_t r = 0; r < rows; ++r) {
            const int32_t iy = iy0 + r, fy = fy0 - r * g->stride_h;
            for (int32_t c = 0; c < cols; ++c) {
              const int32_t ix = ix0 + c, fx = fx0 - c * g->stride_w;
              const float* x = image + ((int64_t)iy * g->in_w + ix) * in_c;
              const float* w = p->weights + (((int64_t)oc * g->filter_h + fy) * g->filter_w + fx) * in_c;
              for (int32_t ic = 0; ic < in_c; ++ic) {
                acc += x[ic] * w[ic];
              }
            }
          }
          if (p->bias != NULL) {
            acc += p->bias[oc];
          }
          *output++ = mtvm_clamp_f32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
