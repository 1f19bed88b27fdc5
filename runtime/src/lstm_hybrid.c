/*
 * Hybrid UNIDIRECTIONAL_SEQUENCE_LSTM (float32 input and state, int8 weights), as LiteRT's
 * lstm_eval.cc EvalHybrid runs it. One step handles a group of rows: all n_batch rows of one
 * time step in the time-major layout, one row at a time in the batch-major layout (LiteRT calls
 * its step per batch row there), and the group matters twice below: for the "all zeros" skips
 * and for where the sigmoid's 16-byte aligned groups fall. Per step (LstmStepHybrid):
 *   1. quantize the input rows and the output state rows (each row on its own, skipped when the
 *      whole group is zero);
 *   2. gates in the order I (unless CIFG), F, G, then the cell update, then O:
 *        gate = bias (0 with layer norm)
 *        gate += float(dot(W_x, q_x) - zp_x * rowsum) * (sf_x * scale_x)   (unless x is all 0)
 *        gate += float(dot(W_h, q_h) - zp_h * rowsum) * (sf_h * scale_h)   (unless h is all 0)
 *        gate += peephole .* c        (I and F read the old c, O the updated one)
 *        layer norm: gate = normalize(gate) .* L, then + bias
 *        gate = sigmoid(gate) (the cell gate: the fused activation);
 *   3. c = f .* c; c += g .* i (CIFG: i = 1 - f); clip;
 *   4. hidden = o .* act(c), where act NONE leaves LiteRT's buffer holding the cell gate, so
 *      hidden = o .* g then (LiteRT's behaviour, reproduced);
 *   5. projection: h = bias (or 0) + the quantized product of the hidden rows (unless all 0),
 *      clipped; without projection h = hidden. The output rows are h.
 * Float operations are single roundings in this order (see mtvm/hybrid_recurrent.h for tanh
 * and the sigmoid).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mtvm/hybrid.h"
#include "mtvm/hybrid_recurrent.h"

/* Eigen's vectorized logistic (scalar_logistic_op<float>::packetOp, non-FMA build): exp(x) by a
   range reduction and a degree-5 polynomial on x / 2, squared, then e / (1 + e). */
static float logistic_packet(float x_in) {
  if (x_in < -104.0f) {
    return 0.0f;
  }
  float x = x_in < 16.6355324f ? x_in : 16.6355324f;
  x = x * 0.5f;
  const float m = floorf(x * 1.44269504088896341f + 0.5f);
  float r = m * -0.693359375f + x;
  r = m * 2.12194440e-4f + r;
  const float r2 = r * r;
  const float p_even = r2 * 4.1898667812347412109375e-2f + 0.49999141693115234375f;
  const float p_odd = r2 * 8.33471305668354034423828125e-3f + 0.16666877269744873046875f;
  const float p_low = r + 1.0f;
  float p = r * p_odd + p_even;
  p = r2 * p + p_low;
  /* 2^m as a float: the biased exponent m + 127, clamped to [0, 255] (m is at least -76 here). */
  float biased = m + 127.0f;
  biased = biased < 0.0f ? 0.0f : (biased > 255.0f ? 255.0f : biased);
  const uint32_t bits = (uint32_t)(int32_t)biased << 23;
  float two_m;
  memcpy(&two_m, &bits, sizeof two_m);
  float e = p * two_m;
  e = e * e;
  return e / (1.0f + e);
}

/* Eigen's scalar logistic (the elements outside whole aligned groups). */
static float logistic_scalar(float x) {
  const float e = expf(x < 16.6355324f ? x : 16.6355324f);
  return e / (1.0f + e);
}

/* Sigmoid over v[0..n) that sits `offset` floats into LiteRT's 16-byte aligned scratch buffer:
   Eigen assigns the elements before the first 16-byte boundary one by one, then groups of 4,
   then the rest one by one. */
