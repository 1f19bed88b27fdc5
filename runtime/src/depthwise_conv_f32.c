/*
 * DEPTHWISE_CONV_2D float32 (see mtvm/conv.h), weights [filter_h][filter_w][out_c] as in the
 * model, any depth multiplier. Each output channel sums its taps in LiteRT's reference order
 * (filter_y, filter_x; taps outside the image skipped, bias added last).
 */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/conv.h"
#include "mtvm/nhwc.h"
#include "mtvm/quant.h"

/* This many neighbouring output channels are accumulated at once in a stack array, so that
   weights and input channels are read contiguously. */
#define MTVM_DW_CHUNK 32

void mtvm_depthwise_conv2d_f32(const mtvm_depthwise_conv2d_f32_params_t* p, const float* input, float* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const int32_t mult = p->depth_multiplier;
  float acc[MTVM_DW_CHUNK];
  for (int32_t b = 0; b < g->batches; ++b) {
    const float* image = input + mtvm_nhwc_offset(b, 0, 0, g->in_h, g->in_w, g->in_c);
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      const int32_t iy0 = oy * g->stride_h - g->pad_top;
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        const int32_t ix0 = ox * g->stride_w - g->pad_left;
        float* out = output + mtvm_nhwc_offset(b, oy, ox, g->out_h, g->out_w, g->out_c);
        for (int32_t oc0 = 0; oc0 < g->out_c; oc0 += MTVM_DW_CHUNK) {
          const int32_t n = g->out_c - oc0 < MTVM_DW_CHUNK ? g->out_c - oc0 : MTVM_DW_CHUNK;
          for (int32_t j = 0; j < n; ++j) {
            acc[j] = 0.0f;
          }
          for (int32_t ky = 0; ky < g->filter_h; ++ky) {
            const int32_t iy = iy0 + ky * g->dilation_h;
            for (int32_t kx = 0; kx < g->filter_w; ++kx) {
              const int32_t ix = ix0 + kx * g->dilation_w;
              if (!mtvm_nhwc_inside(iy, ix, g->in_h, g->in_w)) {
                continue;
              }
              const float* x = image + mtvm_nhwc_offset(0, iy, ix, g->in_h, g->in_w, g->in_c);
              const float* w = p->weights + (size_t)(ky * g->filter_w + kx) * (size_t)g->out_c + (size_t)oc0;
              int32_t ic = oc0 / mult;
              int32_t m = oc0 % mult;
              for (int32_t j = 0; j < n; ++j) {
                acc[j] += x[ic] * w[j];
                if (++m == mult) {
                  m = 0;
                  ++ic;
                }
              }
            }
          }
          for (int32_t j = 0; j < n; ++j) {
            const float total = p->bias != NULL ? acc[j] + p->bias[oc0 + j] : acc[j];
            out[oc0 + j] = mtvm_clamp_f32(total, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}
