/*
 * CONV_2D int8, MTVM_CONV_PAIRS and MTVM_CONV_GATHER layouts (see mtvm/conv.h): two output
 * pixels by two output channels at a time, so that each input and weight word loaded serves
 * two multiply-accumulates. The weights of a channel pair are interleaved in 4-byte chunks (one
 * pointer walks them). The input is read straight from the image in runs (MTVM_CONV_PAIRS: a
 * window row of taps next to each other, or a single tap; taps outside the image read a row of
 * the input zero point, which contributes nothing to the folded sum) or, for few input channels,
 * from a copy of the window on the stack padded to whole chunks (MTVM_CONV_GATHER).
 *
 * mtvm_conv2d_s8_window requantizes with the short form (conv_internal.h), which the generator
 * calls only when it has proved the form exact; mtvm_conv2d_s8_window_general with TFLite's.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conv_internal.h"
#include "conv_mac_s8.h"
#include "mtvm/conv.h"

/* Short copies and fills, a word at a time: memcpy and memset calls would cost more than the
   few bytes of a window row. */
MTVM_CONV_INLINE void mtvm_copy_bytes(int8_t* dst, const int8_t* src, int32_t n) {
#if MTVM_CONV_MVE
  /* Helium: sixteen bytes per predicated load and store. */
  for (int32_t i = 0; i < n; i += 16) {
    const mve_pred16_t p = vctp8q((uint32_t)(n - i));
    vstrbq_p_s8(dst + i, vld1q_z_s8(src + i, p), p);
  }
  return;
#endif
  for (; n >= 4; n -= 4, dst += 4, src += 4) {
    uint32_t v;
    memcpy(&v, src, 4);
    memcpy(dst, &v, 4);
  }
  if (n & 2) {
    dst[0] = src[0];
    dst[1] = src[1];
    dst += 2;
    src += 2;
  }
  if (n & 1) {
    dst[0] = src[0];
  }
}

MTVM_CONV_INLINE void mtvm_fill_bytes(int8_t* dst, int8_t value, int32_t n) {
#if MTVM_CONV_MVE
  const int8x16_t fill = vdupq_n_s8(value);
  for (int32_t i = 0; i < n; i += 16) {
    vstrbq_p_s8(dst + i, fill, vctp8q((uint32_t)(n - i)));
  }
  return;
#endif
  const uint32_t v = (uint32_t)(uint8_t)value * 0x01010101u;
  for (; n >= 4; n -= 4, dst += 4) {
    memcpy(dst, &v, 4);
  }
  if (n & 2) {
    dst[0] = value;
    dst[1] = value;
    dst += 2;
  }
  if (n & 1) {
    dst[0] = value;
  }
}

/* The window of `pixel` for input channels [channel, channel + fic), copied to `buffer` as
   [ky][kx][channel]: the input zero point for taps outside the image, then zeros up to `padded`
   bytes (whose weights are zero). A row of taps next to each other in the image (no dilation,
   all channels) is one copy. */
static void mtvm_gather_window(const mtvm_conv_geometry_t* g, const int8_t* input, int32_t pixel, int32_t channel,
                               int32_t fic, int8_t zero_point, int32_t padded, int8_t* buffer) {
  const mtvm_window_origin_t o = mtvm_conv_window_at(g, input, pixel);
  const int32_t row_bytes = g->filter_w * fic;
  const int contiguous = g->dilation_w == 1 && fic == g->in_c;
  if (contiguous && o.iy0 >= 0 && o.ix0 >= 0 && o.ix0 + g->filter_w <= g->in_w &&
      o.iy0 + (g->filter_h - 1) * g->dilation_h < g->in_h) {
    /* The whole window inside the image: one copy per row. */
    const int8_t* row = mtvm_window_corner(g, o);
    const size_t row_step = (size_t)g->dilation_h * (size_t)g->in_w * (size_t)fic;
    int8_t* out = buffer;
    for (int32_t ky = 0; ky < g->filter_h; ++ky, row += row_step, out += row_bytes) {
      mtvm_copy_bytes(out, row, row_bytes);
    }
    mtvm_fill_bytes(out, 0, padded - g->filter_h * row_bytes);
    return;
  }
  for (int32_t ky = 0; ky < g->filter_h; ++ky) {
    int8_t* out = buffer + ky * row_bytes;
    const int32_t iy = o.iy0 + ky * g->dilation_h;
    if (iy < 0 || iy >= g->in_h) {
      mtvm_fill_bytes(out, zero_point, row_bytes);
      continue;
    }
    const int8_t* row = o.image + mtvm_nhwc_offset(0, iy, 0, g->in_h, g->in_w, g->in_c) + channel;
    if (contiguous) {
      const int32_t first = o.ix0 < 0 ? -o.ix0 : 0; /* taps [first, end) are inside */
      int32_t end = g->in_w - o.ix0;
      end = end > g->filter_w ? g->filter_w : (end < first ? first : end);
      mtvm_fill_bytes(out, zero_point, first * fic);
      mtvm_copy_bytes(out + first * fic, row + (size_t)(o.ix0 + first) * (size_t)g->in_c, (end - first) * fic);
      mtvm_fill_bytes(out + end * fic, zero_point, (g->filter_w - end) * fic);
      continue;
    }
    for (int32_t kx = 0; kx < g->filter_w; ++kx, out += fic) {
      const int32_t ix = o.ix0 + kx * g->dilation_w;
      if (ix >= 0 && ix < g->in_w) {
        mtvm_copy_bytes(out, row + (size_t)ix * (size_t)g->in_c, fic);
      } else {
        mtvm_fill_bytes(out, zero_point, fic);
      }
    }
  }
  mtvm_fill_bytes(buffer + g->filter_h * row_bytes, 0, padded - g->filter_h * row_bytes);
}