static void sigmoid_vector(float* v, int32_t n, int32_t offset) {
  int32_t head = (4 - offset % 4) % 4;
  if (head > n) {
    head = n;
  }
  const int32_t body_end = head + (n - head) / 4 * 4;
  for (int32_t i = 0; i < n; ++i) {
    v[i] = (i >= head && i < body_end) ? logistic_packet(v[i]) : logistic_scalar(v[i]);
  }
}

static int all_zero(const float* v, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    if (v[i] != 0.0f) {
      return 0;
    }
  }
  return 1;
}

static float clip(float x, float limit) {
  /* TFLite's CwiseClipping: max(min(limit, x), -limit). */
  const float upper = limit < x ? limit : x;
  return upper > -limit ? upper : -limit;
}

/* The quantized rows of one operand of the step: q [rows][n], per row a scaling factor and a
   zero point (0 when symmetric). */
typedef struct {
  const int8_t* q;
  const float* sf;
  const int32_t* zp;
  int32_t n;
  int zero; /* the whole group was zero: LiteRT skips the product */
} quantized_t;

static void quantize_rows(const float* x, int32_t rows, int32_t n, int asymmetric, int8_t* q, float* sf,
                          int32_t* zp, quantized_t* out) {
  out->q = q;
  out->sf = sf;
  out->zp = zp;
  out->n = n;
  out->zero = all_zero(x, rows * n);
  if (out->zero) {
    return;
  }
  for (int32_t r = 0; r < rows; ++r) {
    const float* row = x + (size_t)r * (size_t)n;
    int8_t* qr = q + (size_t)r * (size_t)n;
    zp[r] = 0;
    sf[r] = asymmetric ? mtvm_hybrid_quantize_asymmetric(row, n, qr, &zp[r])
                       : mtvm_hybrid_quantize_symmetric(row, n, qr);
  }
}

/* acc[r][k] += float(dot(w[k], q[r]) - zp[r] * row_sums[k]) * (sf[r] * scale), LiteRT's
   MatrixBatchVectorMultiplyAccumulate for int8 weights. */
static void accumulate(const quantized_t* x, int32_t rows, const int8_t* w, const int32_t* row_sums,
                       float scale, int32_t n_out, float* acc) {
  for (int32_t r = 0; r < rows; ++r) {
    const float row_scale = x->sf[r] * scale;
    const int8_t* q = x->q + (size_t)r * (size_t)x->n;
    const int32_t zp = x->zp[r];
    float* out = acc + (size_t)r * (size_t)n_out;
    const int8_t* wk = w;
    for (int32_t k = 0; k < n_out; ++k, wk += x->n) {
      int32_t dot = 0;
      for (int32_t i = 0; i < x->n; ++i) {
        dot += (int32_t)wk[i] * (int32_t)q[i];
      }
      if (zp != 0 && row_sums != NULL) {
        dot -= zp * row_sums[k];
      }
      out[k] += (float)dot * row_scale;
    }
  }
}

/* TFLite's MeanStddevNormalization over each row, then .* L + bias. */
static void layer_norm(float* gate, int32_t rows, int32_t n, const float* coefficients, const float* bias) {
  for (int32_t r = 0; r < rows; ++r) {
    float* x = gate + (size_t)r * (size_t)n;
    float sum = 0.0f;
    for (int32_t i = 0; i < n; ++i) {
      sum += x[i];
    }
    const float mean = sum / (float)n;
    float sum_diff_sq = 0.0f;
    for (int32_t i = 0; i < n; ++i) {
      const float diff = x[i] - mean;
      sum_diff_sq += diff * diff;
    }
    const float variance = sum_diff_sq / (float)n;
    const float stddev_inv = 1.0f / sqrtf(variance + 1e-8f);
    for (int32_t i = 0; i < n; ++i) {
      x[i] = (x[i] - mean) * stddev_inv;
    }
    for (int32_t i = 0; i < n; ++i) {
      x[i] = coefficients[i] * x[i];
    }
    for (int32_t i = 0; i < n; ++i) {
      x[i] = x[i] + bias[i];
    }
  }
}

