/*
 * Reduction and nonlinear kernels (see mtvm/reduce.h). Each follows the arithmetic of LiteRT's
 * reference kernel for the same operator; comments say where a detail matters for exactness.
 */
#include "mtvm/reduce.h"

#include <math.h>
#include <stddef.h>

#include "mtvm/quant.h"

/* std::numeric_limits<float>::lowest(), which TFLite's float max pool starts from. */
#define MTVM_FLOAT_LOWEST (-3.40282347e+38f)

/* ---- pooling ---------------------------------------------------------------------------------- */

void mtvm_avg_pool2d_s8(const mtvm_pool2d_params_t* p, const int8_t* input, int8_t* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const mtvm_window_t w = mtvm_pool_window(p, oy, ox);
        /* Only cells inside the input count; the generator rejects empty windows. */
        const int32_t count = (w.y1 - w.y0) * (w.x1 - w.x0);
        int8_t* out = output + mtvm_nhwc_offset(b, oy, ox, p->out_h, p->out_w, p->channels);
        for (int32_t c = 0; c < p->channels; ++c) {
          int32_t acc = 0;
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const int8_t* row = input + mtvm_nhwc_offset(b, y, 0, p->in_h, p->in_w, p->channels) + c;
            for (int32_t x = w.x0; x < w.x1; ++x) {
              acc += row[(size_t)x * (size_t)p->channels];
            }
          }
          /* Round to nearest, halves away from zero (C division truncates toward zero). */
          acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          out[c] = (int8_t)mtvm_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}

void mtvm_max_pool2d_s8(const mtvm_pool2d_params_t* p, const int8_t* input, int8_t* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const mtvm_window_t w = mtvm_pool_window(p, oy, ox);
        int8_t* out = output + mtvm_nhwc_offset(b, oy, ox, p->out_h, p->out_w, p->channels);
        for (int32_t c = 0; c < p->channels; ++c) {
          int32_t max = INT8_MIN;
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const int8_t* row = input + mtvm_nhwc_offset(b, y, 0, p->in_h, p->in_w, p->channels) + c;
            for (int32_t x = w.x0; x < w.x1; ++x) {
              const int32_t v = row[(size_t)x * (size_t)p->channels];
              max = v > max ? v : max;
            }
          }
          out[c] = (int8_t)mtvm_clamp_i32(max, p->act_min, p->act_max);
        }
      }
    }
  }
}

void mtvm_avg_pool2d_f32(const mtvm_pool2d_params_t* p, const float* input, float* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const mtvm_window_t w = mtvm_pool_window(p, oy, ox);
        const float count = (float)((w.y1 - w.y0) * (w.x1 - w.x0));
        float* out = output + mtvm_nhwc_offset(b, oy, ox, p->out_h, p->out_w, p->channels);
        for (int32_t c = 0; c < p->channels; ++c) {
          float total = 0.0f; /* summed row by row, column by column, as TFLite does */
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const float* row = input + mtvm_nhwc_offset(b, y, 0, p->in_h, p->in_w, p->channels) + c;
            for (int32_t x = w.x0; x < w.x1; ++x) {
              total += row[(size_t)x * (size_t)p->channels];
            }
          }
          out[c] = mtvm_clamp_f32(total / count, p->act_min_f, p->act_max_f);
        }
      }
    }
  }
}

void mtvm_max_pool2d_f32(const mtvm_pool2d_params_t* p, const float* input, float* output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const mtvm_window_t w = mtvm_pool_window(p, oy, ox);
        float* out = output + mtvm_nhwc_offset(b, oy, ox, p->out_h, p->out_w, p->channels);
        for (int32_t c = 0; c < p->channels; ++c) {
          float max = MTVM_FLOAT_LOWEST;
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const float* row = input + mtvm_nhwc_offset(b, y, 0, p->in_h, p->in_w, p->channels) + c;
            for (int32_t x = w.x0; x < w.x1; ++x) {
              const float v = row[(size_t)x * (size_t)p->channels];
              max = max < v ? v : max;
            }
          }
          out[c] = mtvm_clamp_f32(max, p->act_min_f, p->act_max_f);
        }
      }
    }
  }
}

/* ---- MEAN --------------------------------------------------------------------------------------- */

