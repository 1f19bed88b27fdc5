/*
 * Convolution family kernels. See mtvm/conv.h for the parameter structs, the weight layouts the
 * generator prepares and the rounding of each kernel.
 *
 * The int8 kernels share one shape: accumulate int8 x int8 products into int32 starting from the
 * folded bias, then requantize. The fast loops compute a block of outputs at once so that each
 * value loaded is used several times:
 *   - CONV_2D: two output pixels x two output channels. The weights of a channel pair are
 *     interleaved in 4-byte chunks (one pointer walks them). The input is read straight from
 *     the image in runs: a window row of taps next to each other, or a single tap (taps outside
 *     the image read a row of the input zero point); or, for few input channels, from a copy of
 *     the window on the stack. 1x1 windows are a matrix product with the channel pair outside.
 *   - DEPTHWISE_CONV_2D: one pixel x four channels, the four channels' weights of each tap
 *     stored as 16-bit halves of two words, ready for SMLABB/SMLATT.
 *   - FULLY_CONNECTED: four output channels, their rows interleaved in 4-byte chunks.
 * With the Cortex-M DSP extension four int8 values are sign-extended into two pairs of 16-bit
 * halves (SXTB16 of the word and of the word rotated by 8: bytes 0,2 and bytes 1,3) and one
 * SMLAD multiplies and adds two pairs. Input and weights are split the same way, so the pairs
 * line up without any reordering. The portable C loops compute the same sums.
 *
 * The float kernels follow LiteRT's reference kernels' accumulation order (taps in filter_y,
 * filter_x, channel order, bias added last) so that results agree to the last bits in practice.
 */
#include "mtvm/conv.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mtvm/quant.h"

/* The DSP paths use GNU inline assembly where GCC's own code would lose instructions (SXTB16 of
   a rotated register, SMMULR, register-hungry inner loops); they need an optimizing build, as
   the inner loop uses 13 registers. */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__)
#define MTVM_CONV_DSP 1
#include <arm_acle.h>
#else
#define MTVM_CONV_DSP 0
#endif

#if defined(__GNUC__)
#define MTVM_CONV_INLINE static inline __attribute__((always_inline))
#else
#define MTVM_CONV_INLINE static inline
#endif

/* The float depthwise kernel accumulates this many neighbouring output channels at once in a
   stack array, so that weights and input channels are read contiguously. */
#define MTVM_DW_CHUNK 32

/* ---- int8 helpers ------------------------------------------------------------------------ */