typedef struct {
  float* gate[4];      /* by MTVM_LSTM_I/F/G/O, each [n_batch][n_cell] */
  int32_t slot[4];     /* the gate's position in LiteRT's scratch buffer (for the sigmoid's groups) */
  float* sf[3];        /* input, output state, hidden: [n_batch] */
  int32_t* zp[3];
  int8_t* q_input;     /* [n_batch][n_input] */
  int8_t* q_state;     /* [n_batch][n_output] */
  int8_t* q_hidden;    /* [n_batch][n_cell] */
} buffers_t;

static void gate(const mtvm_lstm_hybrid_params_t* p, const mtvm_lstm_hybrid_weights_t* w, const buffers_t* s,
                 int g, int32_t rows, int32_t row0, const quantized_t* x, const quantized_t* h, const float* c) {
  const int32_t n_cell = p->n_cell;
  float* out = s->gate[g] + (size_t)row0 * (size_t)n_cell;
  for (int32_t r = 0; r < rows; ++r) {
    for (int32_t k = 0; k < n_cell; ++k) {
      out[(size_t)r * (size_t)n_cell + (size_t)k] = w->layer_norm[g] != NULL ? 0.0f : w->bias[g][k];
    }
  }
  if (!x->zero) {
    accumulate(x, rows, w->input_weights[g], w->input_row_sums[g], p->input_scale[g], n_cell, out);
  }
  if (!h->zero) {
    accumulate(h, rows, w->recurrent_weights[g], w->recurrent_row_sums[g], p->recurrent_scale[g], n_cell, out);
  }
  if (w->peephole[g] != NULL) {
    for (int32_t r = 0; r < rows; ++r) {
      for (int32_t k = 0; k < n_cell; ++k) {
        const size_t i = (size_t)r * (size_t)n_cell + (size_t)k;
        out[i] += w->peephole[g][k] * c[i];
      }
    }
  }
  if (w->layer_norm[g] != NULL) {
    layer_norm(out, rows, n_cell, w->layer_norm[g], w->bias[g]);
  }
  const int32_t n = rows * n_cell;
  if (g == MTVM_LSTM_G) {
    for (int32_t i = 0; i < n; ++i) {
      out[i] = mtvm_hybrid_activation(out[i], p->activation);
    }
  } else {
    sigmoid_vector(out, n, s->slot[g] * p->n_batch * n_cell + row0 * n_cell);
  }
}

