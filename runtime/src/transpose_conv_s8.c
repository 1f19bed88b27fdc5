/*
 * TRANSPOSE_CONV, s8. See mtvm/transpose_conv.h for the geometry and the gather order.
 * int8: LiteRT's reference_integer_ops::TransposeConv (int32 accumulator, here summed in 64 bits
 * and wrapped once: the same integer).
 */
#include <stdint.h>

#include "mtvm/transpose_conv.h"

void mtvm_transpose_conv_s8(const mtvm_transpose_conv_s8_params_t* p, const int8_t* input, int8_t* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const int32_t in_c = g->in_c;
  for (int32_t b = 0; b < g->batches; ++b) {
    const int8_t* image = input + (int64_t)b * g->in_h * g->in_w * in_c;
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      int32_t fy0, iy0;
      const int32_t rows = mtvm_transpose_conv_taps(oy, g->pad_top, g->stride_h, g->filter_h, g->in_h, &fy0, &iy0);
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        int32_t fx0, ix0;
        const int32_t cols =
            mtvm_transpose_conv_taps(ox, g->pad_left, g->stride_w, g->filter_w, g->in_w, &fx0, &ix0);
        for (int32_t oc = 0; oc < g->out_c; ++oc) {
          int64_t acc = 0;
          for (int32_t r = 0; r < rows; ++r) {
            const int32_t iy = iy0 + r, fy = fy0 - r * g->stride_h;
            for (int32_t c = 0; c < cols; ++c) {
              const int32_t ix = ix0 + c, fx = fx0 - c * g->stride_w;
              const int8_t* x = image + ((int64_t)iy * g->in_w + ix) * in_c;
              const int8_t* w = p->weights + (((int64_t)oc * g->filter_h + fy) * g->filter_w + fx) * in_c;
              for (int32_t ic = 0; ic < in_c; ++ic) {
                acc += (int32_t)(x[ic] + p->input_offset) * w[ic];
              }
            }
          }
          if (p->bias != NULL) {
            acc += p->bias[oc];
          }
          const int32_t v = mtvm_multiply_by_quantized_multiplier(mtvm_wrap_s32(acc), p->requant[2 * oc],
                                                                  p->requant[2 * oc + 1]);
          *output++ = (int8_t)mtvm_clamp_i32(v + p->output_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}
