/*
 * FULLY_CONNECTED int8 (see mtvm/conv.h): four output channels at a time, their weight rows
 * interleaved in 4-byte chunks (mtvm_mac_1x4 in conv_mac_s8.h), each group followed by its
 * rows' last accum_depth % 4 bytes; the last out_c % 4 rows one at a time.
 *
 * Rounding: LiteRT's reference kernel rounds once, round(acc * scale) half away from zero with
 * the scale in double. mtvm_fully_connected_s8 computes it in integers with the multiplier and
 * shift the generator checked against the double computation for every int32 accumulator;
 * mtvm_fully_connected_s8_double in double, for the scales where no such pair exists.
 */
#include <stddef.h>
#include <stdint.h>

#include "conv_internal.h"
#include "conv_mac_s8.h"
#include "mtvm/conv.h"
#include "mtvm/quant.h"

/* round(acc * scale), halves away from zero, computed in double: LiteRT's reference int8
   FULLY_CONNECTED (std::round of a double product). Beyond +-2^30 the int8 output saturates
   whatever the exact value, so the product is clamped first to keep the conversion defined. */
static int32_t mtvm_scale_round_double(int32_t acc, double scale) {
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
static inline int32_t mtvm_scale_round_int(int32_t acc, uint32_t multiplier, int32_t shift) {
  const uint32_t magnitude = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
  const uint32_t high = (uint32_t)(((uint64_t)magnitude * multiplier) >> 32);
  const int32_t q = (int32_t)((high + (1u << (shift - 1))) >> shift);
  return acc < 0 ? -q : q;
}

/* `in_double` is a constant in each copy of this function: which rounding the operator uses. */
MTVM_CONV_INLINE int8_t mtvm_fc_output(const mtvm_fully_connected_s8_params_t* p, int32_t acc, int32_t oc,
                                       int in_double) {
  int32_t v;
  if (in_double) {
    v = mtvm_scale_round_double(acc, p->scales[p->per_channel_scales ? oc : 0]);
  } else if (p->channel_multipliers != NULL) {
    v = mtvm_scale_round_int(acc, p->channel_multipliers[oc], p->channel_shifts[oc]);
  } else {
    v = mtvm_scale_round_int(acc, p->multiplier, p->shift);
  }
  v += p->output_offset;
  return (int8_t)mtvm_clamp_i32(v, p->act_min, p->act_max);
}

MTVM_CONV_INLINE void mtvm_fully_connected_s8_rows(const mtvm_fully_connected_s8_params_t* p, const int8_t* input,
                                                   int8_t* output, int in_double) {
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
      mtvm_acc4_t acc = {folded_bias[oc] + row_term, folded_bias[oc + 1] + row_term, folded_bias[oc + 2] + row_term,
                         folded_bias[oc + 3] + row_term};
      w = mtvm_mac_1x4(x, w, chunks, &acc);
      if (rest != 0) {
        acc.a0 += mtvm_dot_s8(x + chunks * 4, w, rest);
        acc.a1 += mtvm_dot_s8(x + chunks * 4, w + rest, rest);
        acc.a2 += mtvm_dot_s8(x + chunks * 4, w + 2 * rest, rest);
        acc.a3 += mtvm_dot_s8(x + chunks * 4, w + 3 * rest, rest);
        w += 4 * rest;
      }
      out[oc] = mtvm_fc_output(p, acc.a0, oc, in_double);
      out[oc + 1] = mtvm_fc_output(p, acc.a1, oc + 1, in_double);
      out[oc + 2] = mtvm_fc_output(p, acc.a2, oc + 2, in_double);
      out[oc + 3] = mtvm_fc_output(p, acc.a3, oc + 3, in_double);
    }
    for (; oc < out_c; ++oc, w += depth) {
      out[oc] = mtvm_fc_output(p, folded_bias[oc] + row_term + mtvm_dot_s8(x, w, depth), oc, in_double);
    }
  }
}

void mtvm_fully_connected_s8(const mtvm_fully_connected_s8_params_t* p, const int8_t* input, int8_t* output) {
  mtvm_fully_connected_s8_rows(p, input, output, 0);
}

void mtvm_fully_connected_s8_double(const mtvm_fully_connected_s8_params_t* p, const int8_t* input,
                                    int8_t* output) {
  mtvm_fully_connected_s8_rows(p, input, output, 1);
}
