/*
 * Recurrent operators with state kept between runs: SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM.
 *
 * The state tensors (TFLite variable tensors) live in the application's state pool (see
 * tvmgen_<m>_state in the generated header) and are updated in place. Every kernel reproduces
 * the arithmetic of LiteRT's reference kernels: float32 in the same order of operations,
 * integer variants bit for bit. One source file per variant (svdf_f32.c, svdf_s8.c,
 * lstm_f32.c, lstm_s8.c), so a firmware links only what its model calls.
 */
#ifndef MTVM_RECURRENT_H_
#define MTVM_RECURRENT_H_

#include <math.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fused activations of the float kernels (TFLite's ActivationFunctionType). */
typedef enum {
  MTVM_ACT_NONE = 0,
  MTVM_ACT_RELU = 1,
  MTVM_ACT_RELU_N1_TO_1 = 2,
  MTVM_ACT_RELU6 = 3,
  MTVM_ACT_TANH = 4,
  MTVM_ACT_SIGN_BIT = 5,
  MTVM_ACT_SIGMOID = 6
} mtvm_activation_t;

/* TFLite's ApplyActivationToVector / ActivationFunction for one float. */
static inline float mtvm_activation_f32(float x, mtvm_activation_t activation) {
  switch (activation) {
    case MTVM_ACT_RELU:
      return x < 0.0f ? 0.0f : x;
    case MTVM_ACT_RELU_N1_TO_1:
      return x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
    case MTVM_ACT_RELU6:
      return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    case MTVM_ACT_TANH:
      return tanhf(x);
    case MTVM_ACT_SIGN_BIT:
      return signbit(x) ? 1.0f : 0.0f;
    case MTVM_ACT_SIGMOID:
      return 1.0f / (1.0f + expf(-x));
    case MTVM_ACT_NONE:
    default:
      return x;
  }
}

/* ---------------------------------------------------------------------------------------------
 * SVDF: a fully connected layer factored into a feature filter over the input and a time filter
 * over the last memory_size feature activations, which are the state:
 *   state[batch][num_filters][memory_size] (int16 for the integer kernel, float otherwise).
 * Each run shifts the state left by one element (the whole buffer, as TFLite does: the element
 * that crosses into the previous filter is overwritten right after), writes the new feature
 * activation into the last column, then output[b][u] = bias[u] + sum over the rank filters of
 * unit u of dot(weights_time[f], state[b][f]).
 */
typedef struct {
  int32_t batch;
  int32_t input_size;
  int32_t num_filters; /* num_units * rank */
  int32_t num_units;
  int32_t rank;
  int32_t memory_size;
  mtvm_activation_t activation;
} mtvm_svdf_f32_params_t;

/* bias may be NULL. */
void mtvm_svdf_f32(const mtvm_svdf_f32_params_t* p, const float* input, const float* weights_feature,
                   const float* weights_time, const float* bias, float* state, float* output);

typedef struct {
  int32_t batch;
  int32_t input_size;
  int32_t num_filters;
  int32_t num_units;
  int32_t rank;
  int32_t memory_size;
  int32_t input_zero_point;
  int32_t output_zero_point;
  /* input * weights_feature -> state: input_scale * weights_feature_scale / state_scale */
  int32_t feature_multiplier;
  int32_t feature_shift;
  /* state * weights_time -> output: state_scale * weights_time_scale / output_scale */
  int32_t output_multiplier;
  int32_t output_shift;
} mtvm_svdf_s8_params_t;

/* int8 input/output, int8 weights_feature, int16 weights_time, int32 bias (may be NULL), int16
   state: TFLite's EvalIntegerSVDF. */
void mtvm_svdf_s8(const mtvm_svdf_s8_params_t* p, const int8_t* input, const int8_t* weights_feature,
                  const int16_t* weights_time, const int32_t* bias, int16_t* state, int8_t* output);

/* ---------------------------------------------------------------------------------------------
 * UNIDIRECTIONAL_SEQUENCE_LSTM over n_time steps of n_batch rows: per step and row, the gates
 * (input i, forget f, cell g, output o; i absent with CIFG, where i = 1 - f)
 *   gate = act(W_x * x + W_h * h + peephole .* c + bias)      (layer norm: act(ln(...) .* L + bias))
 *   c = clip(f .* c + i .* g);  h = o .* act(c);  h = clip(W_proj * h + proj_bias) with projection
 * where the output gate's peephole reads the updated c. h (output_state) and c (cell_state) are
 * the state, [n_batch][n_output] and [n_batch][n_cell]; the output is h of every step.
 */
