/*
 * mtvm_conv2d_s8_plain (conv_s8_plain.c) against the reference CONV_2D: OHWI weights as in the
 * model (MTVM_CONV_PLAIN), for the windows the blocked layouts do not take (more than 25 taps,
 * large windows of odd channel counts) and any other: groups, strides, dilation, borders, and
 * a narrow activation range.
 */
#include <stdint.h>

#include "conv_s8_test_util.h"
#include "mtvm/conv.h"
#include "mtvm_test.h"

typedef struct {
  int32_t batches, in_h, in_w, in_c, fic, out_c, fh, fw, stride, dilation, same;
} t_case_t;

static const t_case_t CASES[] = {
    {1, 8, 8, 3, 3, 4, 7, 7, 2, 1, 1},  /* 49 taps */
    {2, 6, 5, 5, 5, 3, 3, 3, 1, 1, 1},  /* 45 bytes per window */
    {1, 7, 7, 6, 2, 6, 3, 2, 1, 2, 1},  /* three groups, dilation 2 */
    {1, 4, 9, 2, 2, 1, 1, 9, 1, 1, 0},  /* one output channel, a 1x9 window */
};

static int8_t input[T_MAX_INPUT];
static int8_t weights[T_MAX_WEIGHTS];
static int8_t expected[T_MAX_OUTPUT];
static int8_t output[T_MAX_OUTPUT];
static int32_t folded[T_MAX_CHANNELS];

int main(void) {
  uint32_t rng = 0xBEEFu;
  int32_t runs = 0;
  for (uint32_t k = 0; k < sizeof(CASES) / sizeof(CASES[0]); ++k) {
    const t_case_t* c = &CASES[k];
    const mtvm_conv_geometry_t g =
        t_geometry(c->batches, c->in_h, c->in_w, c->in_c, c->out_c, c->fh, c->fw, c->stride, c->dilation, c->same);
    const int32_t n = c->fh * c->fw * c->fic;
    const int32_t outputs = g.batches * g.out_h * g.out_w * g.out_c;
    for (int repeat = 0; repeat < 2; ++repeat) {
      t_quant_t q;
      t_random_quant(&rng, c->out_c, 0, &q);
      mtvm_test_fill_s8(&rng, input, g.batches * g.in_h * g.in_w * g.in_c);
      mtvm_test_fill_s8(&rng, weights, c->out_c * n);
      t_conv_reference(&g, c->fic, input, weights, &q, expected);
      t_fold_bias(weights, c->out_c, n, n, 1, -q.input_zp, q.bias, folded);
      const mtvm_conv2d_s8_params_t p = {
          .g = g,
          .filter_in_c = c->fic,
          .input_offset = -q.input_zp,
          .output_offset = q.output_zp,
          .act_min = q.act_min,
          .act_max = q.act_max,
          .layout = MTVM_CONV_PLAIN,
          .weights = weights,
          .folded_bias = folded,
          .requant = q.requant,
          .pad = NULL,
      };
      memset(output, 0x55, sizeof(output));
      mtvm_conv2d_s8_plain(&p, input, output);
      mtvm_test_check_s8(output, expected, outputs, "plain", (int)k);
      MTVM_CHECK_EQ(output[outputs], 0x55, "past the output", 0, k);
      ++runs;
    }
  }
  return mtvm_test_finish("conv_s8_plain", runs);
}
