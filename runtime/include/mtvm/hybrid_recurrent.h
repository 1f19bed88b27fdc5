/*
 * Hybrid (dynamic-range quantized) recurrent operators: float32 input, state and output with
 * int8 constant weights, as LiteRT 2.3.0's reference kernels compute them (BUILTIN_REF, x86):
 *   - UNIDIRECTIONAL_SEQUENCE_LSTM: lstm_eval.cc EvalHybrid / LstmStepHybrid (lstm_hybrid.c);
 *   - SVDF: reference svdf.h EvalHybridSVDF (svdf_hybrid.c).
 * The float inputs of every integer product (the LSTM's input and output state, its hidden
 * state before the projection, the SVDF's input) are quantized per batch row on the fly
 * (mtvm_hybrid_quantize_* in mtvm/hybrid.h: symmetric, or asymmetric with the option
 * asymmetric_quantize_inputs, where each weight row's sum cancels the zero point), multiplied in
 * int32 and scaled back: acc += float(dot - zp * row_sum) * (row_scale * weight_scale).
 *
 * Every float operation follows LiteRT's x86 build in order and precision, including the
 * functions it takes from Eigen (an SSE build without FMA; the C must be compiled without
 * floating-point contraction, which -std=c99 implies for GCC):
 *   - tanh: Eigen's ptanh_float rational approximation (mtvm_eigen_tanhf below), for scalars
 *     and vectors alike;
 *   - the LSTM's gate sigmoid: Eigen's vectorized logistic on each 4-float group aligned to 16
 *     bytes in LiteRT's scratch buffer, and exp(x) / (1 + exp(x)) through the C library's expf
 *     on the elements before and after those groups (lstm_hybrid.c reproduces the layout);
 *   - the SVDF's time dot products and rank sums: four partial sums (TFLite's NEON code through
 *     its SSE translation), added in lane order, then the remaining elements.
 * Outputs therefore agree with LiteRT to the bit on the host, where both take expf from glibc
 * (the tests require equal floats); with another C library's expf, a sigmoid element that
 * LiteRT computes with expf may differ by an ulp.
 */
#ifndef MTVM_HYBRID_RECURRENT_H_
#define MTVM_HYBRID_RECURRENT_H_

#include <math.h>
#include <stdint.h>

#include "mtvm/recurrent.h" /* mtvm_activation_t, MTVM_LSTM_I/F/G/O */

#ifdef __cplusplus
extern "C" {
#endif

/* Eigen's ptanh_float (non-FMA build): a [9/8] rational minimax approximation of tanh on the
   input clamped to +-7.90738964f, where it is exactly +-1. */
static inline float mtvm_eigen_tanhf(float a) {
  const float clamp = 7.90738964080810547f;
  const float x = a < clamp ? (a > -clamp ? a : -clamp) : clamp;
  const float x2 = x * x;
  const float x3 = x2 * x;
  float p = 1.394553628e-8f;
  p = p * x2 + 2.102733560e-5f;
  p = p * x2 + 3.520756727e-3f;
  p = p * x2 + 1.340216100e-1f;
  float q = 8.015776984e-7f;
  q = q * x2 + 3.326951409e-4f;
  q = q * x2 + 2.597254514e-2f;
  q = q * x2 + 4.673548340e-1f;
  q = q * x2 + 1.0f;
  p = x3 * p + x;
  return p / q;
}

/* TFLite's ApplyActivationToVector for one element, the fused activations of these kernels
   (NONE leaves the value; TANH is Eigen's). */
static inline float mtvm_hybrid_activation(float x, mtvm_activation_t activation) {
  switch (activation) {
    case MTVM_ACT_RELU:
      return x < 0.0f ? 0.0f : x;
    case MTVM_ACT_RELU_N1_TO_1:
      return x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
    case MTVM_ACT_RELU6:
      return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    case MTVM_ACT_TANH:
      return mtvm_eigen_tanhf(x);
    case MTVM_ACT_SIGN_BIT:
      return signbit(x) ? 1.0f : 0.0f;
    case MTVM_ACT_NONE:
    case MTVM_ACT_SIGMOID:
    default:
      return x;
  }
}

/* ---------------------------------------------------------------------------------------------
 * Hybrid UNIDIRECTIONAL_SEQUENCE_LSTM. Gates as in mtvm/recurrent.h; weights int8 with one scale
 * per tensor; biases, layer norm coefficients, projection bias, states and output float32. */
typedef struct {
  int32_t n_batch;
  int32_t n_time;
  int32_t n_input;
  int32_t n_cell;
  int32_t n_output;
  int32_t time_major;           /* input [time][batch][input] if nonzero, else [batch][time][input] */
  int32_t asymmetric;           /* asymmetric_quantize_inputs */
  mtvm_activation_t activation; /* of the cell gate and of the cell state before the output gate */
  float cell_clip;              /* 0: none */
  float proj_clip;              /* 0: none */
  float input_scale[4];         /* weight scales, by gate (MTVM_LSTM_I/F/G/O) */
  float recurrent_scale[4];
  float projection_scale;
} mtvm_lstm_hybrid_params_t;

/* NULL: absent (the input gate with CIFG, peephole, layer norm, projection). Row sums are
   needed only with asymmetric inputs. */
typedef struct {
  const int8_t* input_weights[4];      /* [n_cell][n_input] */
  const int8_t* recurrent_weights[4];  /* [n_cell][n_output] */
  const int32_t* input_row_sums[4];    /* [n_cell] */
  const int32_t* recurrent_row_sums[4];
  const float* peephole[4];            /* [n_cell]: int8 weight * its scale, as LiteRT recovers them */
  const float* layer_norm[4];          /* [n_cell] */
  const float* bias[4];                /* [n_cell] */
  const int8_t* projection_weights;    /* [n_output][n_cell] */
  const int32_t* projection_row_sums;  /* [n_output] */
  const float* projection_bias;        /* [n_output] */
} mtvm_lstm_hybrid_weights_t;

/* Scratch bytes for these dimensions (the generator computes the same in Python). */
#define MTVM_LSTM_HYBRID_SCRATCH_BYTES(n_batch, n_input, n_cell, n_output)                  \
  ((4 * (n_batch) * (n_cell) + 3 * (n_batch)) * 4 + 3 * (n_batch) * 4 +                     \
   (n_batch) * ((n_input) + (n_output) + (n_cell)))

void mtvm_lstm_hybrid(const mtvm_lstm_hybrid_params_t* p, const mtvm_lstm_hybrid_weights_t* w,
                      const float* input, float* output_state, float* cell_state, float* output,
                      void* scratch);

/* ---------------------------------------------------------------------------------------------
 * Hybrid SVDF: int8 weights_feature (scale weights_feature_scale), weights_time dequantized at
 * generation time (int8 * scale in float, as LiteRT does once), float state as mtvm/recurrent.h
 * describes. */
typedef struct {
  int32_t batch;
  int32_t input_size;
  int32_t num_filters;
  int32_t num_units;
  int32_t rank;
  int32_t memory_size;
  int32_t asymmetric;
  mtvm_activation_t activation;
  float weights_feature_scale;
} mtvm_svdf_hybrid_params_t;

/* row_sums: [num_filters] (asymmetric only, else NULL); bias may be NULL.
   scratch: batch * (num_filters * 4 + 8 + input_size) bytes. */
void mtvm_svdf_hybrid(const mtvm_svdf_hybrid_params_t* p, const float* input, const int8_t* weights_feature,
                      const int32_t* row_sums, const float* weights_time, const float* bias, float* state,
                      float* output, void* scratch);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_HYBRID_RECURRENT_H_ */
