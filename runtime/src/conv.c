/*
 * Convolution family kernels. See mtvm/conv.h for layouts, the parameter structs and which
 * rounding each kernel uses. Accumulation order follows LiteRT's reference kernels (taps in
 * filter_y, filter_x, channel order, bias added last for float) so that float results agree to
 * the last bits in practice and int8 results agree exactly.
 */
#include "mtvm/conv.h"

#include <stddef.h>
#include <stdint.h>

#include "mtvm/quant.h"

/* The depthwise kernels accumulate this many neighbouring output channels at once in a stack
   array, so that weights and input channels are read contiguously. */
#define MTVM_DW_CHUNK 32

/* ---- helpers ---------------------------------------------------------------------------- */

static int32_t dot_s8(const int8_t* a, const int8_t* b, int32_t n) {
  int32_t acc = 0;
  for (int32_t i = 0; i < n; ++i) {
    acc += (int32_t)a[i] * (int32_t)b[i];
  }
  return acc;
}

/* sum((a[i] + a_offset) * b[i]): the unfolded form, for windows that cross the border (the
   folded bias assumes every tap of the window is inside the image). */
static int32_t dot_offset_s8(const int8_t* a, int32_t a_offset, const int8_t* b, int32_t n) {
  int32_t acc = 0;
  for (int32_t i = 0; i < n; ++i) {
    acc += ((int32_t)a[i] + a_offset) * (int32_t)b[i];
  }
  return acc;
}

static int8_t requantize_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_offset,
                            int32_t act_min, int32_t act_max) {
  int32_t v = mtvm_multiply_by_quantized_multiplier(acc, multiplier, (int)shift) + output_offset;
  return (int8_t)mtvm_clamp_i32(v, act_min, act_max);
}

/* round(acc * scale), halves away from zero, computed in double: LiteRT's reference int8
   FULLY_CONNECTED (std::round of a double product). Beyond +-2^30 the int8 output saturates
   whatever the exact value, so the product is clamped first to keep the conversion defined. */
static int32_t scale_round_once(int32_t acc, double scale) {
  const double limit = 1073741824.0;
  double x = (double)acc * scale;
  if (x > limit) {
    return (int32_t)limit;
  }
  if (x < -limit) {
    return -(int32_t)limit;
  }
  int32_t t = (int32_t)x; /* truncates toward zero */
  double frac = x - (double)t; /* exact */
  if (frac >= 0.5) {
    ++t;
  } else if (frac <= -0.5) {
    --t;
  }
  return t;
}

/* True when every tap of the window starting at (iy0, ix0) lies inside the input image. */
static int window_inside(const mtvm_conv_geometry* g, int32_t iy0, int32_t ix0) {
  return iy0 >= 0 && ix0 >= 0 && iy0 + (g->filter_h - 1) * g->dilation_h < g->in_h &&
         ix0 + (g->filter_w - 1) * g->dilation_w < g->in_w;
}

static int inside_image(const mtvm_conv_geometry* g, int32_t y, int32_t x) {
  return y >= 0 && y < g->in_h && x >= 0 && x < g->in_w;
}

/* Offset of the first channel of pixel (y, x) of one batch image. */
static size_t pixel_offset(const mtvm_conv_geometry* g, int32_t y, int32_t x) {
  return ((size_t)y * (size_t)g->in_w + (size_t)x) * (size_t)g->in_c;
}

static size_t image_size(const mtvm_conv_geometry* g) {
  return (size_t)g->in_h * (size_t)g->in_w * (size_t)g->in_c;
}

static size_t output_pixel_offset(const mtvm_conv_geometry* g, int32_t b, int32_t oy, int32_t ox) {
  return (((size_t)b * (size_t)g->out_h + (size_t)oy) * (size_t)g->out_w + (size_t)ox) * (size_t)g->out_c;
}

/* ---- CONV_2D int8 ----------------------------------------------------------------------- */

