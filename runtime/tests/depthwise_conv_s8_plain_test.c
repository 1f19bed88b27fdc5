/*
 * mtvm_depthwise_conv2d_s8_plain (depthwise_conv_s8_plain.c) against the reference
 * DEPTHWISE_CONV_2D: weights as in the model ([fh][fw][out_c], MTVM_DW_PLAIN), depth
 * multipliers above 1, windows of more than 25 taps, borders, strides, dilation, a narrow
 * activation range.
 */
#include <stdint.h>

#include "conv_s8_test_util.h"
#include "mtvm/conv.h"
#include "mtvm_test.h"

typedef struct {
  int32_t batches, in_h, in_w, in_c, multiplier, fh, fw, stride, dilation, same;
} t_case_t;

static const t_case_t CASES[] = {
    {1, 6, 6, 3, 2, 3, 3, 1, 1, 1}, {2, 5, 7, 2, 3, 3, 3, 2, 1, 1}, {1, 9, 9, 4, 1, 7, 7, 1, 1, 1},
    {1, 7, 7, 1, 5, 3, 3, 1, 2, 1}, {1, 6, 4, 5, 1, 3, 2, 1, 1, 0},
};

static int8_t input[T_MAX_INPUT];
static int8_t weights[T_MAX_WEIGHTS];
static int8_t expected[T_MAX_OUTPUT];
static int8_t output[T_MAX_OUTPUT];
static int32_t folded[T_MAX_CHANNELS];

int main(void) {
  uint32_t rng = 0xFACEu;
  int32_t runs = 0;
  for (uint32_t k = 0; k < sizeof(CASES) / sizeof(CASES[0]); ++k) {
    const t_case_t* c = &CASES[k];
    const int32_t out_c = c->in_c * c->multiplier;
    const mtvm_conv_geometry_t g =
        t_geometry(c->batches, c->in_h, c->in_w, c->in_c, out_c, c->fh, c->fw, c->stride, c->dilation, c->same);
    const int32_t taps = c->fh * c->fw;
    const int32_t outputs = g.batches * g.out_h * g.out_w * g.out_c;
    for (int repeat = 0; repeat < 2; ++repeat) {
      t_quant_t q;
      t_random_quant(&rng, out_c, repeat, &q);
      mtvm_test_fill_s8(&rng, input, g.batches * g.in_h * g.in_w * g.in_c);
      mtvm_test_fill_s8(&rng, weights, taps * out_c);
      t_depthwise_reference(&g, input, weights, &q, expected);
      t_fold_bias(weights, out_c, taps, 1, out_c, -q.input_zp, q.bias, folded);
      const mtvm_depthwise_conv2d_s8_params_t p = {
          .g = g,
          .depth_multiplier = c->multiplier,
          .input_offset = -q.input_zp,
          .output_offset = q.output_zp,
          .act_min = q.act_min,
          .act_max = q.act_max,
          .layout = MTVM_DW_PLAIN,
          .weights = weights,
          .weight_pairs = NULL,
          .folded_bias = folded,
          .requant = q.requant,
          .pad = NULL,
      };
      memset(output, 0x55, sizeof(output));
      mtvm_depthwise_conv2d_s8_plain(&p, input, output);
      mtvm_test_check_s8(output, expected, outputs, "plain", (int)k);
      MTVM_CHECK_EQ(output[outputs], 0x55, "past the output", 0, k);
      ++runs;
    }
  }
  return mtvm_test_finish("depthwise_conv_s8_plain", runs);
}