void mtvm_mean_s8(const mtvm_mean_params_t* p, const int8_t* input, int8_t* output) {
  const int32_t num_outputs = mtvm_mean_num_outputs(p);
  int32_t outer_index[MTVM_MEAN_MAX_DIMS] = {0};
  size_t base = 0;
  for (int32_t o = 0; o < num_outputs; ++o) {
    int32_t inner_index[MTVM_MEAN_MAX_DIMS] = {0};
    size_t offset = base;
    uint32_t sum = 0; /* TFLite sums in int32 and lets it wrap; unsigned keeps that defined */
    for (int32_t k = 0; k < p->count; ++k) {
      sum += (uint32_t)(int32_t)input[offset];
      offset = mtvm_next_offset(p->num_inner, p->inner_extent, p->inner_stride, inner_index, offset);
    }
    /* The zero point correction is computed in 64 bits and then narrowed, as in TFLite. */
    const int64_t centred = (int64_t)(int32_t)sum - (int64_t)p->input_zero_point * (int64_t)p->count;
    const int32_t scaled = mtvm_multiply_by_quantized_multiplier((int32_t)(uint32_t)(uint64_t)centred,
                                                                 p->multiplier, p->shift);
    output[o] = (int8_t)mtvm_clamp_i32(scaled + p->output_zero_point, INT8_MIN, INT8_MAX);
    base = mtvm_next_offset(p->num_outer, p->outer_extent, p->outer_stride, outer_index, base);
  }
}

void mtvm_mean_f32(const mtvm_mean_params_t* p, const float* input, float* output) {
  const int32_t num_outputs = mtvm_mean_num_outputs(p);
  int32_t outer_index[MTVM_MEAN_MAX_DIMS] = {0};
  size_t base = 0;
  for (int32_t o = 0; o < num_outputs; ++o) {
    int32_t inner_index[MTVM_MEAN_MAX_DIMS] = {0};
    size_t offset = base;
    float sum = 0.0f; /* elements are added in input order, as TFLite's reduction does */
    for (int32_t k = 0; k < p->count; ++k) {
      sum += input[offset];
      offset = mtvm_next_offset(p->num_inner, p->inner_extent, p->inner_stride, inner_index, offset);
    }
    output[o] = sum / (float)p->count;
    base = mtvm_next_offset(p->num_outer, p->outer_extent, p->outer_stride, outer_index, base);
  }
}

/* ---- SOFTMAX --------------------------------------------------------------------------------- */

/* gemmlowp's saturating multiplication by 2^exponent (exponent > 0) of a fixed-point raw value. */
static int32_t mtvm_saturating_shift_left(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return (int32_t)((uint32_t)x << exponent);
}

/* (a + b) / 2 rounded half away from zero, like gemmlowp's RoundingHalfSum. */
static int32_t mtvm_rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* Wrapping int32 addition (gemmlowp adds raw values without saturation). */
static int32_t mtvm_wrapping_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* 1 / (1 + a) for a in [0, 1) as Q0.31, by gemmlowp's three Newton-Raphson steps on Q2.29. */
static int32_t mtvm_one_over_one_plus_x(int32_t a) {
  const int32_t half_denominator = mtvm_rounding_half_sum(a, INT32_MAX); /* Q0.31 */
  const int32_t k48_over_17 = 1515870810;                                  /* Q2.29 */
  const int32_t kneg32_over_17 = -1010580540;                              /* Q2.29 */
  int32_t x = mtvm_wrapping_add(k48_over_17, mtvm_sat_round_doubling_high_mul(half_denominator, kneg32_over_17));
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = mtvm_sat_round_doubling_high_mul(half_denominator, x);
    const int32_t one_minus = (1 << 29) - half_denominator_times_x; /* Q2.29 */
    const int32_t correction = mtvm_sat_round_doubling_high_mul(x, one_minus); /* Q4.27 */
    x = mtvm_wrapping_add(x, mtvm_saturating_shift_left(correction, 2));
  }
  /* x / 2 as Q1.30, rescaled to Q0.31. */
  return mtvm_saturating_shift_left(x, 1);
}

static int mtvm_count_leading_zeros(uint32_t x) {
  int n = 0;
  if (x == 0) {
    return 32;
  }
  while ((x & 0x80000000u) == 0) {
    x <<= 1;
    ++n;
  }
  return n;
}

