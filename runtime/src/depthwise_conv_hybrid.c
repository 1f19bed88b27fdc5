/*
 * Hybrid DEPTHWISE_CONV_2D (float32 input and output, int8 weights [1, H, W, out_c]), as
 * LiteRT's EvalHybridPerChannel with the reference DepthwiseConvHybridPerChannel: each image of
 * the batch is quantized asymmetrically as a whole (zero point zp, factor s), and
 *     output = float(sum over the taps inside the image of w * (q - zp))
 *              * (channel_scale * s) + bias,
 * the two scales multiplied first, then the clamp.
 */
#include "mtvm/hybrid.h"

#include <stddef.h>
#include <stdint.h>

#include "mtvm/quant.h"

void mtvm_depthwise_conv2d_hybrid(const mtvm_depthwise_conv2d_hybrid_params_t* p, const float* input,
                                  float* output, void* scratch) {
  const mtvm_conv_geometry_t* g = &p->g;
  const size_t image = (size_t)g->in_h * (size_t)g->in_w * (size_t)g->in_c;
  int8_t* q = (int8_t*)scratch;
  for (int32_t b = 0; b < g->batches; ++b) {
    int32_t zp = 0;
    const float s = mtvm_hybrid_quantize_asymmetric(input + (size_t)b * image, (int32_t)image, q, &zp);
    float* out = output + (size_t)b * (size_t)g->out_h * (size_t)g->out_w * (size_t)g->out_c;
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      const int32_t iy0 = oy * g->stride_h - g->pad_top;
      for (int32_t ox = 0; ox < g->out_w; ++ox, out += g->out_c) {
        const int32_t ix0 = ox * g->stride_w - g->pad_left;
        for (int32_t oc = 0; oc < g->out_c; ++oc) {
          const int32_t ic = oc / p->depth_multiplier;
          int32_t acc = 0;
          for (int32_t ky = 0; ky < g->filter_h; ++ky) {
            const int32_t iy = iy0 + ky * g->dilation_h;
            for (int32_t kx = 0; kx < g->filter_w; ++kx) {
              const int32_t ix = ix0 + kx * g->dilation_w;
              if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w) {
                continue;
              }
              const int32_t x = q[((size_t)iy * (size_t)g->in_w + (size_t)ix) * (size_t)g->in_c + (size_t)ic];
              const int32_t w = p->weights[(size_t)(ky * g->filter_w + kx) * (size_t)g->out_c + (size_t)oc];
              acc += w * (x - zp);
            }
          }
          const float scale = p->channel_scales[oc] * s;
          float v = (float)acc * scale;
          if (p->bias != NULL) {
            v = v + p->bias[oc];
          }
          out[oc] = mtvm_clamp_f32(v, p->act_min, p->act_max);
        }
      }
    }
  }
}
