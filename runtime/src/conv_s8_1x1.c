/*
 * CONV_2D int8 with a 1x1 window and one group (MTVM_CONV_PAIRS, see mtvm/conv.h): a matrix
 * product over pixels, two output channels (outer loop, their constants held throughout) by
 * two pixels at a time. A 1x1 window never reaches outside the image.
 *
 * mtvm_conv2d_s8_1x1 requantizes with the short form (conv_internal.h), which the generator
 * calls only when it has proved the form exact; mtvm_conv2d_s8_1x1_general with TFLite's.
 */
#include <stddef.h>
#include <stdint.h>

#include "conv_internal.h"
#include "conv_mac_s8.h"
#include "mtvm/conv.h"

/* The bias and requantization constants of two output channels, which the caller holds. */
typedef struct {
  int32_t bias0, bias1, multiplier0, multiplier1, shift0, shift1;
} mtvm_channel_pair_t;

/* Two output pixels of a 1x1 window into two output channels. */
MTVM_CONV_INLINE void mtvm_pointwise_2x2(const int8_t* xa, const int8_t* xb, int has_b, const int8_t* w,
                                         int32_t chunks, mtvm_channel_pair_t c, mtvm_output_stage_t stage, int fast,
                                         int8_t* out, int32_t out_c) {
  mtvm_acc4_t acc = {c.bias0, c.bias1, c.bias0, c.bias1};
  const int32_t rq0[2] = {c.multiplier0, c.shift0};
  const int32_t rq1[2] = {c.multiplier1, c.shift1};
  mtvm_mac_2x2(xa, xb, w, chunks, &acc);
  out[0] = mtvm_conv_requantize(acc.a0, rq0, stage, fast);
  out[1] = mtvm_conv_requantize(acc.a1, rq1, stage, fast);
  if (has_b) {
    out[out_c] = mtvm_conv_requantize(acc.a2, rq0, stage, fast);
    out[out_c + 1] = mtvm_conv_requantize(acc.a3, rq1, stage, fast);
  }
}

/* `fast` as for mtvm_conv_requantize(), a constant in each copy of this function. */
MTVM_CONV_INLINE void mtvm_conv2d_s8_pointwise(const mtvm_conv2d_s8_params_t* p, const int8_t* input,
                                               int8_t* output, int fast) {
  const mtvm_conv_geometry_t* g = &p->g;
  const mtvm_output_stage_t stage = mtvm_make_output_stage(p->output_offset, p->act_min, p->act_max);
  const int32_t in_c = g->in_c;
  const int32_t out_c = g->out_c;
  const int32_t chunks = in_c / 4;
  const int32_t pixels = g->batches * g->out_h * g->out_w;
  /* With stride 1 the output has the input's size and pixel k reads input pixel k. */
  const int contiguous = g->stride_h == 1 && g->stride_w == 1;
  int32_t oc = 0;
#if MTVM_CONV_MVE
  /* Helium: four output channels (two pairs) by two pixels, the four accumulators of a pixel
     requantized together in one vector (mtvm_requantize_fast_x4) and stored with VSTRB.32. */
  for (; fast && oc + 4 <= out_c; oc += 4) {
    const int8_t* const w = p->weights + (size_t)oc * (size_t)in_c;
    const int32x4_t bias = vld1q_s32(p->folded_bias + oc);
    int32x4_t multiplier, shift_plus_one;
    mtvm_load_requant_x4(p->requant + 2 * oc, &multiplier, &shift_plus_one);
    int8_t* out = output + oc;
    for (int32_t px = 0; px < pixels; px += 2, out += 2 * out_c) {
      const int has_b = px + 1 < pixels;
      const int8_t *xa, *xb;
      if (contiguous) {
        xa = input + (size_t)px * (size_t)in_c;
        xb = has_b ? xa + in_c : xa;
      } else {
        xa = mtvm_window_corner(g, mtvm_conv_window_at(g, input, px));
        xb = mtvm_window_corner(g, mtvm_conv_window_at(g, input, has_b ? px + 1 : px));
      }
      int32_t sa[4] = {0, 0, 0, 0}, sb[4] = {0, 0, 0, 0};
      mtvm_mac_2x4(xa, xb, w, w + 2 * in_c, chunks, sa, sb);
      vstrbq_s32(out, mtvm_requantize_fast_x4(vaddq_s32(vld1q_s32(sa), bias), multiplier, shift_plus_one,
                                               stage.half_offset));
      if (has_b) {
        vstrbq_s32(out + out_c, mtvm_requantize_fast_x4(vaddq_s32(vld1q_s32(sb), bias), multiplier, shift_plus_one,
                                                         stage.half_offset));
      }
    }
  }
#endif
  for (; oc + 2 <= out_c; oc += 2) {
    const int8_t* const w = p->weights + (size_t)oc * (size_t)in_c;
    const mtvm_channel_pair_t c = {p->folded_bias[oc], p->folded_bias[oc + 1], p->requant[2 * oc],
                                   p->requant[2 * oc + 2], p->requant[2 * oc + 1], p->requant[2 * oc + 3]};
    int8_t* out = output + oc;
    if (contiguous) {
      const int8_t* x = input;
      for (int32_t px = 0; px < pixels; px += 2, x += 2 * in_c, out += 2 * out_c) {
        const int has_b = px + 1 < pixels;
        mtvm_pointwise_2x2(x, has_b ? x + in_c : x, has_b, w, chunks, c, stage, fast, out, out_c);
      }
    } else {
      for (int32_t px = 0; px < pixels; px += 2, out += 2 * out_c) {
        const int has_b = px + 1 < pixels;
        const int8_t* xa = mtvm_window_corner(g, mtvm_conv_window_at(g, input, px));
        const int8_t* xb = mtvm_window_corner(g, mtvm_conv_window_at(g, input, has_b ? px + 1 : px));
        mtvm_pointwise_2x2(xa, xb, has_b, w, chunks, c, stage, fast, out, out_c);
      }
    }
  }
  if (oc < out_c) { /* an odd last channel: its plain row */
    const int8_t* const w = p->weights + (size_t)oc * (size_t)in_c;
    int8_t* out = output + oc;
    for (int32_t px = 0; px < pixels; ++px, out += out_c) {
      const int8_t* x = mtvm_window_corner(g, mtvm_conv_window_at(g, input, px));
      int32_t acc[2] = {p->folded_bias[oc], p->folded_bias[oc]};
      mtvm_mac_2x1(x, x, w, chunks, acc);
      out[0] = mtvm_conv_requantize(acc[0], p->requant + 2 * oc, stage, fast);
    }
  }
}

void mtvm_conv2d_s8_1x1(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output) {
  mtvm_conv2d_s8_pointwise(p, input, output, 1);
}

void mtvm_conv2d_s8_1x1_general(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output) {
  mtvm_conv2d_s8_pointwise(p, input, output, 0);
}
