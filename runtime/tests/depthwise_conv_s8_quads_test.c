/*
 * mtvm_depthwise_conv2d_s8_quads and _general (depthwise_conv_s8_quads.c) against the
 * reference DEPTHWISE_CONV_2D: depth multiplier 1, the weights as MTVM_DW_QUADS (groups of four
 * channels, each tap's weights as two words of 16-bit halves, then the last channels % 4 one
 * weight per word), channel counts with and without a remainder, borders, strides, dilation.
 */
#include <stdint.h>

#include "conv_s8_test_util.h"
#include "mtvm/conv.h"
#include "mtvm_test.h"

typedef struct {
  int32_t batches, in_h, in_w, channels, fh, fw, stride, dilation, same;
} t_case_t;

static const t_case_t CASES[] = {
    {1, 7, 7, 8, 3, 3, 1, 1, 1}, {2, 6, 5, 6, 3, 3, 2, 1, 1}, {1, 9, 8, 3, 5, 5, 1, 1, 1},
    {1, 8, 8, 12, 3, 3, 1, 2, 1}, {1, 6, 6, 5, 3, 3, 1, 1, 0}, {1, 3, 10, 4, 1, 5, 2, 1, 1},
};

static int8_t input[T_MAX_INPUT];
static int8_t weights[T_MAX_WEIGHTS];
static int32_t pairs[T_MAX_WEIGHTS];
static int8_t expected[T_MAX_OUTPUT];
static int8_t output[T_MAX_OUTPUT];
static int8_t pad[T_MAX_CHANNELS];
static int32_t folded[T_MAX_CHANNELS];

/* MTVM_DW_QUADS: weights [taps][channels] -> per group of four channels, per tap, the words
   (c2 << 16) | (c0 & 0xFFFF) and (c3 << 16) | (c1 & 0xFFFF) as signed halves; then the last
   channels % 4 channels as [tap][channel], one per word. */
static void quad_pairs(const int8_t* w, int32_t taps, int32_t channels, int32_t* out) {
  const int32_t quads = channels / 4, rest = channels % 4;
  int32_t o = 0;
  for (int32_t q = 0; q < quads; ++q) {
    for (int32_t t = 0; t < taps; ++t) {
      const int8_t* x = w + t * channels + 4 * q;
      out[o++] = x[2] * 65536 + (x[0] & 0xFFFF);
      out[o++] = x[3] * 65536 + (x[1] & 0xFFFF);
    }
  }
  for (int32_t t = 0; t < taps; ++t) {
    for (int32_t r = 0; r < rest; ++r) {
      out[o++] = w[t * channels + quads * 4 + r];
    }
  }
}

int main(void) {
  uint32_t rng = 0xD00Du;
  int32_t runs = 0;
  for (uint32_t k = 0; k < sizeof(CASES) / sizeof(CASES[0]); ++k) {
    const t_case_t* c = &CASES[k];
    const mtvm_conv_geometry_t g = t_geometry(c->batches, c->in_h, c->in_w, c->channels, c->channels, c->fh, c->fw,
                                              c->stride, c->dilation, c->same);
    const int32_t taps = c->fh * c->fw;
    const int32_t outputs = g.batches * g.out_h * g.out_w * g.out_c;
    for (int fast = 0; fast <= 1; ++fast) {
      t_quant_t q;
      t_random_quant(&rng, c->channels, fast, &q);
      mtvm_test_fill_s8(&rng, input, g.batches * g.in_h * g.in_w * g.in_c);
      mtvm_test_fill_s8(&rng, weights, taps * c->channels);
      t_depthwise_reference(&g, input, weights, &q, expected);
      quad_pairs(weights, taps, c->channels, pairs);
      t_fold_bias(weights, c->channels, taps, 1, c->channels, -q.input_zp, q.bias, folded);
      memset(pad, q.input_zp, sizeof(pad));
      const mtvm_depthwise_conv2d_s8_params_t p = {
          .g = g,
          .depth_multiplier = 1,
          .input_offset = -q.input_zp,
          .output_offset = q.output_zp,
          .act_min = q.act_min,
          .act_max = q.act_max,
          .layout = MTVM_DW_QUADS,
          .weights = NULL,
          .weight_pairs = pairs,
          .folded_bias = folded,
          .requant = q.requant,
          .pad = pad,
      };
      memset(output, 0x55, sizeof(output));
      if (fast) {
        mtvm_depthwise_conv2d_s8_quads(&p, input, output);
      } else {
        mtvm_depthwise_conv2d_s8_quads_general(&p, input, output);
      }
      mtvm_test_check_s8(output, expected, outputs, fast ? "quads" : "quads_general", (int)k);
      MTVM_CHECK_EQ(output[outputs], 0x55, "past the output", 0, k);
      ++runs;
    }
  }
  return mtvm_test_finish("depthwise_conv_s8_quads", runs);
}
