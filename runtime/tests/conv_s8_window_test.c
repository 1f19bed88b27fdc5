/*
 * mtvm_conv2d_s8_window and mtvm_conv2d_s8_window_general (conv_s8_window.c) against the
 * reference CONV_2D, in both weight layouts they take: MTVM_CONV_PAIRS (taps read in place; a
 * multiple of 4 input channels per group) and MTVM_CONV_GATHER (windows copied to the stack),
 * with borders, strides, dilation, groups, odd pixel and channel counts, and several batches.
 */
#include <stdint.h>

#include "conv_s8_test_util.h"
#include "mtvm/conv.h"
#include "mtvm_test.h"

typedef struct {
  int32_t batches, in_h, in_w, in_c, fic, out_c, fh, fw, stride, dilation, same, layout;
} t_case_t;

static const t_case_t CASES[] = {
    {2, 7, 6, 8, 8, 5, 3, 3, 1, 1, 1, MTVM_CONV_PAIRS},  /* borders all round, odd channels */
    {1, 9, 9, 8, 8, 6, 3, 3, 2, 1, 1, MTVM_CONV_PAIRS},  /* stride 2 */
    {1, 8, 7, 4, 4, 3, 3, 2, 1, 2, 1, MTVM_CONV_PAIRS},  /* dilation 2, a 3x2 window */
    {1, 6, 6, 8, 4, 6, 3, 3, 1, 1, 1, MTVM_CONV_PAIRS},  /* two groups of three channels */
    {1, 7, 5, 4, 4, 4, 5, 5, 1, 1, 0, MTVM_CONV_PAIRS},  /* VALID: every window inside */
    {3, 1, 5, 4, 4, 2, 1, 3, 1, 1, 1, MTVM_CONV_PAIRS},  /* one row, three batches (odd pixels) */
    {2, 7, 7, 3, 3, 5, 3, 3, 2, 1, 1, MTVM_CONV_GATHER}, /* an RGB-like input */
    {1, 5, 6, 1, 1, 4, 5, 5, 1, 1, 1, MTVM_CONV_GATHER}, /* one channel, a 5x5 window */
    {1, 6, 6, 2, 2, 3, 3, 3, 1, 2, 1, MTVM_CONV_GATHER}, /* dilation 2 */
    {1, 5, 5, 6, 3, 4, 3, 3, 1, 1, 1, MTVM_CONV_GATHER}, /* two groups */
};

static int8_t input[T_MAX_INPUT];
static int8_t weights[T_MAX_WEIGHTS];
static int8_t arranged[T_MAX_WEIGHTS];
static int8_t expected[T_MAX_OUTPUT];
static int8_t output[T_MAX_OUTPUT];
static int8_t pad[T_MAX_CHANNELS * 8];
static int32_t folded[T_MAX_CHANNELS];

int main(void) {
  uint32_t rng = 0x12345u;
  int32_t runs = 0;
  for (uint32_t k = 0; k < sizeof(CASES) / sizeof(CASES[0]); ++k) {
    const t_case_t* c = &CASES[k];
    const mtvm_conv_geometry_t g =
        t_geometry(c->batches, c->in_h, c->in_w, c->in_c, c->out_c, c->fh, c->fw, c->stride, c->dilation, c->same);
    const int32_t n = c->fh * c->fw * c->fic;
    const int32_t padded = (n + 3) & ~3;
    const int32_t outputs = g.batches * g.out_h * g.out_w * g.out_c;
    for (int fast = 0; fast <= 1; ++fast) {
      t_quant_t q;
      t_random_quant(&rng, c->out_c, fast, &q);
      mtvm_test_fill_s8(&rng, input, g.batches * g.in_h * g.in_w * g.in_c);
      mtvm_test_fill_s8(&rng, weights, c->out_c * n);
      t_conv_reference(&g, c->fic, input, weights, &q, expected);
      t_pair_rows(weights, c->out_c, n, padded, c->out_c / (c->in_c / c->fic), arranged);
      t_fold_bias(weights, c->out_c, n, n, 1, -q.input_zp, q.bias, folded);
      memset(pad, q.input_zp, sizeof(pad));
      const mtvm_conv2d_s8_params_t p = {
          .g = g,
          .filter_in_c = c->fic,
          .input_offset = -q.input_zp,
          .output_offset = q.output_zp,
          .act_min = q.act_min,
          .act_max = q.act_max,
          .layout = c->layout,
          .weights = arranged,
          .folded_bias = folded,
          .requant = q.requant,
          .pad = c->layout == MTVM_CONV_PAIRS ? pad : NULL,
      };
      memset(output, 0x55, sizeof(output));
      if (fast) {
        mtvm_conv2d_s8_window(&p, input, output);
      } else {
        mtvm_conv2d_s8_window_general(&p, input, output);
      }
      mtvm_test_check_s8(output, expected, outputs, fast ? "window" : "window_general", (int)k);
      MTVM_CHECK_EQ(output[outputs], 0x55, "past the output", 0, k); /* nothing written beyond */
      ++runs;
    }
  }
  return mtvm_test_finish("conv_s8_window", runs);
}
