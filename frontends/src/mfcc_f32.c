/*
 * The MLPerf Tiny keyword-spotting front end in float32 (see mtvm/mfcc.h for the pipeline).
 *
 * The 512-point real FFT is a 256-point complex FFT of the frame read as complex numbers
 * z[n] = x[2n] + i x[2n+1], followed by the usual split step: with Z the FFT of z and
 * W = exp(-2 pi i / 512),
 *   X[k] = E[k] + W^k O[k],  E[k] = (Z[k] + conj(Z[256-k])) / 2,  O[k] = (Z[k] - conj(Z[256-k])) / 2i.
 * The frame buffer holds z, then Z, then the magnitudes, in place: |X[k]| and |X[256-k]| both come
 * from Z[k] and Z[256-k], and are written over Z[k]'s two floats (slot 2k for bin k, slot 2k+1 for
 * bin 256-k; bin 128 is its own partner), so no second buffer is needed.
 */
#include <math.h>

#include "mfcc_tables.h"
#include "mtvm/mfcc.h"

#define HALF (MTVM_MFCC_FFT_LENGTH / 2) /* 256 complex points */

/* Where the in-place split step left |X[bin]|, 0 <= bin <= 256. */
static float magnitude(const float *buf, unsigned bin) {
  return bin <= HALF / 2 ? buf[2u * bin] : buf[2u * (HALF - bin) + 1u];
}

/* In-place radix-2 decimation-in-time FFT of HALF complex numbers (interleaved re, im). */
static void fft_complex(float *z) {
  /* Bit-reversal permutation. */
  for (unsigned i = 1, j = 0; i < HALF; ++i) {
    unsigned bit = HALF >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j |= bit;
    if (i < j) {
      float re = z[2u * i], im = z[2u * i + 1u];
      z[2u * i] = z[2u * j];
      z[2u * i + 1u] = z[2u * j + 1u];
      z[2u * j] = re;
      z[2u * j + 1u] = im;
    }
  }
  /* Butterflies, twiddle by twiddle: exp(-2 pi i j / size) = cos - i sin of table index
   * j * (512 / size), loaded once for every group of the stage. j = 0 (a twiddle of 1) needs no
   * multiplication: 255 of the 1024 butterflies. */
  for (unsigned size = 2; size <= HALF; size <<= 1) {
    const unsigned half = size >> 1, stride = MTVM_MFCC_FFT_LENGTH / size;
    for (unsigned start = 0; start < HALF; start += size) {
      float *a = &z[2u * start], *b = &z[2u * (start + half)];
      const float br = b[0], bi = b[1];
      b[0] = a[0] - br;
      b[1] = a[1] - bi;
      a[0] += br;
      a[1] += bi;
    }
    for (unsigned j = 1; j < half; ++j) {
      const float wr = mtvm_mfcc_cos[j * stride], wi = -mtvm_mfcc_sin[j * stride];
      for (unsigned start = j; start < HALF; start += size) {
        float *a = &z[2u * start], *b = &z[2u * (start + half)];
        const float br = b[0] * wr - b[1] * wi, bi = b[0] * wi + b[1] * wr;
        b[0] = a[0] - br;
        b[1] = a[1] - bi;
        a[0] += br;
        a[1] += bi;
      }
    }
  }
}

/* |X[k]| and, if the mel bands use it (256 - k <= max_bin), |X[256-k]| from Z[k] and Z[256-k]
 * (1 <= k <= 128), written to slots 2k and 2k+1. */
static void split_pair(float *z, unsigned k, unsigned max_bin) {
  const unsigned m = HALF - k;
  const float zr = z[2u * k], zi = z[2u * k + 1u], cr = z[2u * m], ci = -z[2u * m + 1u];
  /* E = (Z[k] + conj(Z[m])) / 2, O = (Z[k] - conj(Z[m])) / 2i. */
  const float er = 0.5f * (zr + cr), ei = 0.5f * (zi + ci);
  const float or_ = 0.5f * (zi - ci), oi = -0.5f * (zr - cr);
  /* X[k] = E + W^k O with W^k = cos - i sin. */
  const float wr = mtvm_mfcc_cos[k], wi = -mtvm_mfcc_sin[k];
  const float xr = er + (or_ * wr - oi * wi), xi = ei + (or_ * wi + oi * wr);
  /* X[256-k] = conj(E) - conj(W^k O) (the same formula at 256-k, using W^256 = -1). */
  const float yr = er - (or_ * wr - oi * wi), yi = -ei + (or_ * wi + oi * wr);
  z[2u * k] = sqrtf(xr * xr + xi * xi);
  if (k != m && m <= max_bin) z[2u * k + 1u] = sqrtf(yr * yr + yi * yi);
}

