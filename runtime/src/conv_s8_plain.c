/*
 * CONV_2D int8, MTVM_CONV_PLAIN layout (OHWI weights as in the model, see mtvm/conv.h): any
 * window, group and channel count, one output at a time, TFLite's requantization as written.
 * The generator uses it where the blocked kernels' layouts do not apply.
 */
#include <stddef.h>
#include <stdint.h>

#include "conv_internal.h"
#include "mtvm/conv.h"

void mtvm_conv2d_s8_plain(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const mtvm_output_stage_t stage = mtvm_make_output_stage(p->output_offset, p->act_min, p->act_max);
  const int32_t fic = p->filter_in_c;
  const int32_t per_group = g->out_c / (g->in_c / fic);
  const int32_t n_taps = g->filter_h * g->filter_w;
  const int32_t pixels = g->batches * g->out_h * g->out_w;
  for (int32_t px = 0; px < pixels; ++px) {
    const mtvm_window_origin_t o = mtvm_conv_window_at(g, input, px);
    int8_t* out = output + (size_t)px * (size_t)g->out_c;
    const int8_t* w = p->weights;
    for (int32_t oc = 0; oc < g->out_c; ++oc) {
      const int32_t channel = (oc / per_group) * fic;
      int32_t acc = p->folded_bias[oc];
      for (int32_t t = 0; t < n_taps; ++t, w += fic) {
        const int32_t iy = o.iy0 + (t / g->filter_w) * g->dilation_h;
        const int32_t ix = o.ix0 + (t % g->filter_w) * g->dilation_w;
        if (mtvm_nhwc_inside(iy, ix, g->in_h, g->in_w)) {
          const int8_t* x = o.image + mtvm_nhwc_offset(0, iy, ix, g->in_h, g->in_w, g->in_c) + channel;
          for (int32_t i = 0; i < fic; ++i) {
            acc += (int32_t)x[i] * w[i];
          }
        } else {
          /* Outside the image the input is the zero point: (zero point + input_offset) * w = 0
             in the unfolded sum, i.e. -input_offset * w on top of the folded bias. */
          for (int32_t i = 0; i < fic; ++i) {
            acc -= p->input_offset * w[i];
          }
        }
      }
      out[oc] = mtvm_conv_requantize(acc, p->requant + 2 * oc, stage, 0);
    }
  }
}
