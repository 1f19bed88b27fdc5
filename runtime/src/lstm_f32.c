/*
 * UNIDIRECTIONAL_SEQUENCE_LSTM, float32: TFLite's LstmStepFloat (lite/kernels/lstm_eval.cc)
 * with the same sequence of float operations per gate:
 *   gate = bias (0 with layer norm); gate += dot(W_x, x); gate += dot(W_h, h);
 *   gate += peephole .* c; layer norm: gate = (gate - mean) / sqrt(var + 1e-8) .* L + bias;
 *   gate = sigmoid(gate) (the cell gate: the fused activation);
 *   c = f .* c; c += g .* i (CIFG: i = 1 - f); clip;
 *   output gate after the cell update (its peephole reads the new c); h = o .* act(c)
 *   (activation NONE: h = o .* g, LiteRT's scratch reuse, see step());
 *   projection: h = proj_bias (or 0) + dot(W_proj, h), clipped.
 * Each batch row is independent, so the kernel runs one row at a time in either layout.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "mtvm/recurrent.h"

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

static float dot(const float *a, const float *b, int32_t n) {
  float sum = 0.0f;
  for (int32_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

/* TFLite's MeanStddevNormalization over one row. */
static void layer_norm(float *x, int32_t n) {
  float sum = 0.0f;
  for (int32_t i = 0; i < n; ++i) sum += x[i];
  const float mean = sum / (float)n;
  float sum_diff_sq = 0.0f;
  for (int32_t i = 0; i < n; ++i) {
    const float diff = x[i] - mean;
    sum_diff_sq += diff * diff;
  }
  const float variance = sum_diff_sq / (float)n;
  const float stddev_inv = 1.0f / sqrtf(variance + 1e-8f);
  for (int32_t i = 0; i < n; ++i) x[i] = (x[i] - mean) * stddev_inv;
}

static float clip(float x, float limit) {
  if (limit <= 0.0f) return x;
  return x > limit ? limit : (x < -limit ? -limit : x);
}

static void gate(const mtvm_lstm_f32_params_t *p, const mtvm_lstm_f32_weights_t *w, int g, const float *x,
                 const float *h, const float *c, mtvm_activation_t activation, float *out) {
  const int32_t n_cell = p->n_cell;
  for (int32_t k = 0; k < n_cell; ++k) {
    float acc = w->layer_norm[g] != NULL ? 0.0f : w->bias[g][k];
    acc += dot(w->input_weights[g] + (size_t)k * (size_t)p->n_input, x, p->n_input);
    acc += dot(w->recurrent_weights[g] + (size_t)k * (size_t)p->n_output, h, p->n_output);
    if (w->peephole[g] != NULL) acc += w->peephole[g][k] * c[k];
    out[k] = acc;
  }
  if (w->layer_norm[g] != NULL) {
    layer_norm(out, n_cell);
    for (int32_t k = 0; k < n_cell; ++k) out[k] = out[k] * w->layer_norm[g][k] + w->bias[g][k];
  }
  for (int32_t k = 0; k < n_cell; ++k) {
    out[k] = activation == MTVM_ACT_SIGMOID ? sigmoid(out[k]) : mtvm_activation_f32(out[k], activation);
  }
}

static void step(const mtvm_lstm_f32_params_t *p, const mtvm_lstm_f32_weights_t *w, const float *x, float *h, float *c,
                 float *out, float *scratch) {
  const int32_t n_cell = p->n_cell;
  const int cifg = w->input_weights[MTVM_LSTM_I] == NULL;
  float *ig = scratch;
  float *fg = scratch + n_cell;
  float *gg = scratch + 2 * n_cell;
  float *og = scratch + 3 * n_cell;
  if (!cifg) gate(p, w, MTVM_LSTM_I, x, h, c, MTVM_ACT_SIGMOID, ig);
  gate(p, w, MTVM_LSTM_F, x, h, c, MTVM_ACT_SIGMOID, fg);
  gate(p, w, MTVM_LSTM_G, x, h, c, p->activation, gg);
  for (int32_t k = 0; k < n_cell; ++k) {
    float ck = fg[k] * c[k];
    ck += gg[k] * (cifg ? 1.0f - fg[k] : ig[k]);
    c[k] = clip(ck, p->cell_clip);
  }
  gate(p, w, MTVM_LSTM_O, x, h, c, MTVM_ACT_SIGMOID, og);
  /* h without projection, into the cell gate's scratch, as LiteRT's CalculateLstmOutputFloat:
   * scratch = act(c) then scratch *= o. Its activation NONE writes nothing, so the scratch (the
   * cell gate's buffer) keeps the cell gate g: h = o .* g, not o .* c. */
  if (p->activation != MTVM_ACT_NONE) {
    for (int32_t k = 0; k < n_cell; ++k) gg[k] = mtvm_activation_f32(c[k], p->activation);
  }
  for (int32_t k = 0; k < n_cell; ++k) gg[k] = og[k] * gg[k];
  if (w->projection_weights != NULL) {
    for (int32_t k = 0; k < p->n_output; ++k) {
      float acc = w->projection_bias != NULL ? w->projection_bias[k] : 0.0f;
      acc += dot(w->projection_weights + (size_t)k * (size_t)n_cell, gg, n_cell);
      h[k] = clip(acc, p->proj_clip);
    }
  } else {
    memcpy(h, gg, (size_t)n_cell * sizeof(float));
  }
  memcpy(out, h, (size_t)p->n_output * sizeof(float));
}

void mtvm_lstm_f32(const mtvm_lstm_f32_params_t *p, const mtvm_lstm_f32_weights_t *w, const float *input,
                   float *output_state, float *cell_state, float *output, float *scratch) {
  for (int32_t t = 0; t < p->n_time; ++t) {
    for (int32_t b = 0; b < p->n_batch; ++b) {
      const size_t row =
          p->time_major ? (size_t)t * (size_t)p->n_batch + (size_t)b : (size_t)b * (size_t)p->n_time + (size_t)t;
      step(p, w, input + row * (size_t)p->n_input, output_state + (size_t)b * (size_t)p->n_output,
           cell_state + (size_t)b * (size_t)p->n_cell, output + row * (size_t)p->n_output, scratch);
    }
  }
}