/* The runs of input two pixels read for MTVM_CONV_PAIRS: each tap of `taps_a`/`taps_b` (fic
   bytes), except that a row of taps that is, for both pixels, either wholly inside the image or
   wholly outside is one run of filter_w * fic bytes (`merge`: no dilation along x and one group,
   so that the taps of a row lie next to each other; the zero-point row `pad` is that long).
   Returns the number of runs; chunks[k] is the length of run k in 4-byte chunks. The runs
   replace the taps in place (run k never comes after the taps it is made of). */
static int32_t mtvm_window_runs(const mtvm_conv_geometry_t* g, int32_t fic, int merge, const int8_t* pad,
                                const int8_t** taps_a, const int8_t** taps_b, int32_t* chunks) {
  const int8_t** run_a = taps_a;
  const int8_t** run_b = taps_b;
  int32_t n = 0;
  const int32_t fw = g->filter_w;
  for (int32_t t0 = 0; t0 < g->filter_h * fw; t0 += fw) {
    int whole = merge;
    for (int32_t kx = 1; kx < fw && whole; ++kx) {
      /* Inside taps of a row are all inside if its two ends are; outside ones are all pad. */
      whole = ((taps_a[t0] == pad) == (taps_a[t0 + kx] == pad)) &&
              ((taps_b[t0] == pad) == (taps_b[t0 + kx] == pad));
    }
    if (whole) {
      run_a[n] = taps_a[t0];
      run_b[n] = taps_b[t0];
      chunks[n++] = fw * fic / 4;
      continue;
    }
    for (int32_t kx = 0; kx < fw; ++kx) {
      run_a[n] = taps_a[t0 + kx];
      run_b[n] = taps_b[t0 + kx];
      chunks[n++] = fic / 4;
    }
  }
  return n;
}

/* Two pixels by two output channels at a time. `fast` as for mtvm_conv_requantize(), a
   constant in each copy of this function. */
