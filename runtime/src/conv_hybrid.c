/*
 * Hybrid CONV_2D (float32 input and output, int8 OHWI weights), as LiteRT computes it.
 *
 * Per-tensor weights (LiteRT's EvalHybrid: im2col + integer GEMM): each image of the batch is
 * quantized symmetrically as a whole, its factor folded with the weight scale once
 * (s = s * weight_scale), and
 *     output = float(sum over the taps inside the image of w * q) * s + bias,
 * (outside taps read a quantized 0), then the clamp.
 *
 * Per-channel weights with differing scales, or grouped convolution (LiteRT's
 * EvalHybridPerChannel, reference HybridConvPerChannel): each image is quantized
 * asymmetrically (zero point zp) and
 *     output = float(sum over the taps inside the image of w * (q - zp)) * channel_scale * s
 *              + bias,
 * multiplied left to right, then the clamp.
 */
#include "mtvm/hybrid.h"

#include <stddef.h>
#include <stdint.h>

#include "mtvm/quant.h"

static size_t image_size(const mtvm_conv_geometry_t* g) {
  return (size_t)g->in_h * (size_t)g->in_w * (size_t)g->in_c;
}

/* sum(w * (q - zp)) over the taps of one output pixel and channel that lie inside the image. */
static int32_t window_dot(const mtvm_conv2d_hybrid_params_t* p, const int8_t* image, int32_t iy0,
                          int32_t ix0, int32_t oc, int32_t zp) {
  const mtvm_conv_geometry_t* g = &p->g;
  const int32_t fic = p->filter_in_c;
  const int32_t oc_per_group = g->out_c / (g->in_c / fic);
  const int8_t* channels = image + (size_t)((oc / oc_per_group) * fic);
  const int8_t* w = p->weights + (size_t)oc * (size_t)g->filter_h * (size_t)g->filter_w * (size_t)fic;
  int32_t acc = 0;
  for (int32_t ky = 0; ky < g->filter_h; ++ky) {
    const int32_t iy = iy0 + ky * g->dilation_h;
    for (int32_t kx = 0; kx < g->filter_w; ++kx, w += fic) {
      const int32_t ix = ix0 + kx * g->dilation_w;
      if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w) {
        continue;
      }
      const int8_t* x = channels + ((size_t)iy * (size_t)g->in_w + (size_t)ix) * (size_t)g->in_c;
      for (int32_t ic = 0; ic < fic; ++ic) {
        acc += (int32_t)w[ic] * ((int32_t)x[ic] - zp);
      }
    }
  }
  return acc;
}

static void conv_hybrid(const mtvm_conv2d_hybrid_params_t* p, const float* input, float* output,
                        int8_t* q, int per_channel) {
  const mtvm_conv_geometry_t* g = &p->g;
  for (int32_t b = 0; b < g->batches; ++b) {
    const float* image = input + (size_t)b * image_size(g);
    int32_t zp = 0;
    float s;
    if (per_channel) {
      s = mtvm_hybrid_quantize_asymmetric(image, (int32_t)image_size(g), q, &zp);
    } else {
      s = mtvm_hybrid_quantize_symmetric(image, (int32_t)image_size(g), q);
      s = s * p->weight_scale;
    }
    float* out = output + (size_t)b * (size_t)g->out_h * (size_t)g->out_w * (size_t)g->out_c;
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      const int32_t iy0 = oy * g->stride_h - g->pad_top;
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        const int32_t ix0 = ox * g->stride_w - g->pad_left;
        for (int32_t oc = 0; oc < g->out_c; ++oc, ++out) {
          const int32_t acc = window_dot(p, q, iy0, ix0, oc, zp);
          float v;
          if (per_channel) {
            v = (float)acc * p->channel_scales[oc];
            v = v * s;
          } else {
            v = (float)acc * s;
          }
          if (p->bias != NULL) {
            v = v + p->bias[oc];
          }
          *out = mtvm_clamp_f32(v, p->act_min, p->act_max);
        }
      }
    }
  }
}

void mtvm_conv2d_hybrid(const mtvm_conv2d_hybrid_params_t* p, const float* input, float* output,
                        void* scratch) {
  conv_hybrid(p, input, output, (int8_t*)scratch, 0);
}

void mtvm_conv2d_hybrid_per_channel(const mtvm_conv2d_hybrid_params_t* p, const float* input,
                                    float* output, void* scratch) {
  conv_hybrid(p, input, output, (int8_t*)scratch, 1);
}
