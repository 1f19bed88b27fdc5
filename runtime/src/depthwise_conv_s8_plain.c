/*
 * DEPTHWISE_CONV_2D int8, MTVM_DW_PLAIN layout ([filter_h][filter_w][out_c] as in the model,
 * see mtvm/conv.h): any depth multiplier and window, one output at a time, TFLite's
 * requantization as written. Output channel oc reads input channel oc / depth_multiplier.
 */
#include <stddef.h>
#include <stdint.h>

#include "conv_internal.h"
#include "mtvm/conv.h"

void mtvm_depthwise_conv2d_s8_plain(const mtvm_depthwise_conv2d_s8_params_t* p, const int8_t* input,
                                    int8_t* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const mtvm_output_stage_t stage = mtvm_make_output_stage(p->output_offset, p->act_min, p->act_max);
  const int32_t mult = p->depth_multiplier;
  const int32_t n_taps = g->filter_h * g->filter_w;
  const int32_t pixels = g->batches * g->out_h * g->out_w;
  for (int32_t px = 0; px < pixels; ++px) {
    const mtvm_window_origin_t o = mtvm_conv_window_at(g, input, px);
    int8_t* out = output + (size_t)px * (size_t)g->out_c;
    for (int32_t oc = 0; oc < g->out_c; ++oc) {
      int32_t acc = p->folded_bias[oc];
      for (int32_t t = 0; t < n_taps; ++t) {
        const int32_t iy = o.iy0 + (t / g->filter_w) * g->dilation_h;
        const int32_t ix = o.ix0 + (t % g->filter_w) * g->dilation_w;
        const int32_t w = p->weights[(size_t)t * (size_t)g->out_c + (size_t)oc];
        if (mtvm_nhwc_inside(iy, ix, g->in_h, g->in_w)) {
          acc += (int32_t)o.image[mtvm_nhwc_offset(0, iy, ix, g->in_h, g->in_w, g->in_c) + (size_t)(oc / mult)] * w;
        } else {
          acc -= p->input_offset * w; /* the zero point outside the image, as for CONV_2D */
        }
      }
      out[oc] = mtvm_conv_requantize(acc, p->requant + 2 * oc, stage, 0);
    }
  }
}