/* One LstmStepHybrid over `rows` batch rows starting at batch row `row0`. */
static void step(const mtvm_lstm_hybrid_params_t* p, const mtvm_lstm_hybrid_weights_t* w, const buffers_t* s,
                 int32_t rows, int32_t row0, const float* input, float* h, float* c, float* output) {
  const int32_t n_cell = p->n_cell;
  const int32_t n_output = p->n_output;
  const int cifg = w->input_weights[MTVM_LSTM_I] == NULL;
  quantized_t qx;
  quantized_t qh;
  quantize_rows(input, rows, p->n_input, p->asymmetric, s->q_input, s->sf[0], s->zp[0], &qx);
  quantize_rows(h, rows, n_output, p->asymmetric, s->q_state, s->sf[1], s->zp[1], &qh);
  if (!cifg) {
    gate(p, w, s, MTVM_LSTM_I, rows, row0, &qx, &qh, c);
  }
  gate(p, w, s, MTVM_LSTM_F, rows, row0, &qx, &qh, c);
  gate(p, w, s, MTVM_LSTM_G, rows, row0, &qx, &qh, c);
  const size_t n = (size_t)rows * (size_t)n_cell;
  const size_t first = (size_t)row0 * (size_t)n_cell;
  float* ig = s->gate[MTVM_LSTM_I] + first;
  float* fg = s->gate[MTVM_LSTM_F] + first;
  float* gg = s->gate[MTVM_LSTM_G] + first;
  float* og = s->gate[MTVM_LSTM_O] + first;
  for (size_t i = 0; i < n; ++i) {
    c[i] = fg[i] * c[i];
  }
  for (size_t i = 0; i < n; ++i) {
    const float other = cifg ? 1.0f - fg[i] : ig[i];
    c[i] += gg[i] * other;
  }
  if (p->cell_clip > 0.0f) {
    for (size_t i = 0; i < n; ++i) {
      c[i] = clip(c[i], p->cell_clip);
    }
  }
  gate(p, w, s, MTVM_LSTM_O, rows, row0, &qx, &qh, c);
  /* hidden = o .* act(c), into the cell gate's buffer (LiteRT's; NONE leaves it as it is). */
  if (p->activation != MTVM_ACT_NONE) {
    for (size_t i = 0; i < n; ++i) {
      gg[i] = mtvm_hybrid_activation(c[i], p->activation);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    gg[i] = og[i] * gg[i];
  }
  const size_t n_h = (size_t)rows * (size_t)n_output;
  if (w->projection_weights != NULL) {
    for (int32_t r = 0; r < rows; ++r) {
      for (int32_t k = 0; k < n_output; ++k) {
        h[(size_t)r * (size_t)n_output + (size_t)k] = w->projection_bias != NULL ? w->projection_bias[k] : 0.0f;
      }
    }
    quantized_t qhid;
    quantize_rows(gg, rows, n_cell, p->asymmetric, s->q_hidden, s->sf[2], s->zp[2], &qhid);
    if (!qhid.zero) {
      accumulate(&qhid, rows, w->projection_weights, w->projection_row_sums, p->projection_scale, n_output, h);
    }
    if (p->proj_clip > 0.0f) {
      for (size_t i = 0; i < n_h; ++i) {
        h[i] = clip(h[i], p->proj_clip);
      }
    }
  } else {
    memcpy(h, gg, n_h * sizeof(float));
  }
  memcpy(output, h, n_h * sizeof(float));
}

void mtvm_lstm_hybrid(const mtvm_lstm_hybrid_params_t* p, const mtvm_lstm_hybrid_weights_t* w,
                      const float* input, float* output_state, float* cell_state, float* output,
                      void* scratch) {
  const size_t nb = (size_t)p->n_batch;
  const size_t gate_size = nb * (size_t)p->n_cell;
  buffers_t s;
  float* f = (float*)scratch;
  for (int g = 0; g < 4; ++g) {
    s.gate[g] = f + (size_t)g * gate_size;
  }
  /* LiteRT's scratch holds I, G, F, O in this order (G, F, O with CIFG). */
  const int cifg = w->input_weights[MTVM_LSTM_I] == NULL;
  s.slot[MTVM_LSTM_I] = 0;
  s.slot[MTVM_LSTM_G] = cifg ? 0 : 1;
  s.slot[MTVM_LSTM_F] = cifg ? 1 : 2;
  s.slot[MTVM_LSTM_O] = cifg ? 2 : 3;
  f += 4 * gate_size;
  for (int k = 0; k < 3; ++k) {
    s.sf[k] = f + (size_t)k * nb;
  }
  int32_t* z = (int32_t*)(f + 3 * nb);
  for (int k = 0; k < 3; ++k) {
    s.zp[k] = z + (size_t)k * nb;
  }
  int8_t* q = (int8_t*)(z + 3 * nb);
  s.q_input = q;
  s.q_state = q + nb * (size_t)p->n_input;
  s.q_hidden = s.q_state + nb * (size_t)p->n_output;

  const size_t n_input = (size_t)p->n_input;
  const size_t n_output = (size_t)p->n_output;
  if (p->time_major) {
    for (int32_t t = 0; t < p->n_time; ++t) {
      const size_t row = (size_t)t * nb;
      step(p, w, &s, p->n_batch, 0, input + row * n_input, output_state, cell_state, output + row * n_output);
    }
    return;
  }
  for (int32_t b = 0; b < p->n_batch; ++b) {
    for (int32_t t = 0; t < p->n_time; ++t) {
      const size_t row = (size_t)b * (size_t)p->n_time + (size_t)t;
      step(p, w, &s, 1, b, input + row * n_input, output_state + (size_t)b * n_output,
           cell_state + (size_t)b * (size_t)p->n_cell, output + row * n_output);
    }
  }
}