/* 1x1 filter, stride 1, no padding, one group: a plain matrix product over pixels. */
static int is_pointwise(const mtvm_conv_geometry* g, int32_t filter_in_c) {
  return g->filter_h == 1 && g->filter_w == 1 && g->stride_h == 1 && g->stride_w == 1 &&
         g->pad_top == 0 && g->pad_left == 0 && filter_in_c == g->in_c && g->out_h == g->in_h &&
         g->out_w == g->in_w;
}

static void conv2d_s8_pointwise(const mtvm_conv2d_s8_params* p, const int8_t* input, int8_t* output) {
  const mtvm_conv_geometry* g = &p->g;
  const int32_t pixels = g->batches * g->out_h * g->out_w;
  for (int32_t px = 0; px < pixels; ++px) {
    const int8_t* x = input + (size_t)px * (size_t)g->in_c;
    int8_t* out = output + (size_t)px * (size_t)g->out_c;
    const int8_t* w = p->weights;
    for (int32_t oc = 0; oc < g->out_c; ++oc, w += g->in_c) {
      int32_t acc = p->folded_bias[oc] + dot_s8(x, w, g->in_c);
      out[oc] = requantize_s8(acc, p->multiplier[oc], p->shift[oc], p->output_offset, p->act_min,
                              p->act_max);
    }
  }
}

void mtvm_conv2d_s8(const mtvm_conv2d_s8_params* p, const int8_t* input, int8_t* output) {
  const mtvm_conv_geometry* g = &p->g;
  const int32_t fic = p->filter_in_c;
  const int32_t oc_per_group = g->out_c / (g->in_c / fic);
  const size_t filter_size = (size_t)g->filter_h * (size_t)g->filter_w * (size_t)fic;
  if (is_pointwise(g, fic)) {
    conv2d_s8_pointwise(p, input, output);
    return;
  }
  for (int32_t b = 0; b < g->batches; ++b) {
    const int8_t* image = input + (size_t)b * image_size(g);
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      const int32_t iy0 = oy * g->stride_h - g->pad_top;
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        const int32_t ix0 = ox * g->stride_w - g->pad_left;
        const int inside = window_inside(g, iy0, ix0);
        int8_t* out = output + output_pixel_offset(g, b, oy, ox);
        for (int32_t oc = 0; oc < g->out_c; ++oc) {
          const int8_t* channels = image + (size_t)((oc / oc_per_group) * fic);
          const int8_t* w = p->weights + (size_t)oc * filter_size;
          int32_t acc;
          if (inside) {
            acc = p->folded_bias[oc];
            for (int32_t ky = 0; ky < g->filter_h; ++ky) {
              const int32_t iy = iy0 + ky * g->dilation_h;
              for (int32_t kx = 0; kx < g->filter_w; ++kx, w += fic) {
                acc += dot_s8(channels + pixel_offset(g, iy, ix0 + kx * g->dilation_w), w, fic);
              }
            }
          } else {
            acc = p->bias != NULL ? p->bias[oc] : 0;
            for (int32_t ky = 0; ky < g->filter_h; ++ky) {
              const int32_t iy = iy0 + ky * g->dilation_h;
              for (int32_t kx = 0; kx < g->filter_w; ++kx, w += fic) {
                const int32_t ix = ix0 + kx * g->dilation_w;
                if (inside_image(g, iy, ix)) {
                  acc += dot_offset_s8(channels + pixel_offset(g, iy, ix), p->input_offset, w, fic);
                }
              }
            }
          }
          out[oc] = requantize_s8(acc, p->multiplier[oc], p->shift[oc], p->output_offset,
                                  p->act_min, p->act_max);
        }
      }
    }
  }
}

/* ---- DEPTHWISE_CONV_2D int8 ------------------------------------------------------------- */

