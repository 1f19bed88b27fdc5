/*
 * CONV_2D, 16x8: int16 activations (zero point 0), int8 weights, int64 or int32 bias.
 *
 * Mirrors LiteRT's reference_integer_ops::ConvPerChannel for int16 inputs: for every output
 * pixel and channel, the products of the window taps inside the image (taps outside are
 * skipped, which is zero padding as the input zero point is 0) are summed in 64 bits, the bias
 * added, and the sum requantized per output channel (mtvm_requantize_s16 in mtvm/conv.h: the
 * 64-bit MultiplyByQuantizedMultiplier for an int64 bias, the int32 one for an int32 bias).
 * Each tap's filter_in_c products are one mtvm_dot_s16_s8 (SMLALD with the DSP extension).
 */
#include <stdint.h>

#include "mtvm/conv.h"

void mtvm_conv2d_s16(const mtvm_conv2d_s16_params_t* p, const int16_t* input, int16_t* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const int32_t fic = p->filter_in_c;
  const int32_t groups = g->in_c / fic;
  const int32_t per_group = g->out_c / groups;
  const int32_t taps = g->filter_h * g->filter_w;
  for (int32_t b = 0; b < g->batches; ++b) {
    const int16_t* image = input + (int64_t)b * g->in_h * g->in_w * g->in_c;
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      const int32_t y0 = oy * g->stride_h - g->pad_top;
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        const int32_t x0 = ox * g->stride_w - g->pad_left;
        for (int32_t oc = 0; oc < g->out_c; ++oc) {
          const int32_t group = oc / per_group;
          const int8_t* w = p->weights + (int64_t)oc * taps * fic;
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
              const int16_t* x = image + ((int64_t)iy * g->in_w + ix) * g->in_c + group * fic;
              acc += mtvm_dot_s16_s8(x, w + (int64_t)(fy * g->filter_w + fx) * fic, fic);
            }
          }
          *output++ = mtvm_requantize_s16(acc, p->requant[2 * oc], p->requant[2 * oc + 1], p->requant_mode,
                                          p->act_min, p->act_max);
        }
      }
    }
  }
}
