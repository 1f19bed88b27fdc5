/*
 * DEPTHWISE_CONV_2D int8, MTVM_DW_QUADS layout (depth multiplier 1, see mtvm/conv.h): per
 * pixel, four channels at a time over all taps, whose weights come as two words of 16-bit
 * halves per tap (channels 0 and 2, channels 1 and 3), as SMLABB and SMLATT multiply them with
 * the halves of the sign-extended input (mtvm_dw_mac_tap in conv_mac_s8.h); the last
 * out_c % 4 channels one at a time. Taps outside the image read a row of the input zero point.
 *
 * mtvm_depthwise_conv2d_s8_quads requantizes with the short form (conv_internal.h), which the
 * generator calls only when it has proved the form exact; the _general entry with TFLite's.
 */
#include <stddef.h>
#include <stdint.h>

#include "conv_internal.h"
#include "conv_mac_s8.h"
#include "mtvm/conv.h"

/* `fast` as for mtvm_conv_requantize(), a constant in each copy of this function. */
MTVM_CONV_INLINE void mtvm_depthwise_s8_quads(const mtvm_depthwise_conv2d_s8_params_t* p, const int8_t* input,
                                              int8_t* output, int fast) {
  const mtvm_conv_geometry_t* g = &p->g;
  const mtvm_output_stage_t stage = mtvm_make_output_stage(p->output_offset, p->act_min, p->act_max);
  const int32_t channels = g->out_c;
  const int32_t quads = channels / 4;
  const int32_t rest = channels - quads * 4;
  const int32_t pixels = g->batches * g->out_h * g->out_w;
  const int32_t* const weight_pairs = p->weight_pairs;
  const int32_t* const folded_bias = p->folded_bias;
  const int32_t* const requant = p->requant;
  mtvm_window_shape_t shape;
  mtvm_make_window_shape(g, &shape);
  const int32_t n_taps = shape.n_taps;
  const int8_t* taps[MTVM_CONV_MAX_TAPS];
  for (int32_t px = 0; px < pixels; ++px) {
    mtvm_window_taps(g, &shape, input, px, 0, p->pad, taps);
    int8_t* out = output + (size_t)px * (size_t)channels;
    const int32_t* w = weight_pairs;
#if MTVM_CONV_MVE
    if (fast) {
      /* Helium, eight channels (two groups of four) at a time. Per tap, VLDRB.S16 widens the
         eight input bytes to 16-bit lanes and one gather (VLDRH.S16 with halfword offsets
         0, 2, 1, 3 into each group's tap words: channels 0 and 2, then 1 and 3) puts the
         tap's weights in channel order; VMULLB/VMULLT multiply the even/odd lanes into 32-bit
         products (int8 x int8 is exact in 16 bits already), which VADD accumulates: even
         channels c, c+2, c+4, c+6 in one vector, odd channels in another. A last single group
         uses four 32-bit lanes (VMUL, VADD). The same sums as the scalar loop below. */
      uint16_t pair_order[8] = {0, 2, 1, 3, 0, 2, 1, 3};
      for (int32_t i = 4; i < 8; ++i) {
        pair_order[i] = (uint16_t)(pair_order[i] + 4 * n_taps); /* the second group's words */
      }
      static const uint32_t even[4] = {0, 2, 4, 6};
      const uint16x8_t order8 = vld1q_u16(pair_order);
      const uint32x4_t lanes = vld1q_u32(even);
      int32_t c = 0;
      for (; c + 8 <= quads * 4; c += 8) {
        int32x4_t acc_even = vldrwq_gather_shifted_offset_s32(folded_bias + c, lanes);
        int32x4_t acc_odd = vldrwq_gather_shifted_offset_s32(folded_bias + c + 1, lanes);
        const int16_t* wh = (const int16_t*)(const void*)w;
        for (int32_t t = 0; t < n_taps; ++t, wh += 4) {
          const int16x8_t x = vldrbq_s16(taps[t] + c);
          const int16x8_t wv = vldrhq_gather_shifted_offset_s16(wh, order8);
          acc_even = vaddq_s32(acc_even, vmullbq_int_s16(x, wv));
          acc_odd = vaddq_s32(acc_odd, vmulltq_int_s16(x, wv));
        }
        w += 4 * n_taps;
        const int32x4_t rq_lanes = vreinterpretq_s32_u32(vshlq_n_u32(lanes, 1)); /* [c][2] rows 0, 2, 4, 6 */
        const int32x4_t m_even = vldrwq_gather_shifted_offset_s32(requant + 2 * c, vreinterpretq_u32_s32(rq_lanes));
        const int32x4_t s_even = vldrwq_gather_shifted_offset_s32(requant + 2 * c + 1, vreinterpretq_u32_s32(rq_lanes));
        const int32x4_t m_odd = vldrwq_gather_shifted_offset_s32(requant + 2 * c + 2, vreinterpretq_u32_s32(rq_lanes));
        const int32x4_t s_odd = vldrwq_gather_shifted_offset_s32(requant + 2 * c + 3, vreinterpretq_u32_s32(rq_lanes));
        vstrbq_scatter_offset_s32(out + c, lanes,
                                  mtvm_requantize_fast_x4(acc_even, m_even, vaddq_n_s32(s_even, 1), stage.half_offset));
        vstrbq_scatter_offset_s32(out + c + 1, lanes,
                                  mtvm_requantize_fast_x4(acc_odd, m_odd, vaddq_n_s32(s_odd, 1), stage.half_offset));
      }
      if (c < quads * 4) {
        static const uint32_t channel_order[4] = {0, 2, 1, 3};
        const uint32x4_t order = vld1q_u32(channel_order);
        int32x4_t acc = vld1q_s32(folded_bias + c);
        const int16_t* wh = (const int16_t*)(const void*)w;
        for (int32_t t = 0; t < n_taps; ++t, wh += 4) {
          acc = vaddq_s32(acc, vmulq_s32(vldrbq_s32(taps[t] + c), vldrhq_gather_shifted_offset_s32(wh, order)));
        }
        w += 2 * n_taps;
        int32x4_t multiplier, shift_plus_one;
        mtvm_load_requant_x4(requant + 2 * c, &multiplier, &shift_plus_one);
        vstrbq_s32(out + c, mtvm_requantize_fast_x4(acc, multiplier, shift_plus_one, stage.half_offset));
      }
    } else
#endif
    for (int32_t c = 0; c < quads * 4; c += 4) {
      mtvm_acc4_t acc = {folded_bias[c], folded_bias[c + 1], folded_bias[c + 2], folded_bias[c + 3]};
      const int8_t* const* tap = taps;
      int32_t t = 0;
      for (; t + 3 <= n_taps; t += 3) {
        mtvm_dw_mac_tap(&tap, c, &w, &acc);
        mtvm_dw_mac_tap(&tap, c, &w, &acc);
        mtvm_dw_mac_tap(&tap, c, &w, &acc);
      }
      for (; t < n_taps; ++t) {
        mtvm_dw_mac_tap(&tap, c, &w, &acc);
      }
      const int32_t* rq = requant + 2 * c;
      out[c] = mtvm_conv_requantize(acc.a0, rq, stage, fast);
      out[c + 1] = mtvm_conv_requantize(acc.a1, rq + 2, stage, fast);
      out[c + 2] = mtvm_conv_requantize(acc.a2, rq + 4, stage, fast);
      out[c + 3] = mtvm_conv_requantize(acc.a3, rq + 6, stage, fast);
    }
    /* The last channels: one weight per word, [tap][channel]. */
    for (int32_t r = 0; r < rest; ++r) {
      const int32_t c = quads * 4 + r;
      int32_t acc = folded_bias[c];
      for (int32_t t = 0; t < n_taps; ++t) {
        acc += (int32_t)taps[t][c] * w[t * rest + r];
      }
      out[c] = mtvm_conv_requantize(acc, requant + 2 * c, stage, fast);
    }
  }
}

void mtvm_depthwise_conv2d_s8_quads(const mtvm_depthwise_conv2d_s8_params_t* p, const int8_t* input,
                                    int8_t* output) {
  mtvm_depthwise_s8_quads(p, input, output, 1);
}

void mtvm_depthwise_conv2d_s8_quads_general(const mtvm_depthwise_conv2d_s8_params_t* p, const int8_t* input,
                                            int8_t* output) {
  mtvm_depthwise_s8_quads(p, input, output, 0);
}
