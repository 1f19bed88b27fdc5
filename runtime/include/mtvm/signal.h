/*
 * TFLite Micro's Signal library (the audio front end), reproducing TFLM's kernels
 * (signal/micro/kernels/ over signal/src/) bit for bit on the integer paths:
 *
 *   SignalWindow                 signal_window.c       int16 x int16 >> shift, saturated
 *   SignalRfft / SignalIrfft     signal_rfft_*.c,      kissfft 1.3.0's real FFT (kiss_fftr /
 *                                signal_irfft_*.c      kiss_fftri) in Q15, Q31 or float, over the
 *                                signal_fft_*.c        complex core in signal_fft_<type>.c
 *   SignalEnergy                 signal_energy.c       re^2 + im^2 of int16 bins
 *   SignalFftAutoScale           signal_fft_auto_scale.c  left shift so the peak uses 15 bits
 *   SignalFilterBank             signal_filter_bank.c  weighted triangular channel sums (uint64)
 *   SignalFilterBankSquareRoot   signal_filter_bank_sqrt.c  integer sqrt >> scale bits
 *   SignalFilterBankLog          signal_filter_bank_log.c   fixed-point log with a 129-entry table
 *   SignalPCAN                   signal_pcan.c         per-channel automatic gain control
 *
 * and the stateful ones, whose state (TFLM's persistent buffers) lives in the model's state pool
 * (the generator's operator state: zero bytes after tvmgen_<m>_reset_state, as TFLM's Reset):
 *
 *   SignalFramer                 signal_framer.c       overlapping frames of a sample stream
 *   SignalStacker                signal_stacker.c      left/right context of feature frames
 *   SignalDelay                  signal_delay.c        a stream delayed by delay_length samples
 *   SignalOverlapAdd             signal_overlap_add_s16.c / _f32.c  frames summed back to a stream
 *   SignalFilterBankSpectralSubtraction  signal_spectral_subtraction.c  noise estimate and removal
 *
 * TFLM keeps those queues in circular buffers; here they are linear (the queue starts at the
 * buffer's start, consumed samples are moved down), which holds the same samples in the same
 * order and gives the same outputs, with a state layout of our own.
 * The code generator (tools/microtvm/microtvm/ops/signal.py) computes what does not depend on
 * the data: FFT factorizations and twiddle tables (kissfft's formulas, evaluated in double as
 * kissfft does), the logarithm table, and checks every constant index table's bounds.
 * Integer wrap-around that TFLM's C++ gets from int16/int32 stores is made explicit here with
 * unsigned arithmetic, so the kernels stay free of undefined behaviour.
 */
#ifndef MTVM_SIGNAL_H_
#define MTVM_SIGNAL_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- SignalWindow ------------------------------------------------------------------------- */

typedef struct {
  int32_t frames;      /* flat input size / window size */
  int32_t window_size; /* weights length */
  int32_t shift;       /* right shift of each int32 product (arithmetic) */
} mtvm_signal_window_params_t;

void mtvm_signal_window_s16(const mtvm_signal_window_params_t* p, const int16_t* input, const int16_t* weights,
                            int16_t* output);

/* ---- FFTs (kissfft's mixed-radix algorithm, radices 4, 2 and 1) ---------------------------- */

#define MTVM_FFT_MAX_STAGES 32

typedef struct {
  int32_t nfft;       /* complex points: half the real FFT length */
  int32_t num_stages; /* entries of radix / span used */
  int32_t radix[MTVM_FFT_MAX_STAGES]; /* p of each stage, outermost first (kissfft's kf_factor) */
  int32_t span[MTVM_FFT_MAX_STAGES];  /* m of each stage: the length left after it */
  int32_t inverse;                    /* 1 for the inverse transform (IRFFT) */
} mtvm_fft_plan_t;

typedef struct {
  int32_t frames;        /* transforms: flat input size / input_length */
  int32_t fft_length;    /* real samples per transform (a power of two) */
  int32_t input_length;  /* RFFT: real samples per frame (<= fft_length, zero padded);
                            IRFFT: complex bins per frame */
  int32_t output_length; /* RFFT: complex bins per frame; IRFFT: real samples per frame */
  mtvm_fft_plan_t plan;
} mtvm_signal_fft_params_t;

/* Complex transforms of plan->nfft points, out of place (kissfft's kf_work). Data are interleaved
   (re, im) pairs; twiddles hold nfft pairs. */