MTVM_CONV_INLINE void mtvm_conv2d_s8_blocked(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output,
                                             int fast) {
  const mtvm_conv_geometry_t* g = &p->g;
  const mtvm_output_stage_t stage = mtvm_make_output_stage(p->output_offset, p->act_min, p->act_max);
  const int32_t out_c = g->out_c;
  const int32_t n_taps = g->filter_h * g->filter_w;
  const int32_t fic = p->filter_in_c;
  const int32_t groups = g->in_c / fic;
  const int32_t per_group = out_c / groups;
  const int gather = p->layout == MTVM_CONV_GATHER;
  const int8_t zero_point = (int8_t)-p->input_offset;
  const int8_t* const weights = p->weights;
  const int32_t* const folded_bias = p->folded_bias;
  const int32_t* const requant = p->requant;
  const int merge = g->dilation_w == 1 && groups == 1;
  /* Each pixel's window is `runs` runs of chunks[k] 4-byte chunks: one (the copied window) for
     MTVM_CONV_GATHER, a tap or a row of taps each for MTVM_CONV_PAIRS. */
  const int32_t padded = (n_taps * fic + 3) & ~3;
  int32_t runs = 1;
  const int32_t pixels = g->batches * g->out_h * g->out_w;
  /* MTVM_CONV_PAIRS: the tap offsets; per pixel pair the two pixels' taps, then their runs in
     the same arrays. MTVM_CONV_GATHER: the two copied windows, one run each. */
  union {
    struct {
      mtvm_window_shape_t shape;
      const int8_t* run_a[MTVM_CONV_MAX_TAPS];
      const int8_t* run_b[MTVM_CONV_MAX_TAPS];
      int32_t chunks[MTVM_CONV_MAX_TAPS];
    } taps;
    uint32_t windows[2][MTVM_CONV_MAX_GATHER / 4];
  } scratch;
  const int8_t* gathered_a[1];
  const int8_t* gathered_b[1];
  int32_t gathered_chunks[1];
  int8_t* const window_a = (int8_t*)scratch.windows[0];
  int8_t* const window_b = (int8_t*)scratch.windows[1];
  const int8_t** run_a = gathered_a;
  const int8_t** run_b = gathered_b;
  int32_t* chunks = gathered_chunks;
  if (gather) {
    gathered_a[0] = window_a;
    gathered_b[0] = window_b;
    gathered_chunks[0] = padded / 4;
  } else {
    mtvm_make_window_shape(g, &scratch.taps.shape);
    run_a = scratch.taps.run_a;
    run_b = scratch.taps.run_b;
    chunks = scratch.taps.chunks;
  }
  for (int32_t px = 0; px < pixels; px += 2) {
    /* An odd last pixel is computed twice and stored once. */
    const int has_b = px + 1 < pixels;
    const int32_t px_b = has_b ? px + 1 : px;
    int8_t* out_a = output + (size_t)px * (size_t)out_c;
    int8_t* out_b = out_a + out_c;
    const int8_t* w = weights;
    for (int32_t grp = 0; grp < groups; ++grp) {
      const int32_t channel = grp * fic;
      if (gather) {
        mtvm_gather_window(g, input, px, channel, fic, zero_point, padded, window_a);
        mtvm_gather_window(g, input, px_b, channel, fic, zero_point, padded, window_b);
      } else {
        mtvm_window_taps(g, &scratch.taps.shape, input, px, channel, p->pad, run_a);
        mtvm_window_taps(g, &scratch.taps.shape, input, px_b, channel, p->pad, run_b);
        runs = mtvm_window_runs(g, fic, merge, p->pad, run_a, run_b, chunks);
      }
      int32_t oc = grp * per_group;
      const int32_t oc_end = oc + per_group;
#if MTVM_CONV_MVE
      /* Helium: four channels (two pairs, whose weights follow each other: a pair's are
         2 * window bytes) by two pixels per pass (mtvm_mac_2x4), requantized in one vector. */
      if (fast) {
        int32_t window = 0;
        for (int32_t r = 0; r < runs; ++r) {
          window += 4 * chunks[r];
        }
        for (; oc + 4 <= oc_end; oc += 4) {
          int32_t sa[4] = {0, 0, 0, 0}, sb[4] = {0, 0, 0, 0};
          const int8_t* w1 = w + 2 * window;
          for (int32_t r = 0; r < runs; ++r) {
            mtvm_mac_2x4(run_a[r], run_b[r], w, w1, chunks[r], sa, sb);
            w += 8 * chunks[r];
            w1 += 8 * chunks[r];
          }
          w = w1;
          const int32x4_t bias = vld1q_s32(folded_bias + oc);
          int32x4_t multiplier, shift_plus_one;
          mtvm_load_requant_x4(requant + 2 * oc, &multiplier, &shift_plus_one);
          vstrbq_s32(out_a + oc, mtvm_requantize_fast_x4(vaddq_s32(vld1q_s32(sa), bias), multiplier, shift_plus_one,
                                                          stage.half_offset));
          if (has_b) {
            vstrbq_s32(out_b + oc, mtvm_requantize_fast_x4(vaddq_s32(vld1q_s32(sb), bias), multiplier,
                                                            shift_plus_one, stage.half_offset));
          }
        }
      }
#endif
      for (; oc + 2 <= oc_end; oc += 2) {
        mtvm_acc4_t acc = {folded_bias[oc], folded_bias[oc + 1], folded_bias[oc], folded_bias[oc + 1]};
        for (int32_t r = 0; r < runs; ++r) {
          w = mtvm_mac_2x2(run_a[r], run_b[r], w, chunks[r], &acc);
        }
        const int32_t* rq = requant + 2 * oc;
        out_a[oc] = mtvm_conv_requantize(acc.a0, rq, stage, fast);
        out_a[oc + 1] = mtvm_conv_requantize(acc.a1, rq + 2, stage, fast);
        if (has_b) {
          out_b[oc] = mtvm_conv_requantize(acc.a2, rq, stage, fast);
          out_b[oc + 1] = mtvm_conv_requantize(acc.a3, rq + 2, stage, fast);
        }
      }
      if (oc < oc_end) {
        int32_t acc[2] = {folded_bias[oc], folded_bias[oc]};
        for (int32_t r = 0; r < runs; ++r) {
          w = mtvm_mac_2x1(run_a[r], run_b[r], w, chunks[r], acc);
        }
        out_a[oc] = mtvm_conv_requantize(acc[0], requant + 2 * oc, stage, fast);
        if (has_b) {
          out_b[oc] = mtvm_conv_requantize(acc[1], requant + 2 * oc, stage, fast);
        }
      }
    }
  }
}

void mtvm_conv2d_s8_window(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output) {
  mtvm_conv2d_s8_blocked(p, input, output, 1);
}

void mtvm_conv2d_s8_window_general(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output) {
  mtvm_conv2d_s8_blocked(p, input, output, 0);
}
