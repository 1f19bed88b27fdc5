/*
 * CONV_2D float32 (see mtvm/conv.h), OHWI weights as in the model, any window and groups. The
 * taps are summed in LiteRT's reference order (filter_y, filter_x, channel; taps outside the
 * image skipped, bias added last) so that results agree to the last bits in practice.
 */
#include <stddef.h>
#include <stdint.h>

#include "mtvm/conv.h"
#include "mtvm/nhwc.h"
#include "mtvm/quant.h"

void mtvm_conv2d_f32(const mtvm_conv2d_f32_params_t* p, const float* input, float* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const int32_t fic = p->filter_in_c;
  const int32_t oc_per_group = g->out_c / (g->in_c / fic);
  const size_t filter_size = (size_t)g->filter_h * (size_t)g->filter_w * (size_t)fic;
  for (int32_t b = 0; b < g->batches; ++b) {
    const float* image = input + mtvm_nhwc_offset(b, 0, 0, g->in_h, g->in_w, g->in_c);
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      const int32_t iy0 = oy * g->stride_h - g->pad_top;
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        const int32_t ix0 = ox * g->stride_w - g->pad_left;
        float* out = output + mtvm_nhwc_offset(b, oy, ox, g->out_h, g->out_w, g->out_c);
        for (int32_t oc = 0; oc < g->out_c; ++oc) {
          const float* channels = image + (size_t)((oc / oc_per_group) * fic);
          const float* w = p->weights + (size_t)oc * filter_size;
          float total = 0.0f;
          for (int32_t ky = 0; ky < g->filter_h; ++ky) {
            const int32_t iy = iy0 + ky * g->dilation_h;
            for (int32_t kx = 0; kx < g->filter_w; ++kx, w += fic) {
              const int32_t ix = ix0 + kx * g->dilation_w;
              if (!mtvm_nhwc_inside(iy, ix, g->in_h, g->in_w)) {
                continue;
              }
              const float* x = channels + mtvm_nhwc_offset(0, iy, ix, g->in_h, g->in_w, g->in_c);
              for (int32_t ic = 0; ic < fic; ++ic) {
                total += x[ic] * w[ic];
              }
            }
          }
          if (p->bias != NULL) {
            total += p->bias[oc];
          }
          out[oc] = mtvm_clamp_f32(total, p->act_min, p->act_max);
        }
      }
    }
  }
}