void mtvm_signal_fft_s16(const mtvm_fft_plan_t* plan, const int16_t* twiddles, const int16_t* input, int16_t* output);
void mtvm_signal_fft_s32(const mtvm_fft_plan_t* plan, const int32_t* twiddles, const int32_t* input, int32_t* output);
void mtvm_signal_fft_f32(const mtvm_fft_plan_t* plan, const float* twiddles, const float* input, float* output);

/* SignalRfft: kiss_fftr per frame. scratch: nfft complex values, plus fft_length reals when
   input_length < fft_length (the zero-padded frame). super_twiddles: nfft / 2 pairs. */
void mtvm_signal_rfft_s16(const mtvm_signal_fft_params_t* p, const int16_t* twiddles, const int16_t* super_twiddles,
                          const int16_t* input, int16_t* output, void* scratch);
void mtvm_signal_rfft_s32(const mtvm_signal_fft_params_t* p, const int32_t* twiddles, const int32_t* super_twiddles,
                          const int32_t* input, int32_t* output, void* scratch);
void mtvm_signal_rfft_f32(const mtvm_signal_fft_params_t* p, const float* twiddles, const float* super_twiddles,
                          const float* input, float* output, void* scratch);

/* SignalIrfft: kiss_fftri per frame (float output divided by fft_length, as TFLM does).
   scratch: nfft complex values. */
void mtvm_signal_irfft_s16(const mtvm_signal_fft_params_t* p, const int16_t* twiddles, const int16_t* super_twiddles,
                           const int16_t* input, int16_t* output, void* scratch);
void mtvm_signal_irfft_s32(const mtvm_signal_fft_params_t* p, const int32_t* twiddles, const int32_t* super_twiddles,
                           const int32_t* input, int32_t* output, void* scratch);
void mtvm_signal_irfft_f32(const mtvm_signal_fft_params_t* p, const float* twiddles, const float* super_twiddles,
                           const float* input, float* output, void* scratch);

/* ---- SignalEnergy ------------------------------------------------------------------------- */

typedef struct {
  int32_t size;        /* output elements (complex bins of the input) */
  int32_t start_index; /* first bin computed */
  int32_t end_index;   /* one past the last bin computed */
} mtvm_signal_energy_params_t;

/* output[i] = re^2 + im^2 for start <= i < end; TFLM leaves the other outputs untouched (their
   content is undefined there), here they are written 0. */
void mtvm_signal_energy(const mtvm_signal_energy_params_t* p, const int16_t* input, uint32_t* output);

/* ---- SignalFftAutoScale ------------------------------------------------------------------- */

void mtvm_signal_fft_auto_scale(int32_t size, const int16_t* input, int16_t* output, int32_t* scale_bits);

/* ---- SignalFilterBank --------------------------------------------------------------------- */

typedef struct {
  int32_t num_channels; /* outputs; the tables describe num_channels + 1 channels */
} mtvm_signal_filter_bank_params_t;

void mtvm_signal_filter_bank(const mtvm_signal_filter_bank_params_t* p, const uint32_t* input, const int16_t* weights,
                             const int16_t* unweights, const int16_t* channel_frequency_starts,
                             const int16_t* channel_weight_starts, const int16_t* channel_widths, uint64_t* output);

/* ---- SignalFilterBankSquareRoot ----------------------------------------------------------- */

void mtvm_signal_filter_bank_sqrt(int32_t num_channels, const uint64_t* input, const int32_t* scale_bits,
                                  uint32_t* output);

/* ---- SignalFilterBankLog ------------------------------------------------------------------ */

typedef struct {
  int32_t num_channels;
  uint32_t output_scale;
  uint32_t input_correction_bits; /* 0..31 */
} mtvm_signal_filter_bank_log_params_t;

/* log_lut: the 129 corrections of log2(1 + k/128) - k/128 in Q16 (ops/signal.py). */
void mtvm_signal_filter_bank_log(const mtvm_signal_filter_bank_log_params_t* p, const uint16_t* log_lut,
                                 const uint32_t* input, int16_t* output);

/* ---- SignalPCAN --------------------------------------------------------------------------- */

typedef struct {
  int32_t num_channels;
  int32_t snr_shift; /* 0..63 */
} mtvm_signal_pcan_params_t;

/* gain_lut: at least 125 entries (TFLM's kWideDynamicFunctionLUTSize). */
void mtvm_signal_pcan(const mtvm_signal_pcan_params_t* p, const uint32_t* input, const uint32_t* noise_estimate,
                      const int16_t* gain_lut, uint32_t* output);

/* ---- SignalFramer ------------------------------------------------------------------------ */

