/*
 * mtvm_mfcc: the keyword-spotting front end of MLPerf Tiny's DS-CNN, on the device.
 *
 * One second of 16 kHz, 16-bit mono audio becomes 49 frames x 10 MFCC features, computed the way
 * the model was trained (MLPerf Tiny's get_dataset.py with tf.signal):
 *   frames of 480 samples every 320 samples (no padding), periodic Hann window, 512-point real
 *   FFT, magnitude, 40 HTK-mel bands 20-4000 Hz, log(x + 1e-6), DCT-II scaled as
 *   tf.signal.mfccs_from_log_mel_spectrograms does, first 10 coefficients;
 * then, for the int8 model input, q = clamp(round(mfcc / scale) + zero_point, -128, 127).
 *
 * Two variants: float32 (mtvm_mfcc_*_f32, for cores with an FPU) and fixed point (mtvm_mfcc_*_fixed,
 * below). No malloc, no static state: the caller gives a
 * scratch buffer of MTVM_MFCC_SCRATCH_FLOATS floats (2 KiB) that is free between calls.
 */
#ifndef MTVM_MFCC_H_
#define MTVM_MFCC_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MTVM_MFCC_SAMPLE_RATE 16000
#define MTVM_MFCC_FRAME_LENGTH 480
#define MTVM_MFCC_FRAME_STEP 320
#define MTVM_MFCC_FFT_LENGTH 512
#define MTVM_MFCC_NUM_MEL 40
#define MTVM_MFCC_NUM_COEFFS 10
/* Floats of scratch space the functions below need (the FFT buffer). */
#define MTVM_MFCC_SCRATCH_FLOATS MTVM_MFCC_FFT_LENGTH
/* Whole frames in num_samples samples (tf.signal.frame without pad_end): 49 for one second. */
#define MTVM_MFCC_NUM_FRAMES(num_samples) \
  ((num_samples) < MTVM_MFCC_FRAME_LENGTH ? 0 : ((num_samples)-MTVM_MFCC_FRAME_LENGTH) / MTVM_MFCC_FRAME_STEP + 1)

/* The 10 MFCC of one frame of MTVM_MFCC_FRAME_LENGTH samples. */
void mtvm_mfcc_frame_f32(const int16_t *frame, float *scratch, float *mfcc);

/* MFCC of every whole frame of `samples` into mfcc[frames][10]; returns the number of frames. */
size_t mtvm_mfcc_f32(const int16_t *samples, size_t num_samples, float *scratch, float *mfcc);

/* q = clamp(round(x / scale) + zero_point, -128, 127), rounding halves away from zero. */
void mtvm_mfcc_quantize_s8(const float *features, size_t count, float scale, int32_t zero_point, int8_t *out);

/* mtvm_mfcc_f32 and mtvm_mfcc_quantize_s8 frame by frame (no float feature buffer): the int8
 * input of the model, out[frames][10]; returns the number of frames. */
size_t mtvm_mfcc_s8(const int16_t *samples, size_t num_samples, float scale, int32_t zero_point, float *scratch,
                    int8_t *out);

/* ---- Fixed point, for cores without an FPU (Cortex-M0+, M3): integer arithmetic only, up to the
 * float conversion in the quantization. MFCC in Q24 (value * 2^24). Scratch: int32 words. ---- */
#define MTVM_MFCC_FIXED_SCRATCH_WORDS MTVM_MFCC_FFT_LENGTH

void mtvm_mfcc_frame_fixed(const int16_t *frame, int32_t *scratch, int32_t *mfcc_q24);

size_t mtvm_mfcc_fixed(const int16_t *samples, size_t num_samples, int32_t *scratch, int32_t *mfcc_q24);

/* mtvm_mfcc_fixed frame by frame, quantized as mtvm_mfcc_quantize_s8 does. */
size_t mtvm_mfcc_s8_fixed(const int16_t *samples, size_t num_samples, float scale, int32_t zero_point, int32_t *scratch,
                          int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_MFCC_H_ */