void mtvm_depthwise_conv2d_s8(const mtvm_depthwise_conv2d_s8_params* p, const int8_t* input,
                              int8_t* output) {
  const mtvm_conv_geometry* g = &p->g;
  const int32_t mult = p->depth_multiplier;
  int32_t acc[MTVM_DW_CHUNK];
  for (int32_t b = 0; b < g->batches; ++b) {
    const int8_t* image = input + (size_t)b * image_size(g);
    for (int32_t oy = 0; oy < g->out_h; ++oy) {
      const int32_t iy0 = oy * g->stride_h - g->pad_top;
      for (int32_t ox = 0; ox < g->out_w; ++ox) {
        const int32_t ix0 = ox * g->stride_w - g->pad_left;
        const int inside = window_inside(g, iy0, ix0);
        /* Inside the image the folded bias already holds input_offset * sum(weights). */
        const int32_t x_offset = inside ? 0 : p->input_offset;
        int8_t* out = output + output_pixel_offset(g, b, oy, ox);
        for (int32_t oc0 = 0; oc0 < g->out_c; oc0 += MTVM_DW_CHUNK) {
          const int32_t n = g->out_c - oc0 < MTVM_DW_CHUNK ? g->out_c - oc0 : MTVM_DW_CHUNK;
          for (int32_t j = 0; j < n; ++j) {
            acc[j] = inside ? p->folded_bias[oc0 + j] : (p->bias != NULL ? p->bias[oc0 + j] : 0);
          }
          for (int32_t ky = 0; ky < g->filter_h; ++ky) {
            const int32_t iy = iy0 + ky * g->dilation_h;
            for (int32_t kx = 0; kx < g->filter_w; ++kx) {
              const int32_t ix = ix0 + kx * g->dilation_w;
              if (!inside_image(g, iy, ix)) {
                continue;
              }
              const int8_t* x = image + pixel_offset(g, iy, ix);
              const int8_t* w =
                  p->weights + (size_t)(ky * g->filter_w + kx) * (size_t)g->out_c + (size_t)oc0;
              if (mult == 1) {
                for (int32_t j = 0; j < n; ++j) {
                  acc[j] += ((int32_t)x[oc0 + j] + x_offset) * (int32_t)w[j];
                }
              } else {
                int32_t ic = oc0 / mult;
                int32_t m = oc0 % mult;
                for (int32_t j = 0; j < n; ++j) {
                  acc[j] += ((int32_t)x[ic] + x_offset) * (int32_t)w[j];
                  if (++m == mult) {
                    m = 0;
                    ++ic;
                  }
                }
              }
            }
          }
          for (int32_t j = 0; j < n; ++j) {
            out[oc0 + j] = requantize_s8(acc[j], p->multiplier[oc0 + j], p->shift[oc0 + j],
                                         p->output_offset, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}

/* ---- FULLY_CONNECTED int8 --------------------------------------------------------------- */

void mtvm_fully_connected_s8(const mtvm_fully_connected_s8_params* p, const int8_t* input,
                             int8_t* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t* x = input + (size_t)b * (size_t)p->accum_depth;
    int8_t* out = output + (size_t)b * (size_t)p->out_c;
    /* A non-zero filter zero point adds filter_offset * sum(input row): one sum per row. */
    int32_t row_term = 0;
    if (p->filter_offset != 0) {
      int32_t sum = 0;
      for (int32_t i = 0; i < p->accum_depth; ++i) {
        sum += x[i];
      }
      row_term = p->filter_offset * sum;
    }
    const int8_t* w = p->weights;
    for (int32_t oc = 0; oc < p->out_c; ++oc, w += p->accum_depth) {
      const int32_t acc = p->folded_bias[oc] + row_term + dot_s8(x, w, p->accum_depth);
      const double scale = p->channel_scales != NULL ? p->channel_scales[oc] : p->scale;
      const int32_t v = scale_round_once(acc, scale) + p->output_offset;
      out[oc] = (int8_t)mtvm_clamp_i32(v, p->act_min, p->act_max);
    }
  }
}

/* ---- float32 ---------------------------------------------------------------------------- */

void mtvm_conv2d_f32(const mtvm_conv2d_f32_params* p, const float* input, float* output) {
  const mtvm_conv_geometry* g = &p->g;
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

void mtvm_depthwise_conv2d_f32(const mtvm_depthwise_conv2d_f32_params* p, const float* input,
                               float* output) {
  const mtvm_conv_geometry* g = &p->g;
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

void mtvm_fully_connected_f32(const mtvm_fully_connected_f32_params* p, const float* input,
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
