/*
 * DEPTHWISE_CONV_2D, 16x8: int16 activations (zero point 0), int8 weights, int64 bias.
 *
 * Mirrors LiteRT's reference_integer_ops::DepthwiseConvPerChannel for int16 inputs: output
 * channel oc = ic * depth_multiplier + m sums, in 64 bits, the taps inside the image of input
 * channel ic times its weights (taps outside are skipped: zero padding, the zero point being 0),
 * adds the bias and requantizes with the 64-bit MultiplyByQuantizedMultiplier (mtvm_mbqm_s64).
 */
#include <stdint.h>

#include "mtvm/conv.h"

void mtvm_depthwise_conv2d_s16(const mtvm_depthwise_conv2d_s16_params_t* p, const int16_t* input,
                               int16_t* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const int32_t mult = p->depth_multiplier;
  for (int32_t b = 0; b < g->batches; ++b) {
    const int16_t* image = input + (int64_t)b * g->in_h * g->in_w * g->in_c;
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      const int32_t y0 = oy * g->stride_h - g->pad_top;
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        const int32_t x0 = ox * g->stride_w - g->pad_left;
        for (int32_t oc = 0; oc < g->out_c; ++oc) {
          const int32_t ic = oc / mult;
          int64_t acc = p->bias != NULL ? p->bias[oc] : 0;
          for (int32_t fy = 0; fy < g->filter_h; ++fy) {
            const int32_t iy = y0 + fy * g->dilation_h;
            if (iy < 0 || iy >= g->in_h) {
              continue;
            }
            for (int32_t fx = 0; fx < g->filter_w; ++fx) {
              const int32_t ix = x0 + fx * g->dilation_w;
              if (ix < 0 || ix >= g->in_w) {
                continue;
              }
              const int32_t x = image[((int64_t)iy * g->in_w + ix) * g->in_c + ic];
              acc += x * p->weights[(int64_t)(fy * g->filter_w + fx) * g->out_c + oc];
            }
          }
          const int32_t v = mtvm_mbqm_s64(acc, p->requant[2 * oc], p->requant[2 * oc + 1]);
          *output++ = (int16_t)mtvm_clamp_i32(v, p->act_min, p->act_max);
        }
      }
    }
  }
}