typedef struct {
  int32_t rows;        /* flat input size / innermost dimension: independent streams */
  int32_t n_frames;    /* frames per row and invocation: innermost dimension / frame_step */
  int32_t frame_size;  /* samples per output frame */
  int32_t frame_step;  /* new samples per frame */
  int32_t prefill;     /* samples queued after a reset (frame_size - frame_step zeros, or 0) */
} mtvm_signal_framer_params_t;

/* state: int32 queued samples beyond prefill (all rows alike), then per row a queue of
   mtvm_signal_framer_capacity(p) int16 samples. A frame that is not complete yet clears the valid
   flag; TFLM leaves its output untouched (undefined), here it is written 0. */
static inline int32_t mtvm_signal_framer_capacity(const mtvm_signal_framer_params_t* p) {
  return (p->frame_size + p->frame_step - 1) / p->frame_step * p->frame_step;
}
void mtvm_signal_framer(const mtvm_signal_framer_params_t* p, const int16_t* input, int16_t* output, uint8_t* valid,
                        void* state);

/* ---- SignalStacker ------------------------------------------------------------------------ */

typedef struct {
  int32_t num_channels;  /* values per input frame */
  int32_t left_context;  /* frames before (the first frame is repeated this often after a reset) */
  int32_t right_context; /* frames after */
  int32_t step;          /* frames dropped after each output: 1..left + right + 1 */
} mtvm_signal_stacker_params_t;

/* state: int32 queued values, int32 "first frame seen" flag, then num_channels * (left + right
   + 1) int16 values. Until enough frames are queued valid is 0 and the output 0 (TFLM: untouched). */
void mtvm_signal_stacker(const mtvm_signal_stacker_params_t* p, const int16_t* input, int16_t* output, uint8_t* valid,
                         void* state);

/* ---- SignalDelay -------------------------------------------------------------------------- */

typedef struct {
  int32_t rows;         /* flat size / innermost dimension */
  int32_t frame_size;   /* innermost dimension */
  int32_t delay_length; /* samples of delay */
} mtvm_signal_delay_params_t;

/* state: per row the last delay_length int16 samples not yet output. */
void mtvm_signal_delay(const mtvm_signal_delay_params_t* p, const int16_t* input, int16_t* output, void* state);

/* ---- SignalOverlapAdd --------------------------------------------------------------------- */

typedef struct {
  int32_t rows;       /* flat input size / (n_frames * frame_size) */
  int32_t n_frames;   /* second innermost input dimension */
  int32_t frame_size; /* innermost input dimension */
  int32_t frame_step; /* output samples per frame: 1..frame_size */
} mtvm_signal_overlap_add_params_t;

/* state: per row frame_size accumulated samples (int16 saturated, or float). */
void mtvm_signal_overlap_add_s16(const mtvm_signal_overlap_add_params_t* p, const int16_t* input, int16_t* output,
                                 void* state);
void mtvm_signal_overlap_add_f32(const mtvm_signal_overlap_add_params_t* p, const float* input, float* output,
                                 void* state);

/* ---- SignalFilterBankSpectralSubtraction -------------------------------------------------- */

typedef struct {
  int32_t num_channels;
  uint32_t smoothing;                     /* even channels, scale 1 << spectral_subtraction_bits */
  uint32_t one_minus_smoothing;
  uint32_t alternate_smoothing;           /* odd channels */
  uint32_t alternate_one_minus_smoothing;
  uint32_t min_signal_remaining;          /* floor of the output as a fraction of the input */
  int32_t smoothing_bits;                 /* 0..31: extra fraction bits of the noise estimate */
  int32_t spectral_subtraction_bits;      /* 0..63 */
  int32_t clamping;                       /* 1: the estimate never exceeds the scaled input */
} mtvm_signal_spectral_subtraction_params_t;

/* state: the num_channels uint32 noise estimates, copied to noise_estimate after each update. */
void mtvm_signal_spectral_subtraction(const mtvm_signal_spectral_subtraction_params_t* p, const uint32_t* input,
                                      uint32_t* output, uint32_t* noise_estimate, void* state);

/* ---- helpers ------------------------------------------------------------------------------ */

/* TFLM's MostSignificantBit32/64 as built with GCC or Clang: the bit length, and 32 (64) for 0. */
static inline int mtvm_signal_msb32(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (x) {
    x >>= 1;
    ++n;
  }
  return n;
}

static inline int mtvm_signal_msb64(uint64_t x) {
  int n = 0;
  if (x == 0) return 64;
  while (x) {
    x >>= 1;
    ++n;
  }
  return n;
}

#ifdef __cplusplus
}
#endif

#endif /* MTVM_SIGNAL_H_ */