void mtvm_softmax_s8(const mtvm_softmax_params_t* p, const int32_t* exp_table, const int8_t* input,
                     int8_t* output) {
  /* The sum of exponentials is a Q12.19 value (TFLite's kAccumulationIntegerBits = 12). */
  enum { kAccumulationIntegerBits = 12, kOutputBits = 8 };
  for (int32_t i = 0; i < p->outer; ++i) {
    const int8_t* x = input + (size_t)i * (size_t)p->depth;
    int8_t* y = output + (size_t)i * (size_t)p->depth;
    int32_t max = INT8_MIN;
    for (int32_t c = 0; c < p->depth; ++c) {
      max = x[c] > max ? x[c] : max;
    }
    /* Each exponential, rescaled from Q0.31 to Q12.19, is added to the sum. */
    uint32_t sum = 0;
    for (int32_t c = 0; c < p->depth; ++c) {
      sum += (uint32_t)mtvm_rounding_divide_by_pot(exp_table[max - x[c]], kAccumulationIntegerBits);
    }
    /* TFLite's GetReciprocal: normalise the sum to [1, 2), invert, remember the shift. */
    const int headroom_plus_one = mtvm_count_leading_zeros(sum);
    const int num_bits_over_unit = kAccumulationIntegerBits - headroom_plus_one;
    const int32_t shifted_sum_minus_one = (int32_t)((sum << headroom_plus_one) - (1u << 31));
    const int32_t shifted_scale = mtvm_one_over_one_plus_x(shifted_sum_minus_one);
    const int exponent = num_bits_over_unit + 31 - kOutputBits;
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t product = mtvm_sat_round_doubling_high_mul(shifted_scale, exp_table[max - x[c]]);
      /* Exponents above 31 only occur when hundreds of inputs tie for the maximum (TFLite
         aborts there); the non-negative product then rounds to 0. */
      const int32_t unsat = exponent > 31 ? 0 : mtvm_rounding_divide_by_pot(product, exponent);
      y[c] = (int8_t)mtvm_clamp_i32(unsat + INT8_MIN, INT8_MIN, INT8_MAX);
    }
  }
}

void mtvm_softmax_f32(const mtvm_softmax_params_t* p, const float* input, float* output) {
  for (int32_t i = 0; i < p->outer; ++i) {
    const float* x = input + (size_t)i * (size_t)p->depth;
    float* y = output + (size_t)i * (size_t)p->depth;
    float max = MTVM_FLOAT_LOWEST;
    for (int32_t c = 0; c < p->depth; ++c) {
      max = max < x[c] ? x[c] : max;
    }
    float sum = 0.0f;
    for (int32_t c = 0; c < p->depth; ++c) {
      const float e = expf((x[c] - max) * p->beta);
      y[c] = e;
      sum += e;
    }
    for (int32_t c = 0; c < p->depth; ++c) {
      y[c] = y[c] / sum;
    }
  }
}

/* ---- LOGISTIC, TANH ------------------------------------------------------------------------- */

void mtvm_lut_i8(const mtvm_unary_params_t* p, const int8_t* table, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p->size; ++i) {
    output[i] = table[(int32_t)input[i] + 128];
  }
}

void mtvm_logistic_f32(const mtvm_unary_params_t* p, const float* input, float* output) {
  /* TFLite's reference cut-offs: above the upper one the result rounds to 1 anyway; below the
     lower one exp(x) is used, which is what 1 / (1 + exp(-x)) tends to. */
  const float cutoff_upper = 16.619047164916992188f;
  const float cutoff_lower = -9.0f;
  for (int32_t i = 0; i < p->size; ++i) {
    const float v = input[i];
    float r;
    if (v > cutoff_upper) {
      r = 1.0f;
    } else if (v < cutoff_lower) {
      r = expf(v);
    } else {
      r = 1.0f / (1.0f + expf(-v));
    }
    output[i] = r;
  }
}

void mtvm_tanh_f32(const mtvm_unary_params_t* p, const float* input, float* output) {
  for (int32_t i = 0; i < p->size; ++i) {
    output[i] = tanhf(input[i]);
  }
}