#if MTVM_CONV_DSP
/* Four bytes from any address (Armv7-M and Armv8-M load words unaligned). */
static inline uint32_t load32(const int8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

/* Bytes 1 and 3 of x, sign-extended into the two 16-bit halves (bytes 0 and 2: __sxtb16). */
static inline int32_t sxtb16_ror8(uint32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

/* (a * b + 2^31) >> 32, the rounded high word of the product. */
static inline int32_t smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
#endif

/* How an operator turns accumulators into int8 outputs. */
typedef struct {
  int32_t offset, lo, hi; /* output zero point, clamp range */
  int32_t half_offset;    /* 1 + 2 * offset, for requantize_fast_full */
} output_stage;

static output_stage make_output_stage(int32_t offset, int32_t lo, int32_t hi) {
  output_stage s = {offset, lo, hi, 1 + 2 * offset};
  return s;
}

/*
 * TFLite's MultiplyByQuantizedMultiplier(acc, multiplier, shift) + offset, clamped to int8, for
 * a right shift (shift < 0), |acc| < 2^30 (or a zero multiplier) and no clamp narrower than
 * int8, which the generator guarantees before it calls a kernel without the _general suffix:
 *   - the rounding doubling high multiply (nudge, then truncating division by 2^31) equals
 *     t = floor((acc * multiplier + 2^30) / 2^31) = floor((2 * acc * multiplier + 2^31) / 2^32),
 *     which is SMMULR of 2 * acc (no overflow below 2^30);
 *   - the rounding right shift by e = -shift (halves away from zero) equals
 *     floor((t' + 2^(e-1)) / 2^e) with t' = t - (t < 0), which is
 *     floor((floor(t' / 2^(e-1)) + 1) / 2); adding the offset before halving, as 2 * offset,
 *     gives the same integer. e - 1 = ~shift. Nothing overflows, as |t| <= |acc|.
 */
static inline int32_t requantize_fast_full(int32_t acc, int32_t multiplier, int32_t shift,
                                           int32_t half_offset) {
#if MTVM_CONV_DSP
  /* Doubled in unsigned arithmetic: a channel whose multiplier is zero may have any
     accumulator (its output is the zero point), and signed overflow would be undefined. */
  int32_t t = smmulr((int32_t)((uint32_t)acc << 1), multiplier);
  t += t >> 31;
  return __ssat(((t >> ~shift) + half_offset) >> 1, 8);
#else
  int32_t t = (int32_t)(((int64_t)acc * multiplier + (1LL << 30)) >> 31);
  t += t >> 31;
  const int32_t v = ((t >> ~shift) + half_offset) >> 1;
  return v < -128 ? -128 : (v > 127 ? 127 : v);
#endif
}

/* Any operator, any clamp range: TFLite's arithmetic as it is written (mtvm/quant.h). */
static int32_t requantize_general(int32_t acc, int32_t multiplier, int32_t shift, output_stage s) {
  const int32_t v = mtvm_multiply_by_quantized_multiplier(acc, multiplier, (int)shift) + s.offset;
  return v < s.lo ? s.lo : (v > s.hi ? s.hi : v);
}

/* requant = {multiplier, shift} of the output channel. `fast` is a compile-time constant: 1 in
   the kernels without the _general suffix. */
MTVM_CONV_INLINE int8_t requantize(int32_t acc, const int32_t* requant, output_stage s, int fast) {
  if (fast) {
    return (int8_t)requantize_fast_full(acc, requant[0], requant[1], s.half_offset);
  }
  return (int8_t)requantize_general(acc, requant[0], requant[1], s);
}

/*
 * acc[0..3] (pixel a: channels 0, 1; pixel b: channels 0, 1) += the dot products of `chunks`
 * 4-byte chunks of xa and xb with a channel pair's interleaved weights; returns the weights
 * that follow.
 */
static inline const int8_t* mac_2x2(const int8_t* xa, const int8_t* xb, const int8_t* w,
                                    int32_t chunks, int32_t acc[4]) {
#if MTVM_CONV_DSP
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  uint32_t t0, t1, t2, t3, t4, t5;
  /* One chunk: 20 instructions for 16 multiply-accumulates. */
#define MTVM_MAC_2X2_CHUNK                                                                     \
  "ldr %[t0], [%[xa]], #4\n\t"                                                                 \
  "ldr %[t1], [%[xb]], #4\n\t"                                                                 \
  "ldr %[t2], [%[w]], #8\n\t"                                                                  \
  "sxtb16 %[t3], %[t0]\n\t"                                                                    \
  "sxtb16 %[t0], %[t0], ror #8\n\t"                                                            \
  "sxtb16 %[t4], %[t1]\n\t"                                                                    \
  "sxtb16 %[t1], %[t1], ror #8\n\t"                                                            \
  "sxtb16 %[t5], %[t2]\n\t"                                                                    \
  "sxtb16 %[t2], %[t2], ror #8\n\t"                                                            \
  "smlad %[a00], %[t3], %[t5], %[a00]\n\t"                                                     \
  "smlad %[a00], %[t0], %[t2], %[a00]\n\t"                                                     \
  "smlad %[a10], %[t4], %[t5], %[a10]\n\t"                                                     \
  "smlad %[a10], %[t1], %[t2], %[a10]\n\t"                                                     \
  "ldr %[t2], [%[w], #-4]\n\t"                                                                 \
  "sxtb16 %[t5], %[t2]\n\t"                                                                    \
  "sxtb16 %[t2], %[t2], ror #8\n\t"                                                            \
  "smlad %[a01], %[t3], %[t5], %[a01]\n\t"                                                     \
  "smlad %[a01], %[t0], %[t2], %[a01]\n\t"                                                     \
  "smlad %[a11], %[t4], %[t5], %[a11]\n\t"                                                     \
  "smlad %[a11], %[t1], %[t2], %[a11]\n\t"
#define MTVM_MAC_2X2_OPERANDS                                                                  \
  : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [xa] "+r"(xa),         \
    [xb] "+r"(xb), [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), \
    [t4] "=&r"(t4), [t5] "=&r"(t5)                                                             \
  :                                                                                            \
  : "memory"
  for (; chunks >= 2; chunks -= 2) {
    __asm__(MTVM_MAC_2X2_CHUNK MTVM_MAC_2X2_CHUNK MTVM_MAC_2X2_OPERANDS);
  }
  if (chunks > 0) {
    __asm__(MTVM_MAC_2X2_CHUNK MTVM_MAC_2X2_OPERANDS);
  }
#undef MTVM_MAC_2X2_OPERANDS
#undef MTVM_MAC_2X2_CHUNK
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
  return w;
#else
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  for (int32_t c = 0; c < chunks; ++c, xa += 4, xb += 4, w += 8) {
    for (int32_t i = 0; i < 4; ++i) {
      const int32_t w0 = w[i], w1 = w[4 + i];
      a00 += (int32_t)xa[i] * w0;
      a01 += (int32_t)xa[i] * w1;
      a10 += (int32_t)xb[i] * w0;
      a11 += (int32_t)xb[i] * w1;
    }
  }
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
  return w;
#endif
}

/* acc[0] (pixel a), acc[1] (pixel b) += dot products of `chunks` 4-byte chunks with one plain
   weight row; returns the weights that follow. */
static inline const int8_t* mac_2x1(const int8_t* xa, const int8_t* xb, const int8_t* w,
                                    int32_t chunks, int32_t acc[2]) {
  int32_t a0 = acc[0], a1 = acc[1];
  for (int32_t c = 0; c < chunks; ++c, xa += 4, xb += 4, w += 4) {
#if MTVM_CONV_DSP
    const uint32_t xaw = load32(xa), xbw = load32(xb), ww = load32(w);
    const int32_t w02 = (int32_t)__sxtb16(ww), w13 = sxtb16_ror8(ww);
    a0 = __smlad((int32_t)__sxtb16(xaw), w02, a0);
    a0 = __smlad(sxtb16_ror8(xaw), w13, a0);
    a1 = __smlad((int32_t)__sxtb16(xbw), w02, a1);
    a1 = __smlad(sxtb16_ror8(xbw), w13, a1);
#else
    for (int32_t i = 0; i < 4; ++i) {
      a0 += (int32_t)xa[i] * w[i];
      a1 += (int32_t)xb[i] * w[i];
    }
#endif
  }
  acc[0] = a0;
  acc[1] = a1;
  return w;
}

/* Where output pixel `pixel` (raster order over batches, rows and columns) reads its input:
   the batch image and the window's top left corner (possibly outside the image). */
typedef struct {
  const int8_t* image;
  int32_t iy0, ix0;
} window_origin;

static window_origin window_at(const mtvm_conv_geometry_t* g, const int8_t* input, int32_t pixel) {
  const int32_t per_image = g->out_h * g->out_w;
  const int32_t b = pixel / per_image;
  const int32_t oy = (pixel - b * per_image) / g->out_w;
  const int32_t ox = pixel - b * per_image - oy * g->out_w;
  window_origin o;
  o.image = input + (size_t)b * (size_t)g->in_h * (size_t)g->in_w * (size_t)g->in_c;
  o.iy0 = oy * g->stride_h - g->pad_top;
  o.ix0 = ox * g->stride_w - g->pad_left;
  return o;
}

/* Offsets of a window's taps from its top left corner, for windows inside the image. */
typedef struct {
  int32_t n_taps;
  int32_t last_dy, last_dx; /* the bottom right tap, relative to the corner */
  int32_t offset[MTVM_CONV_MAX_TAPS];
} window_shape;

static void make_window_shape(const mtvm_conv_geometry_t* g, window_shape* w) {
  w->n_taps = g->filter_h * g->filter_w;
  w->last_dy = (g->filter_h - 1) * g->dilation_h;
  w->last_dx = (g->filter_w - 1) * g->dilation_w;
  int32_t t = 0;
  for (int32_t ky = 0; ky < g->filter_h; ++ky) {
    for (int32_t kx = 0; kx < g->filter_w; ++kx, ++t) {
      w->offset[t] = (ky * g->dilation_h * g->in_w + kx * g->dilation_w) * g->in_c;
    }
  }
}

/* A pointer to channel `channel` of each window tap of `pixel`, or `pad` for taps outside the
   image (n_taps <= MTVM_CONV_MAX_TAPS). */
static void window_taps(const mtvm_conv_geometry_t* g, const window_shape* shape, const int8_t* input,
                        int32_t pixel, int32_t channel, const int8_t* pad, const int8_t** taps) {
  const window_origin o = window_at(g, input, pixel);
  if (o.iy0 >= 0 && o.ix0 >= 0 && o.iy0 + shape->last_dy < g->in_h && o.ix0 + shape->last_dx < g->in_w) {
    const int8_t* corner = o.image + ((size_t)o.iy0 * (size_t)g->in_w + (size_t)o.ix0) * (size_t)g->in_c + channel;
    for (int32_t t = 0; t < shape->n_taps; ++t) {
      taps[t] = corner + shape->offset[t];
    }
    return;
  }
  for (int32_t ky = 0; ky < g->filter_h; ++ky) {
    const int32_t iy = o.iy0 + ky * g->dilation_h;
    const int row_inside = iy >= 0 && iy < g->in_h;
    const int8_t* row = o.image + (size_t)(row_inside ? iy : 0) * (size_t)g->in_w * (size_t)g->in_c;
    for (int32_t kx = 0; kx < g->filter_w; ++kx) {
      const int32_t ix = o.ix0 + kx * g->dilation_w;
      const int inside = row_inside && ix >= 0 && ix < g->in_w;
      *taps++ = inside ? row + (size_t)ix * (size_t)g->in_c + (size_t)channel : pad;
    }
  }
}

/* ---- CONV_2D int8 ----------------------------------------------------------------------- */

/* Short copies and fills, a word at a time: memcpy and memset calls would cost more than the
   few bytes of a window row. */
MTVM_CONV_INLINE void copy_bytes(int8_t* dst, const int8_t* src, int32_t n) {
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

MTVM_CONV_INLINE void fill_bytes(int8_t* dst, int8_t value, int32_t n) {
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
static void gather_window(const mtvm_conv_geometry_t* g, const int8_t* input, int32_t pixel,
                          int32_t channel, int32_t fic, int8_t zero_point, int32_t padded,
                          int8_t* buffer) {
  const window_origin o = window_at(g, input, pixel);
  const int32_t row_bytes = g->filter_w * fic;
  const int contiguous = g->dilation_w == 1 && fic == g->in_c;
  if (contiguous && o.iy0 >= 0 && o.ix0 >= 0 && o.ix0 + g->filter_w <= g->in_w &&
      o.iy0 + (g->filter_h - 1) * g->dilation_h < g->in_h) {
    /* The whole window inside the image: one copy per row. */
    const int8_t* row = o.image + ((size_t)o.iy0 * (size_t)g->in_w + (size_t)o.ix0) * (size_t)fic;
    const size_t row_step = (size_t)g->dilation_h * (size_t)g->in_w * (size_t)fic;
    int8_t* out = buffer;
    for (int32_t ky = 0; ky < g->filter_h; ++ky, row += row_step, out += row_bytes) {
      copy_bytes(out, row, row_bytes);
    }
    fill_bytes(out, 0, padded - g->filter_h * row_bytes);
    return;
  }
  for (int32_t ky = 0; ky < g->filter_h; ++ky) {
    int8_t* out = buffer + ky * row_bytes;
    const int32_t iy = o.iy0 + ky * g->dilation_h;
    if (iy < 0 || iy >= g->in_h) {
      fill_bytes(out, zero_point, row_bytes);
      continue;
    }
    const int8_t* row = o.image + (size_t)iy * (size_t)g->in_w * (size_t)g->in_c + (size_t)channel;
    if (contiguous) {
      const int32_t first = o.ix0 < 0 ? -o.ix0 : 0; /* taps [first, end) are inside */
      int32_t end = g->in_w - o.ix0;
      end = end > g->filter_w ? g->filter_w : (end < first ? first : end);
      fill_bytes(out, zero_point, first * fic);
      copy_bytes(out + first * fic, row + (size_t)(o.ix0 + first) * (size_t)g->in_c, (end - first) * fic);
      fill_bytes(out + end * fic, zero_point, (g->filter_w - end) * fic);
      continue;
    }
    for (int32_t kx = 0; kx < g->filter_w; ++kx, out += fic) {
      const int32_t ix = o.ix0 + kx * g->dilation_w;
      if (ix >= 0 && ix < g->in_w) {
        copy_bytes(out, row + (size_t)ix * (size_t)g->in_c, fic);
      } else {
        fill_bytes(out, zero_point, fic);
      }
    }
  }
  fill_bytes(buffer + g->filter_h * row_bytes, 0, padded - g->filter_h * row_bytes);
}

/* The runs of input two pixels read for MTVM_CONV_PAIRS: each tap of `taps_a`/`taps_b` (fic
   bytes), except that a row of taps that is, for both pixels, either wholly inside the image or
   wholly outside is one run of filter_w * fic bytes (`merge`: no dilation along x and one group,
   so that the taps of a row lie next to each other; the zero-point row `pad` is that long).
   Returns the number of runs; chunks[k] is the length of run k in 4-byte chunks. The runs
   replace the taps in place (run k never comes after the taps it is made of). */
static int32_t window_runs(const mtvm_conv_geometry_t* g, int32_t fic, int merge, const int8_t* pad,
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

/* MTVM_CONV_PAIRS and MTVM_CONV_GATHER: two pixels by two output channels at a time. `fast`
   as for requantize(), a constant in each copy of this function. */
MTVM_CONV_INLINE void conv2d_s8_blocked(const mtvm_conv2d_s8_params_t* p, const int8_t* input,
                                        int8_t* output, int fast) {
  const mtvm_conv_geometry_t* g = &p->g;
  const output_stage stage = make_output_stage(p->output_offset, p->act_min, p->act_max);
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
      window_shape shape;
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
    make_window_shape(g, &scratch.taps.shape);
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
        gather_window(g, input, px, channel, fic, zero_point, padded, window_a);
        gather_window(g, input, px_b, channel, fic, zero_point, padded, window_b);
      } else {
        window_taps(g, &scratch.taps.shape, input, px, channel, p->pad, run_a);
        window_taps(g, &scratch.taps.shape, input, px_b, channel, p->pad, run_b);
        runs = window_runs(g, fic, merge, p->pad, run_a, run_b, chunks);
      }
      int32_t oc = grp * per_group;
      const int32_t oc_end = oc + per_group;
      for (; oc + 2 <= oc_end; oc += 2) {
        int32_t acc[4] = {folded_bias[oc], folded_bias[oc + 1], folded_bias[oc], folded_bias[oc + 1]};
        for (int32_t r = 0; r < runs; ++r) {
          w = mac_2x2(run_a[r], run_b[r], w, chunks[r], acc);
        }
        const int32_t* rq = requant + 2 * oc;
        out_a[oc] = requantize(acc[0], rq, stage, fast);
        out_a[oc + 1] = requantize(acc[1], rq + 2, stage, fast);
        if (has_b) {
          out_b[oc] = requantize(acc[2], rq, stage, fast);
          out_b[oc + 1] = requantize(acc[3], rq + 2, stage, fast);
        }
      }
      if (oc < oc_end) {
        int32_t acc[2] = {folded_bias[oc], folded_bias[oc]};
        for (int32_t r = 0; r < runs; ++r) {
          w = mac_2x1(run_a[r], run_b[r], w, chunks[r], acc);
        }
        out_a[oc] = requantize(acc[0], requant + 2 * oc, stage, fast);
        if (has_b) {
          out_b[oc] = requantize(acc[1], requant + 2 * oc, stage, fast);
        }
      }
    }
  }
}

/* Two output pixels of a 1x1 window into two output channels, whose requantization constants
   the caller holds. */
typedef struct {
  int32_t bias0, bias1, multiplier0, multiplier1, shift0, shift1;
} channel_pair;

MTVM_CONV_INLINE void pointwise_2x2(const int8_t* xa, const int8_t* xb, int has_b, const int8_t* w,
                                    int32_t chunks, channel_pair c, output_stage stage, int fast,
                                    int8_t* out, int32_t out_c) {
  int32_t acc[4] = {c.bias0, c.bias1, c.bias0, c.bias1};
  const int32_t rq0[2] = {c.multiplier0, c.shift0};
  const int32_t rq1[2] = {c.multiplier1, c.shift1};
  mac_2x2(xa, xb, w, chunks, acc);
  out[0] = requantize(acc[0], rq0, stage, fast);
  out[1] = requantize(acc[1], rq1, stage, fast);
  if (has_b) {
    out[out_c] = requantize(acc[2], rq0, stage, fast);
    out[out_c + 1] = requantize(acc[3], rq1, stage, fast);
  }
}

/* MTVM_CONV_PAIRS with a 1x1 window and one group: a matrix product over pixels, two output
   channels (outer loop, their constants held throughout) by two pixels at a time. A 1x1 window
   never reaches outside the image. */
MTVM_CONV_INLINE void conv2d_s8_pointwise(const mtvm_conv2d_s8_params_t* p, const int8_t* input,
                                          int8_t* output, int fast) {
  const mtvm_conv_geometry_t* g = &p->g;
  const output_stage stage = make_output_stage(p->output_offset, p->act_min, p->act_max);
  const int32_t in_c = g->in_c;
  const int32_t out_c = g->out_c;
  const int32_t chunks = in_c / 4;
  const int32_t pixels = g->batches * g->out_h * g->out_w;
  /* With stride 1 the output has the input's size and pixel k reads input pixel k. */
  const int contiguous = g->stride_h == 1 && g->stride_w == 1;
  int32_t oc = 0;
  for (; oc + 2 <= out_c; oc += 2) {
    const int8_t* const w = p->weights + (size_t)oc * (size_t)in_c;
    const channel_pair c = {p->folded_bias[oc], p->folded_bias[oc + 1], p->requant[2 * oc],
                            p->requant[2 * oc + 2], p->requant[2 * oc + 1], p->requant[2 * oc + 3]};
    int8_t* out = output + oc;
    if (contiguous) {
      const int8_t* x = input;
      for (int32_t px = 0; px < pixels; px += 2, x += 2 * in_c, out += 2 * out_c) {
        const int has_b = px + 1 < pixels;
        pointwise_2x2(x, has_b ? x + in_c : x, has_b, w, chunks, c, stage, fast, out, out_c);
      }
    } else {
      for (int32_t px = 0; px < pixels; px += 2, out += 2 * out_c) {
        const int has_b = px + 1 < pixels;
        const window_origin a = window_at(g, input, px);
        const window_origin b = window_at(g, input, has_b ? px + 1 : px);
        const int8_t* xa = a.image + ((size_t)a.iy0 * (size_t)g->in_w + (size_t)a.ix0) * (size_t)in_c;
        const int8_t* xb = b.image + ((size_t)b.iy0 * (size_t)g->in_w + (size_t)b.ix0) * (size_t)in_c;
        pointwise_2x2(xa, xb, has_b, w, chunks, c, stage, fast, out, out_c);
      }
    }
  }
  if (oc < out_c) { /* an odd last channel: its plain row */
    const int8_t* const w = p->weights + (size_t)oc * (size_t)in_c;
    int8_t* out = output + oc;
    for (int32_t px = 0; px < pixels; ++px, out += out_c) {
      const window_origin o = window_at(g, input, px);
      const int8_t* x = o.image + ((size_t)o.iy0 * (size_t)g->in_w + (size_t)o.ix0) * (size_t)in_c;
      int32_t acc[2] = {p->folded_bias[oc], p->folded_bias[oc]};
      mac_2x1(x, x, w, chunks, acc);
      out[0] = requantize(acc[0], p->requant + 2 * oc, stage, fast);
    }
  }
}

/* MTVM_CONV_PLAIN: any window, group and channel count, one output at a time. */
static void conv2d_s8_plain(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const output_stage stage = make_output_stage(p->output_offset, p->act_min, p->act_max);
  const int32_t fic = p->filter_in_c;
  const int32_t per_group = g->out_c / (g->in_c / fic);
  const int32_t n_taps = g->filter_h * g->filter_w;
  const int32_t pixels = g->batches * g->out_h * g->out_w;
  for (int32_t px = 0; px < pixels; ++px) {
    const window_origin o = window_at(g, input, px);
    int8_t* out = output + (size_t)px * (size_t)g->out_c;
    const int8_t* w = p->weights;
    for (int32_t oc = 0; oc < g->out_c; ++oc) {
      const int32_t channel = (oc / per_group) * fic;
      int32_t acc = p->folded_bias[oc];
      for (int32_t t = 0; t < n_taps; ++t, w += fic) {
        const int32_t iy = o.iy0 + (t / g->filter_w) * g->dilation_h;
        const int32_t ix = o.ix0 + (t % g->filter_w) * g->dilation_w;
        if (iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w) {
          const int8_t* x = o.image + ((size_t)iy * (size_t)g->in_w + (size_t)ix) * (size_t)g->in_c + channel;
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
      out[oc] = requantize(acc, p->requant + 2 * oc, stage, 0);
    }
  }
}

void mtvm_conv2d_s8_plain(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output) {
  conv2d_s8_plain(p, input, output);
}

void mtvm_conv2d_s8_1x1(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output) {
  conv2d_s8_pointwise(p, input, output, 1);
}

void mtvm_conv2d_s8_1x1_general(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output) {
  conv2d_s8_pointwise(p, input, output, 0);
}

void mtvm_conv2d_s8_window(const mtvm_conv2d_s8_params_t* p, const int8_t* input, int8_t* output) {
  conv2d_s8_blocked(p, input, output, 1);
}

void mtvm_conv2d_s8_window_general(const mtvm_conv2d_s8_params_t* p, const int8_t* input,
                                   int8_t* output) {
  conv2d_s8_blocked(p, input, output, 0);
}

/* ---- DEPTHWISE_CONV_2D int8 ------------------------------------------------------------- */

#if !MTVM_CONV_DSP
/* The two signed 16-bit halves of a word of weight_pairs: bits 0..15, bits 16..31. */
static inline int32_t low_half(int32_t v) { return ((v & 0xFFFF) ^ 0x8000) - 0x8000; }
static inline int32_t high_half(int32_t v) { return (v - (v & 0xFFFF)) / 65536; }
#endif

/* MTVM_DW_QUADS: per pixel, four channels at a time over all taps, whose weights come as two
   words of 16-bit halves per tap (channels 0 and 2, channels 1 and 3), as SMLABB and SMLATT
   multiply them with the halves of the sign-extended input. `fast` as for requantize(). */
MTVM_CONV_INLINE void depthwise_s8_quads(const mtvm_depthwise_conv2d_s8_params_t* p,
                                         const int8_t* input, int8_t* output, int fast) {
  const mtvm_conv_geometry_t* g = &p->g;
  const output_stage stage = make_output_stage(p->output_offset, p->act_min, p->act_max);
  const int32_t channels = g->out_c;
  const int32_t quads = channels / 4;
  const int32_t rest = channels - quads * 4;
  const int32_t pixels = g->batches * g->out_h * g->out_w;
  const int32_t* const weight_pairs = p->weight_pairs;
  const int32_t* const folded_bias = p->folded_bias;
  const int32_t* const requant = p->requant;
  window_shape shape;
  make_window_shape(g, &shape);
  const int32_t n_taps = shape.n_taps;
  const int8_t* taps[MTVM_CONV_MAX_TAPS];
  for (int32_t px = 0; px < pixels; ++px) {
    window_taps(g, &shape, input, px, 0, p->pad, taps);
    int8_t* out = output + (size_t)px * (size_t)channels;
    const int32_t* w = weight_pairs;
    for (int32_t c = 0; c < quads * 4; c += 4) {
      int32_t a0 = folded_bias[c], a1 = folded_bias[c + 1];
      int32_t a2 = folded_bias[c + 2], a3 = folded_bias[c + 3];
#if MTVM_CONV_DSP
      const int8_t* const* tap = taps;
      uint32_t t0, t1, t2, t3;
      /* One tap: 9 instructions for 4 multiply-accumulates. */
#define MTVM_DW_TAP(t)                                                                      \
  __asm__("ldr %[t0], [%[tap]], #4\n\t"                                                     \
          "ldr %[t0], [%[t0], %[c]]\n\t"                                                    \
          "ldrd %[t2], %[t3], [%[w]], #8\n\t"                                               \
          "sxtb16 %[t1], %[t0]\n\t"                                                         \
          "sxtb16 %[t0], %[t0], ror #8\n\t"                                                 \
          "smlabb %[a0], %[t1], %[t2], %[a0]\n\t"                                           \
          "smlatt %[a2], %[t1], %[t2], %[a2]\n\t"                                           \
          "smlabb %[a1], %[t0], %[t3], %[a1]\n\t"                                           \
          "smlatt %[a3], %[t0], %[t3], %[a3]"                                               \
          : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [tap] "+r"(tap),    \
            [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)     \
          : [c] "r"(c)                                                                      \
          : "memory")
#else
#define MTVM_DW_TAP(t)                                                       \
  do {                                                                       \
    const int8_t* x = taps[t] + c;                                           \
    a0 += (int32_t)x[0] * low_half(w[0]);                                    \
    a2 += (int32_t)x[2] * high_half(w[0]);                                   \
    a1 += (int32_t)x[1] * low_half(w[1]);                                    \
    a3 += (int32_t)x[3] * high_half(w[1]);                                   \
    w += 2;                                                                  \
  } while (0)
#endif
      int32_t t = 0;
      for (; t + 3 <= n_taps; t += 3) {
        MTVM_DW_TAP(t);
        MTVM_DW_TAP(t + 1);
        MTVM_DW_TAP(t + 2);
      }
      for (; t < n_taps; ++t) {
        MTVM_DW_TAP(t);
      }
#undef MTVM_DW_TAP
      const int32_t* rq = requant + 2 * c;
      out[c] = requantize(a0, rq, stage, fast);
      out[c + 1] = requantize(a1, rq + 2, stage, fast);
      out[c + 2] = requantize(a2, rq + 4, stage, fast);
      out[c + 3] = requantize(a3, rq + 6, stage, fast);
    }
    /* The last channels: one weight per word, [tap][channel]. */
    for (int32_t r = 0; r < rest; ++r) {
      const int32_t c = quads * 4 + r;
      int32_t acc = folded_bias[c];
      for (int32_t t = 0; t < n_taps; ++t) {
        acc += (int32_t)taps[t][c] * w[t * rest + r];
      }
      out[c] = requantize(acc, requant + 2 * c, stage, fast);
    }
  }
}

/* MTVM_DW_PLAIN: any depth multiplier, one output at a time. */
static void depthwise_s8_plain(const mtvm_depthwise_conv2d_s8_params_t* p, const int8_t* input,
                               int8_t* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const output_stage stage = make_output_stage(p->output_offset, p->act_min, p->act_max);
  const int32_t mult = p->depth_multiplier;
  const int32_t n_taps = g->filter_h * g->filter_w;
  const int32_t pixels = g->batches * g->out_h * g->out_w;
  for (int32_t px = 0; px < pixels; ++px) {
    const window_origin o = window_at(g, input, px);
    int8_t* out = output + (size_t)px * (size_t)g->out_c;
    for (int32_t oc = 0; oc < g->out_c; ++oc) {
      int32_t acc = p->folded_bias[oc];
      for (int32_t t = 0; t < n_taps; ++t) {
        const int32_t iy = o.iy0 + (t / g->filter_w) * g->dilation_h;
        const int32_t ix = o.ix0 + (t % g->filter_w) * g->dilation_w;
        const int32_t w = p->weights[(size_t)t * (size_t)g->out_c + (size_t)oc];
        if (iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w) {
          acc += (int32_t)o.image[((size_t)iy * (size_t)g->in_w + (size_t)ix) * (size_t)g->in_c +
                                  (size_t)(oc / mult)] * w;
        } else {
          acc -= p->input_offset * w; /* the zero point outside the image, as for CONV_2D */
        }
      }
      out[oc] = requantize(acc, p->requant + 2 * oc, stage, 0);
    }
  }
}

void mtvm_depthwise_conv2d_s8_plain(const mtvm_depthwise_conv2d_s8_params_t* p, const int8_t* input,
                                    int8_t* output) {
  depthwise_s8_plain(p, input, output);
}

void mtvm_depthwise_conv2d_s8_quads(const mtvm_depthwise_conv2d_s8_params_t* p, const int8_t* input,
                                    int8_t* output) {
  depthwise_s8_quads(p, input, output, 1);
}

void mtvm_depthwise_conv2d_s8_quads_general(const mtvm_depthwise_conv2d_s8_params_t* p,
                                            const int8_t* input, int8_t* output) {
  depthwise_s8_quads(p, input, output, 0);
}

/* ---- FULLY_CONNECTED int8 --------------------------------------------------------------- */

/* round(acc * scale), halves away from zero, computed in double: LiteRT's reference int8
   FULLY_CONNECTED (std::round of a double product). Beyond +-2^30 the int8 output saturates
   whatever the exact value, so the product is clamped first to keep the conversion defined. */
static int32_t scale_round_double(int32_t acc, double scale) {
  const double limit = 1073741824.0;
  double x = (double)acc * scale;
  if (x > limit) {
    return (int32_t)limit;
  }
  if (x < -limit) {
    return -(int32_t)limit;
  }
  int32_t t = (int32_t)x;      /* truncates toward zero */
  double frac = x - (double)t; /* exact */
  if (frac >= 0.5) {
    ++t;
  } else if (frac <= -0.5) {
    --t;
  }
  return t;
}

/* The same rounding in integers: round(|acc| * multiplier / 2^(32 + shift)), halves up, with
   the sign of acc (1 <= shift <= 31). The product's high word is below 2^31 as |acc| <= 2^31,
   so adding half of 2^shift does not overflow; nor does the rounded result, below 2^31. */
static inline int32_t scale_round_int(int32_t acc, uint32_t multiplier, int32_t shift) {
  const uint32_t magnitude = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
  const uint32_t high = (uint32_t)(((uint64_t)magnitude * multiplier) >> 32);
  const int32_t q = (int32_t)((high + (1u << (shift - 1))) >> shift);
  return acc < 0 ? -q : q;
}

/* `in_double` is a constant in each copy of this function: which rounding the operator uses. */
MTVM_CONV_INLINE int8_t fc_output(const mtvm_fully_connected_s8_params_t* p, int32_t acc, int32_t oc,
                                  int in_double) {
  int32_t v;
  if (in_double) {
    v = scale_round_double(acc, p->scales[p->per_channel_scales ? oc : 0]);
  } else if (p->channel_multipliers != NULL) {
    v = scale_round_int(acc, p->channel_multipliers[oc], p->channel_shifts[oc]);
  } else {
    v = scale_round_int(acc, p->multiplier, p->shift);
  }
  v += p->output_offset;
  return (int8_t)mtvm_clamp_i32(v, p->act_min, p->act_max);
}

/* acc[0..3] += x . the rows of a group of four (interleaved 4-byte chunks); returns the
   weights that follow the chunks. */
static const int8_t* mac_1x4(const int8_t* x, const int8_t* w, int32_t chunks, int32_t acc[4]) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if MTVM_CONV_DSP
  uint32_t t0, t1, t2, t3;
  /* One chunk: 23 instructions for 16 multiply-accumulates. */
#define MTVM_MAC_1X4_CHUNK()                                                               \
  __asm__("ldr %[t0], [%[x]], #4\n\t"                                                      \
          "ldr %[t2], [%[w]], #16\n\t"                                                     \
          "sxtb16 %[t1], %[t0], ror #8\n\t"                                                \
          "sxtb16 %[t0], %[t0]\n\t"                                                        \
          "sxtb16 %[t3], %[t2]\n\t"                                                        \
          "sxtb16 %[t2], %[t2], ror #8\n\t"                                                \
          "smlad %[a0], %[t0], %[t3], %[a0]\n\t"                                           \
          "smlad %[a0], %[t1], %[t2], %[a0]\n\t"                                           \
          "ldr %[t2], [%[w], #-12]\n\t"                                                    \
          "sxtb16 %[t3], %[t2]\n\t"                                                        \
          "sxtb16 %[t2], %[t2], ror #8\n\t"                                                \
          "smlad %[a1], %[t0], %[t3], %[a1]\n\t"                                           \
          "smlad %[a1], %[t1], %[t2], %[a1]\n\t"                                           \
          "ldr %[t2], [%[w], #-8]\n\t"                                                     \
          "sxtb16 %[t3], %[t2]\n\t"                                                        \
          "sxtb16 %[t2], %[t2], ror #8\n\t"                                                \
          "smlad %[a2], %[t0], %[t3], %[a2]\n\t"                                           \
          "smlad %[a2], %[t1], %[t2], %[a2]\n\t"                                           \
          "ldr %[t2], [%[w], #-4]\n\t"                                                     \
          "sxtb16 %[t3], %[t2]\n\t"                                                        \
          "sxtb16 %[t2], %[t2], ror #8\n\t"                                                \
          "smlad %[a3], %[t0], %[t3], %[a3]\n\t"                                           \
          "smlad %[a3], %[t1], %[t2], %[a3]"                                               \
          : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x),       \
            [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)    \
          :                                                                                \
          : "memory")
  for (; chunks >= 2; chunks -= 2) {
    MTVM_MAC_1X4_CHUNK();
    MTVM_MAC_1X4_CHUNK();
  }
  if (chunks > 0) {
    MTVM_MAC_1X4_CHUNK();
  }
#undef MTVM_MAC_1X4_CHUNK
#else
  for (int32_t c = 0; c < chunks; ++c, x += 4, w += 16) {
    for (int32_t i = 0; i < 4; ++i) {
      a0 += (int32_t)x[i] * w[i];
      a1 += (int32_t)x[i] * w[4 + i];
      a2 += (int32_t)x[i] * w[8 + i];
      a3 += (int32_t)x[i] * w[12 + i];
    }
  }
#endif
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  return w;
}

static int32_t dot_s8(const int8_t* x, const int8_t* w, int32_t n) {
  int32_t acc = 0;
  int32_t i = 0;
#if MTVM_CONV_DSP
  for (; i + 4 <= n; i += 4) {
    const uint32_t xw = load32(x + i), ww = load32(w + i);
    acc = __smlad((int32_t)__sxtb16(xw), (int32_t)__sxtb16(ww), acc);
    acc = __smlad(sxtb16_ror8(xw), sxtb16_ror8(ww), acc);
  }
#endif
  for (; i < n; ++i) {
    acc += (int32_t)x[i] * w[i];
  }
  return acc;
}

MTVM_CONV_INLINE void fully_connected_s8(const mtvm_fully_connected_s8_params_t* p,
                                         const int8_t* input, int8_t* output, int in_double) {
  const int32_t depth = p->accum_depth;
  const int32_t out_c = p->out_c;
  const int32_t chunks = depth / 4;
  const int32_t rest = depth - chunks * 4;
  const int32_t* const folded_bias = p->folded_bias;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t* x = input + (size_t)b * (size_t)depth;
    int8_t* out = output + (size_t)b * (size_t)out_c;
    /* A non-zero filter zero point adds filter_offset * sum(input row): one sum per row. */
    int32_t row_term = 0;
    if (p->filter_offset != 0) {
      int32_t sum = 0;
      for (int32_t i = 0; i < depth; ++i) {
        sum += x[i];
      }
      row_term = p->filter_offset * sum;
    }
    const int8_t* w = p->weights;
    int32_t oc = 0;
    for (; oc + 4 <= out_c; oc += 4) {
      int32_t acc[4];
      for (int32_t i = 0; i < 4; ++i) {
        acc[i] = folded_bias[oc + i] + row_term;
      }
      w = mac_1x4(x, w, chunks, acc);
      if (rest != 0) {
        for (int32_t i = 0; i < 4; ++i, w += rest) {
          acc[i] += dot_s8(x + chunks * 4, w, rest);
        }
      }
      for (int32_t i = 0; i < 4; ++i) {
        out[oc + i] = fc_output(p, acc[i], oc + i, in_double);
      }
    }
    for (; oc < out_c; ++oc, w += depth) {
      out[oc] = fc_output(p, folded_bias[oc] + row_term + dot_s8(x, w, depth), oc, in_double);
    }
  }
}

void mtvm_fully_connected_s8(const mtvm_fully_connected_s8_params_t* p, const int8_t* input,
                             int8_t* output) {
  fully_connected_s8(p, input, output, 0);
}

void mtvm_fully_connected_s8_double(const mtvm_fully_connected_s8_params_t* p, const int8_t* input,
                                    int8_t* output) {
  fully_connected_s8(p, input, output, 1);
}

/* ---- float32 ---------------------------------------------------------------------------- */

static int inside_image(const mtvm_conv_geometry_t* g, int32_t y, int32_t x) {
  return y >= 0 && y < g->in_h && x >= 0 && x < g->in_w;
}

/* Offset of the first channel of pixel (y, x) of one batch image. */
static size_t pixel_offset(const mtvm_conv_geometry_t* g, int32_t y, int32_t x) {
  return ((size_t)y * (size_t)g->in_w + (size_t)x) * (size_t)g->in_c;
}

static size_t image_size(const mtvm_conv_geometry_t* g) {
  return (size_t)g->in_h * (size_t)g->in_w * (size_t)g->in_c;
}

static size_t output_pixel_offset(const mtvm_conv_geometry_t* g, int32_t b, int32_t oy, int32_t ox) {
  return (((size_t)b * (size_t)g->out_h + (size_t)oy) * (size_t)g->out_w + (size_t)ox) * (size_t)g->out_c;
}

void mtvm_conv2d_f32(const mtvm_conv2d_f32_params_t* p, const float* input, float* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const int32_t fic = p->filter_in_c;
  const int32_t oc_per_group = g->out_c / (g->in_c / fic);
  const size_t filter_size = (size_t)g->filter_h * (size_t)g->filter_w * (size_t)fic;
  for (int32_t b = 0; b < g->batches; ++b) {
    const float* image = input + (size_t)b * image_size(g);
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      const int32_t iy0 = oy * g->stride_h - g->pad_top;
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        const int32_t ix0 = ox * g->stride_w - g->pad_left;
        float* out = output + output_pixel_offset(g, b, oy, ox);
        for (int32_t oc = 0; oc < g->out_c; ++oc) {
          const float* channels = image + (size_t)((oc / oc_per_group) * fic);
          const float* w = p->weights + (size_t)oc * filter_size;
          float total = 0.0f;
          for (int32_t ky = 0; ky < g->filter_h; ++ky) {
            const int32_t iy = iy0 + ky * g->dilation_h;
            for (int32_t kx = 0; kx < g->filter_w; ++kx, w += fic) {
              const int32_t ix = ix0 + kx * g->dilation_w;
              if (!inside_image(g, iy, ix)) {
                continue;
              }
              const float* x = channels + pixel_offset(g, iy, ix);
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

void mtvm_depthwise_conv2d_f32(const mtvm_depthwise_conv2d_f32_params_t* p, const float* input,
                               float* output) {
  const mtvm_conv_geometry_t* g = &p->g;
  const int32_t mult = p->depth_multiplier;
  float acc[MTVM_DW_CHUNK];
  for (int32_t b = 0; b < g->batches; ++b) {
    const float* image = input + (size_t)b * image_size(g);
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      const int32_t iy0 = oy * g->stride_h - g->pad_top;
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        const int32_t ix0 = ox * g->stride_w - g->pad_left;
        float* out = output + output_pixel_offset(g, b, oy, ox);
        for (int32_t oc0 = 0; oc0 < g->out_c; oc0 += MTVM_DW_CHUNK) {
          const int32_t n = g->out_c - oc0 < MTVM_DW_CHUNK ? g->out_c - oc0 : MTVM_DW_CHUNK;
          for (int32_t j = 0; j < n; ++j) {
            acc[j] = 0.0f;
          }
          for (int32_t ky = 0; ky < g->filter_h; ++ky) {
            const int32_t iy = iy0 + ky * g->dilation_h;
            for (int32_t kx = 0; kx < g->filter_w; ++kx) {
              const int32_t ix = ix0 + kx * g->dilation_w;
              if (!inside_image(g, iy, ix)) {
                continue;
              }
              const float* x = image + pixel_offset(g, iy, ix);
              const float* w =
                  p->weights + (size_t)(ky * g->filter_w + kx) * (size_t)g->out_c + (size_t)oc0;
              int32_t ic = oc0 / mult;
              int32_t m = oc0 % mult;
              for (int32_t j = 0; j < n; ++j) {
                acc[j] += x[ic] * w[j];
                if (++m == mult) {
                  m = 0;
                  ++ic;
                }
              }
            }
          }
          for (int32_t j = 0; j < n; ++j) {
            const float total = p->bias != NULL ? acc[j] + p->bias[oc0 + j] : acc[j];
            out[oc0 + j] = mtvm_clamp_f32(total, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}

void mtvm_fully_connected_f32(const mtvm_fully_connected_f32_params_t* p, const float* input,
                              float* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    const float* x = input + (size_t)b * (size_t)p->accum_depth;
    float* out = output + (size_t)b * (size_t)p->out_c;
    const float* w = p->weights;
    for (int32_t oc = 0; oc < p->out_c; ++oc, w += p->accum_depth) {
      float total = 0.0f;
      for (int32_t i = 0; i < p->accum_depth; ++i) {
        total += x[i] * w[i];
      }
      if (p->bias != NULL) {
        total += p->bias[oc];
      }
      out[oc] = mtvm_clamp_f32(total, p->act_min, p->act_max);
    }
  }
}
