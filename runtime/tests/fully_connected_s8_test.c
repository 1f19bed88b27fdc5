/*
 * mtvm_fully_connected_s8 (integer rounding) and mtvm_fully_connected_s8_double
 * (fully_connected_s8.c) against the reference FULLY_CONNECTED: acc = bias + sum((x - zp_x) *
 * (w - zp_w)), output round(acc * scale) (halves away from zero) + zp_out, clamped. The integer
 * kernel gets scales m / 2^(32 + s), for which its rounding is exact, and is checked against the
 * exact rounding; the double kernel against the rounding of the double product, as LiteRT
 * computes it. Row counts with and without a remainder of four, depths with and without a
 * remainder of four, per-tensor (with a weight zero point) and per-channel scales, batches.
 */
#include <math.h>
#include <stdint.h>

#include "conv_s8_test_util.h"
#include "mtvm/conv.h"
#include "mtvm_test.h"

typedef struct {
  int32_t batches, depth, units, per_channel;
} t_case_t;

static const t_case_t CASES[] = {
    {1, 16, 8, 0}, {2, 13, 7, 1}, {3, 4, 5, 0}, {1, 64, 10, 1}, {2, 3, 3, 1}, {1, 1, 4, 0},
};

static int8_t input[T_MAX_INPUT];
static int8_t weights[T_MAX_WEIGHTS];
static int8_t arranged[T_MAX_WEIGHTS];
static int8_t expected[T_MAX_OUTPUT];
static int8_t output[T_MAX_OUTPUT];
static int32_t bias[T_MAX_CHANNELS];
static int32_t folded[T_MAX_CHANNELS];
static uint32_t multipliers[T_MAX_CHANNELS];
static int32_t shifts[T_MAX_CHANNELS];
static double scales[T_MAX_CHANNELS];

/* Rows [units][depth] in groups of four interleaved in 4-byte chunks, each group followed by
   its rows' last depth % 4 bytes; then the last units % 4 rows as they are. */
static void row_groups(const int8_t* w, int32_t units, int32_t depth, int8_t* out) {
  const int32_t chunks = depth / 4;
  int32_t o = 0, u = 0;
  for (; u + 4 <= units; u += 4) {
    for (int32_t c = 0; c < chunks; ++c) {
      for (int32_t r = 0; r < 4; ++r) {
        for (int32_t i = 0; i < 4; ++i) {
          out[o++] = w[(u + r) * depth + 4 * c + i];
        }
      }
    }
    for (int32_t r = 0; r < 4; ++r) {
      for (int32_t i = chunks * 4; i < depth; ++i) {
        out[o++] = w[(u + r) * depth + i];
      }
    }
  }
  for (; u < units; ++u) {
    for (int32_t i = 0; i < depth; ++i) {
      out[o++] = w[u * depth + i];
    }
  }
}

static int8_t clamp_output(int64_t v, int32_t zero_point, int32_t lo, int32_t hi) {
  v += zero_point;
  return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

int main(void) {
  uint32_t rng = 0xF00Du;
  int32_t runs = 0;
  for (uint32_t k = 0; k < sizeof(CASES) / sizeof(CASES[0]); ++k) {
    const t_case_t* c = &CASES[k];
    for (int in_double = 0; in_double <= 1; ++in_double) {
      const int32_t zp_x = mtvm_test_int(&rng, -128, 127);
      const int32_t zp_w = c->per_channel ? 0 : mtvm_test_int(&rng, -10, 10);
      const int32_t zp_out = mtvm_test_int(&rng, -128, 127);
      const int32_t lo = mtvm_test_int(&rng, -128, -30), hi = mtvm_test_int(&rng, 30, 127);
      const int32_t n_scales = c->per_channel ? c->units : 1;
      for (int32_t s = 0; s < n_scales; ++s) {
        multipliers[s] = 0x80000000u | mtvm_test_next(&rng);        /* [2^31, 2^32) */
        shifts[s] = mtvm_test_int(&rng, 8, 14);
        scales[s] = ldexp((double)multipliers[s], -(32 + shifts[s])); /* exactly m / 2^(32 + s) */
        if (in_double) {
          scales[s] *= 1.0 + 1e-9 * mtvm_test_int(&rng, 1, 1000); /* any double */
        }
      }
      mtvm_test_fill_s8(&rng, input, c->batches * c->depth);
      mtvm_test_fill_s8(&rng, weights, c->units * c->depth);
      for (int32_t u = 0; u < c->units; ++u) {
        bias[u] = mtvm_test_int(&rng, -50000, 50000);
        int32_t sum = 0;
        for (int32_t i = 0; i < c->depth; ++i) {
          sum += weights[u * c->depth + i];
        }
        folded[u] = bias[u] + (-zp_x) * sum + c->depth * (-zp_x) * (-zp_w);
      }
      for (int32_t b = 0; b < c->batches; ++b) {
        for (int32_t u = 0; u < c->units; ++u) {
          int64_t acc = bias[u];
          for (int32_t i = 0; i < c->depth; ++i) {
            acc += (int64_t)(input[b * c->depth + i] - zp_x) * (weights[u * c->depth + i] - zp_w);
          }
          const int32_t s = c->per_channel ? u : 0;
          int64_t rounded;
          if (in_double) {
            rounded = (int64_t)round((double)acc * scales[s]);
          } else {
            const uint64_t magnitude = (uint64_t)(acc < 0 ? -acc : acc);
            const uint64_t q = (magnitude * multipliers[s] + ((uint64_t)1 << (31 + shifts[s]))) >> (32 + shifts[s]);
            rounded = acc < 0 ? -(int64_t)q : (int64_t)q;
          }
          expected[b * c->units + u] = clamp_output(rounded, zp_out, lo, hi);
        }
      }
      row_groups(weights, c->units, c->depth, arranged);
      mtvm_fully_connected_s8_params_t p = {
          .batches = c->batches,
          .accum_depth = c->depth,
          .out_c = c->units,
          .filter_offset = -zp_w,
          .output_offset = zp_out,
          .act_min = lo,
          .act_max = hi,
          .weights = arranged,
          .folded_bias = folded,
          .multiplier = multipliers[0],
          .shift = shifts[0],
          .channel_multipliers = c->per_channel ? multipliers : NULL,
          .channel_shifts = c->per_channel ? shifts : NULL,
          .scales = in_double ? scales : NULL,
          .per_channel_scales = c->per_channel,
      };
      const int32_t outputs = c->batches * c->units;
      memset(output, 0x55, sizeof(output));
      if (in_double) {
        mtvm_fully_connected_s8_double(&p, input, output);
      } else {
        mtvm_fully_connected_s8(&p, input, output);
      }
      mtvm_test_check_s8(output, expected, outputs, in_double ? "double" : "integer", (int)k);
      MTVM_CHECK_EQ(output[outputs], 0x55, "past the output", 0, k);
      ++runs;
    }
  }
  return mtvm_test_finish("fully_connected_s8", runs);
}