enum { MTVM_LSTM_I = 0, MTVM_LSTM_F = 1, MTVM_LSTM_G = 2, MTVM_LSTM_O = 3 };

typedef struct {
  int32_t n_batch;
  int32_t n_time;
  int32_t n_input;
  int32_t n_cell;
  int32_t n_output;
  int32_t time_major; /* input [time][batch][input] if nonzero, else [batch][time][input] */
  mtvm_activation_t activation; /* of the cell gate and of the cell before the output gate */
  float cell_clip;              /* 0: none */
  float proj_clip;              /* 0: none */
} mtvm_lstm_f32_params_t;

/* The operator's constant operands, indexed by MTVM_LSTM_I/F/G/O. NULL: absent (the input gate's
   weights and bias with CIFG, peephole and layer norm vectors, projection). */
typedef struct {
  const float* input_weights[4];     /* [n_cell][n_input] */
  const float* recurrent_weights[4]; /* [n_cell][n_output] */
  const float* peephole[4];          /* [n_cell]; the cell gate has none */
  const float* layer_norm[4];        /* [n_cell] */
  const float* bias[4];              /* [n_cell] */
  const float* projection_weights;   /* [n_output][n_cell] */
  const float* projection_bias;      /* [n_output] */
} mtvm_lstm_f32_weights_t;

/* scratch: 4 * n_cell floats. */
void mtvm_lstm_f32(const mtvm_lstm_f32_params_t* p, const mtvm_lstm_f32_weights_t* w, const float* input,
                   float* output_state, float* cell_state, float* output, float* scratch);

/* int8 LSTM with int16 cell state: TFLite's integer LSTM (8x8_16, lstm_eval.cc LstmStepInteger8x8_16).
   Gates are int16 Q3.12 before their activation and Q0.15 after; the cell state is int16 with a
   power-of-two scale 2^cell_scale; the hidden state is int8. */
typedef struct {
  int32_t n_batch;
  int32_t n_time;
  int32_t n_input;
  int32_t n_cell;
  int32_t n_output;
  int32_t time_major;
  /* Per gate (MTVM_LSTM_I/F/G/O): input and recurrent matmul rescales into the gate's
     intermediate scale, the peephole rescale, the layer norm rescale and variance guard. */
  int32_t input_multiplier[4];
  int32_t input_shift[4];
  int32_t recurrent_multiplier[4];
  int32_t recurrent_shift[4];
  int32_t peephole_multiplier[4];
  int32_t peephole_shift[4];
  int32_t layer_norm_multiplier[4];
  int32_t layer_norm_shift[4];
  int32_t variance_guard[4];
  int32_t hidden_multiplier; /* o (Q0.15) * tanh(c) (Q0.15) -> hidden */
  int32_t hidden_shift;
  int32_t hidden_offset; /* added to the hidden value: see lstm_s8_constants in ops/recurrent.py */
  int32_t projection_multiplier;
  int32_t projection_shift;
  int32_t output_state_zero_point;
  int32_t cell_scale; /* log2 of the cell state's scale, -30..-9 (below -15: no tanh, see lstm_s8.c) */
  int32_t cell_clip;  /* quantized; 0: none */
  int32_t proj_clip;  /* quantized; 0: none */
} mtvm_lstm_s8_params_t;

typedef struct {
  const int8_t* input_weights[4];
  const int8_t* recurrent_weights[4];
  const int32_t* input_bias[4];     /* gate bias (without layer norm) - input_zero_point * row sums */
  const int32_t* recurrent_bias[4]; /* -output_state_zero_point * row sums */
  const int16_t* peephole[4];
  const int16_t* layer_norm[4];
  const int32_t* layer_norm_bias[4]; /* the gate bias, added inside the layer norm */
  const int8_t* projection_weights;
  const int32_t* projection_bias; /* projection bias + hidden zero point * row sums */
} mtvm_lstm_s8_weights_t;

/* scratch: 9 * n_cell bytes, 2-aligned. */
void mtvm_lstm_s8(const mtvm_lstm_s8_params_t* p, const mtvm_lstm_s8_weights_t* w, const int8_t* input,
                  int8_t* output_state, int16_t* cell_state, int8_t* output, void* scratch);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_RECURRENT_H_ */