void mtvm_mfcc_frame_f32(const int16_t *frame, float *scratch, float *mfcc) {
  /* Window (with the int16 -> [-1, 1) scale folded into the table) and zero padding. */
  for (unsigned n = 0; n < MTVM_MFCC_FRAME_LENGTH; ++n) scratch[n] = (float)frame[n] * mtvm_mfcc_window[n];
  for (unsigned n = MTVM_MFCC_FRAME_LENGTH; n < MTVM_MFCC_FFT_LENGTH; ++n) scratch[n] = 0.0f;
  fft_complex(scratch);
  /* Bins 0 and 256 are real: Re Z[0] + Im Z[0] and Re Z[0] - Im Z[0]. */
  const float dc = scratch[0] + scratch[1], nyquist = scratch[0] - scratch[1];
  /* The highest FFT bin any mel band uses (the last band's last bin: 127 for 4000 Hz). */
  const unsigned max_bin =
      mtvm_mfcc_mel_first_bin[MTVM_MFCC_NUM_MEL - 1] + mtvm_mfcc_mel_num_bins[MTVM_MFCC_NUM_MEL - 1] - 1u;
  for (unsigned k = 1; k <= HALF / 2; ++k) split_pair(scratch, k, max_bin);
  scratch[0] = fabsf(dc);
  scratch[1] = fabsf(nyquist);

  float log_mel[MTVM_MFCC_NUM_MEL];
  for (unsigned band = 0; band < MTVM_MFCC_NUM_MEL; ++band) {
    const float *w = &mtvm_mfcc_mel_weights[mtvm_mfcc_mel_offset[band]];
    const unsigned first = mtvm_mfcc_mel_first_bin[band];
    float sum = 0.0f;
    for (unsigned j = 0; j < mtvm_mfcc_mel_num_bins[band]; ++j) sum += w[j] * magnitude(scratch, first + j);
    log_mel[band] = logf(sum + 1e-6f);
  }
  for (unsigned c = 0; c < MTVM_MFCC_NUM_COEFFS; ++c) {
    const float *row = &mtvm_mfcc_dct[c * MTVM_MFCC_NUM_MEL];
    float sum = 0.0f;
    for (unsigned band = 0; band < MTVM_MFCC_NUM_MEL; ++band) sum += row[band] * log_mel[band];
    mfcc[c] = sum;
  }
}

size_t mtvm_mfcc_f32(const int16_t *samples, size_t num_samples, float *scratch, float *mfcc) {
  const size_t frames = MTVM_MFCC_NUM_FRAMES(num_samples);
  for (size_t f = 0; f < frames; ++f) {
    mtvm_mfcc_frame_f32(&samples[f * MTVM_MFCC_FRAME_STEP], scratch, &mfcc[f * MTVM_MFCC_NUM_COEFFS]);
  }
  return frames;
}

void mtvm_mfcc_quantize_s8(const float *features, size_t count, float scale, int32_t zero_point, int8_t *out) {
  for (size_t i = 0; i < count; ++i) {
    float q = roundf(features[i] / scale) + (float)zero_point;
    /* Clamp in float first: out-of-range (or NaN) values never reach the int conversion. */
    if (!(q > -128.0f)) q = -128.0f;
    if (q > 127.0f) q = 127.0f;
    out[i] = (int8_t)q;
  }
}

size_t mtvm_mfcc_s8(const int16_t *samples, size_t num_samples, float scale, int32_t zero_point, float *scratch,
                    int8_t *out) {
  const size_t frames = MTVM_MFCC_NUM_FRAMES(num_samples);
  float mfcc[MTVM_MFCC_NUM_COEFFS];
  for (size_t f = 0; f < frames; ++f) {
    mtvm_mfcc_frame_f32(&samples[f * MTVM_MFCC_FRAME_STEP], scratch, mfcc);
    mtvm_mfcc_quantize_s8(mfcc, MTVM_MFCC_NUM_COEFFS, scale, zero_point, &out[f * MTVM_MFCC_NUM_COEFFS]);
  }
  return frames;
}
