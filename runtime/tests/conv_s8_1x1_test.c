/*
 * mtvm_conv2d_s8_1x1 and mtvm_conv2d_s8_1x1_general (conv_s8_1x1.c) against the reference
 * CONV_2D: 1x1 windows, one group, a multiple of 4 input channels (MTVM_CONV_PAIRS), stride 1
 * (the pixels read in order) and 2 (read through the window origin), odd pixel and channel
 * counts.
 */
#include <stdint.h>

#include "conv_s8_test_util.h"
#include "mtvm/conv.h"
#include "mtvm_test.h"

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_c, stride;
} t_case_t;

static const t_case_t CASES[] = {
    {1, 5, 5, 8, 6, 1}, {2, 3, 3, 4, 7, 1}, {1, 7, 6, 16, 5, 2}, {1, 1, 1, 12, 1, 1}, {3, 4, 5, 4, 3, 2},
};

static int8_t input[T_MAX_INPUT];
static int8_t weights[T_MAX_WEIGHTS];
static int8_t arranged[T_MAX_WEIGHTS];
static int8_t expected[T_MAX_OUTPUT];
static int8_t output[T_MAX_OUTPUT];
static int32_t folded[T_MAX_CHANNELS];

int main(void) {
  uint32_t rng = 0xC0FFEEu;
  int32_t runs = 0;
  for (uint32_t k = 0; k < sizeof(CASES) / sizeof(CASES[0]); ++k) {
    const t_case_t* c = &CASES[k];
    const mtvm_conv_geometry_t g = t_geometry(c->batches, c->in_h, c->in_w, c->in_c, c->out_c, 1, 1, c->stride, 1, 1);
    const int32_t outputs = g.batches * g.out_h * g.out_w * g.out_c;
    for (int fast = 0; fast <= 1; ++fast) {
      t_quant_t q;
      t_random_quant(&rng, c->out_c, fast, &q);
      mtvm_test_fill_s8(&rng, input, g.batches * g.in_h * g.in_w * g.in_c);
      mtvm_test_fill_s8(&rng, weights, c->out_c * c->in_c);
      t_conv_reference(&g, c->in_c, input, weights, &q, expected);
      t_pair_rows(weights, c->out_c, c->in_c, c->in_c, c->out_c, arranged);
      t_fold_bias(weights, c->out_c, c->in_c, c->in_c, 1, -q.input_zp, q.bias, folded);
      const mtvm_conv2d_s8_params_t p = {
          .g = g,
          .filter_in_c = c->in_c,
          .input_offset = -q.input_zp,
          .output_offset = q.output_zp,
          .act_min = q.act_min,
          .act_max = q.act_max,
          .layout = MTVM_CONV_PAIRS,
          .weights = arranged,
          .folded_bias = folded,
          .requant = q.requant,
          .pad = NULL, /* a 1x1 window never reaches outside the image */
      };
      memset(output, 0x55, sizeof(output));
      if (fast) {
        mtvm_conv2d_s8_1x1(&p, input, output);
      } else {
        mtvm_conv2d_s8_1x1_general(&p, input, output);
      }
      mtvm_test_check_s8(output, expected, outputs, fast ? "1x1" : "1x1_general", (int)k);
      MTVM_CHECK_EQ(output[outputs], 0x55, "past the output", 0, k);
      ++runs;
    }
  }
  return mtvm_test_finish("conv_s8_1x1", runs);
}
