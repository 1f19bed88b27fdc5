/*
 * The MLPerf Tiny keyword-spotting front end in fixed point (see mtvm/mfcc.h for the pipeline), for
 * cores without an FPU. The same steps as mfcc_f32.c, in integers with explicit scales:
 *
 * - Window: x[n] * hann_q30[n], exact in int64 (true value * 2^45, the 1/32768 of the int16 scale
 *   included). Block floating point: the frame is shifted (rounding) so that its largest value has
 *   29 bits, and the shift s is counted: true value = stored * 2^(s - 45).
 * - 256-point complex FFT and split step as in mfcc_f32.c, twiddles Q30, products in int64 rounded
 *   once per output. Before every stage the block is shifted right just enough for its largest
 *   component to stay below 2^29 (a stage at most multiplies it by 1 + sqrt 2, so int32 never
 *   overflows), and below 2^28 before the split step, which computes 2 X[k] (no halving, so no bit
 *   is lost) with components below 2^30.3. Each shift adds to s. Loud and quiet frames alike keep
 *   about 29 significant bits, better than float32's 24.
 * - Magnitude: the rounded integer square root of (re^2 + im^2) * 4 (< 2^64, uint64):
 *   M = 2 |2 X| (one fraction bit), so |X_true| = M * 2^(s - 47).
 * - Mel: M times Q16 weights summed in uint64: mel_true = S * 2^-F with F = 63 - s.
 * - log: ln(S * 2^-F + 1e-6) = ln2 * (log2(S + E) - F), with E = 2^F / 10^6 = 2^(F-6) / 15625
 *   (rounded); F is capped at 62 (S shifted right to match) so that E fits. log2 of the 64-bit
 *   integer: the position of its top bit plus log2(1 + f) for the 32 bits f below it, from a
 *   257-entry Q30 table with linear interpolation (error < 3e-6).
 * - DCT: Q30 matrix times Q24 log-mel energies, int64 sums: MFCC in Q24 (|c| < 124).
 *
 * Right shifts of negative int64 values are arithmetic (as in every C compiler for Arm and x86).
 */
#include "mfcc_tables.h"
#include "mtvm/mfcc.h"

#define HALF (MTVM_MFCC_FFT_LENGTH / 2) /* 256 complex points */
#define NORM_BITS 29                    /* bits of the block's largest component before the input and each FFT stage */
#define MAX_F 62                        /* cap of the mel energies' fraction bits */
#define LN2_Q30 744261118               /* round(ln 2 * 2^30) */

/* round(a * b / 2^30) for a product that fits int64. */
static int32_t mul_q30(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b + ((int64_t)1 << 29)) >> 30); }

/* Bits needed for v (0 for 0). */
static int bit_length(uint64_t v) {
#if defined(__GNUC__)
  return v ? 64 - __builtin_clzll(v) : 0;
#else
  int n = 0;
  while (v >> n) ++n;
  return n;
#endif
}

/* round(sqrt(v)) (any 64-bit v). */
static uint32_t isqrt_round(uint64_t v) {
  uint64_t root = 0, bit = v ? (uint64_t)1 << ((bit_length(v) - 1) & ~1) : 0; /* highest power of 4 <= v */
  while (bit) {
    if (v >= root + bit) {
      v -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  /* v is now the remainder n - root^2; round up iff n > root^2 + root (n and root integers). */
  return (uint32_t)(v > root ? root + 1 : root);
}

/* log2(v) in Q30 for v >= 1: integer part from the top bit, fraction from the table. */
static int64_t log2_q30(uint64_t v) {
  const int top = bit_length(v) - 1;
  const uint64_t mantissa = v << (63 - top) << 1; /* the bits below the top one, as a 64-bit fraction */
  const uint32_t index = (uint32_t)(mantissa >> (64 - MTVM_MFCC_LOG2_TABLE_BITS));
  const uint32_t rest = (uint32_t)(mantissa >> (32 - MTVM_MFCC_LOG2_TABLE_BITS)); /* next 32 bits */
  const int32_t lo = mtvm_mfcc_log2_q30[index], hi = mtvm_mfcc_log2_q30[index + 1];
  const int64_t frac = lo + (((int64_t)(hi - lo) * rest + ((int64_t)1 << 31)) >> 32);
  return ((int64_t)top << 30) + frac;
}

/* Shifts the block right (rounding) until its largest component is below 2^bits; returns the shift. */
static int limit_block(int32_t *z, int bits) {
  /* The OR of all magnitudes has the bit length of the largest; x ^ (x >> 31) is |x| for x >= 0 and
   * |x| - 1 otherwise (so -2^bits passes: the bounds above have room for it). */
  uint32_t all = 0;
  for (unsigned i = 0; i < MTVM_MFCC_FFT_LENGTH; ++i) all |= (uint32_t)(z[i] ^ (z[i] >> 31));
  const int shift = bit_length(all) - bits;
  if (shift <= 0) return 0;
  const int32_t half = (int32_t)1 << (shift - 1);
  for (unsigned i = 0; i < MTVM_MFCC_FFT_LENGTH; ++i) z[i] = (int32_t)(((int64_t)z[i] + half) >> shift);
  return shift;
}

/* In place, with block scaling; returns the total right shift applied. */
static int fft_complex_fixed(int32_t *z) {
  int shifted = 0;
  for (unsigned i = 1, j = 0; i < HALF; ++i) {
    unsigned bit = HALF >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j |= bit;
    if (i < j) {
      int32_t re = z[2u * i], im = z[2u * i + 1u];
      z[2u * i] = z[2u * j];
      z[2u * i + 1u] = z[2u * j + 1u];
      z[2u * j] = re;
      z[2u * j + 1u] = im;
    }
  }
  for (unsigned size = 2; size <= HALF; size <<= 1) {
    const unsigned half = size >> 1, stride = MTVM_MFCC_FFT_LENGTH / size;
    shifted += limit_block(z, NORM_BITS);
    for (unsigned start = 0; start < HALF; start += size) {
      int32_t *a = &z[2u * start], *b = &z[2u * (start + half)];
      const int32_t br = b[0], bi = b[1];
      b[0] = a[0] - br;
      b[1] = a[1] - bi;
      a[0] += br;
      a[1] += bi;
    }
    for (unsigned j = 1; j < half; ++j) {
      const int64_t wr = mtvm_mfcc_cos_q30[j * stride], wi = -(int64_t)mtvm_mfcc_sin_q30[j * stride];
      for (unsigned start = j; start < HALF; start += size) {
        int32_t *a = &z[2u * start], *b = &z[2u * (start + half)];
        const int32_t br = (int32_t)((b[0] * wr - b[1] * wi + ((int64_t)1 << 29)) >> 30);
        const int32_t bi = (int32_t)((b[0] * wi + b[1] * wr + ((int64_t)1 << 29)) >> 30);
        b[0] = a[0] - br;
        b[1] = a[1] - bi;
        a[0] += br;
        a[1] += bi;
      }
    }
  }
  return shifted + limit_block(z, NORM_BITS - 1);
}

/* 2 |re + i im| (one fraction bit); re^2 + im^2 < 2^61.6. */
static uint32_t magnitude_fixed(int64_t re, int64_t im) { return isqrt_round((uint64_t)(re * re + im * im) << 2); }

/* 2 |2 X[k]| and (if a mel band uses it) 2 |2 X[256-k]| (< 2^32, stored as uint32 bit patterns)
 * into slots 2k and 2k+1, as in mfcc_f32.c. */
static void split_pair_fixed(int32_t *z, unsigned k, unsigned max_bin) {
  const unsigned m = HALF - k;
  const int64_t zr = z[2u * k], zi = z[2u * k + 1u], cr = z[2u * m], ci = -(int64_t)z[2u * m + 1u];
  /* 2E = Z[k] + conj(Z[m]); 2O = (Z[k] - conj(Z[m])) / i. */
  const int64_t er = zr + cr, ei = zi + ci, or_ = zi - ci, oi = -(zr - cr);
  const int64_t wr = mtvm_mfcc_cos_q30[k], wi = -(int64_t)mtvm_mfcc_sin_q30[k];
  const int64_t tr = (or_ * wr - oi * wi + ((int64_t)1 << 29)) >> 30,
                ti = (or_ * wi + oi * wr + ((int64_t)1 << 29)) >> 30;
  const uint32_t low = magnitude_fixed(er + tr, ei + ti);
  if (k != m && m <= max_bin) z[2u * k + 1u] = (int32_t)magnitude_fixed(er - tr, -ei + ti);
  z[2u * k] = (int32_t)low; /* the bit pattern: read back as uint32 */
}

void mtvm_mfcc_frame_fixed(const int16_t *frame, int32_t *scratch, int32_t *mfcc_q24) {
  /* Window in int64 and the frame's largest magnitude. */
  uint64_t peak = 0;
  for (unsigned n = 0; n < MTVM_MFCC_FRAME_LENGTH; ++n) {
    const int64_t v = (int64_t)frame[n] * mtvm_mfcc_window_q30[n];
    const uint64_t mag = (uint64_t)(v < 0 ? -v : v);
    if (mag > peak) peak = mag;
  }
  /* Shift so that the peak has NORM_BITS bits: stored = round(x * w * 2^-s0). */
  const int s0 = peak ? bit_length(peak) - NORM_BITS : 0;
  for (unsigned n = 0; n < MTVM_MFCC_FRAME_LENGTH; ++n) {
    const int64_t v = (int64_t)frame[n] * mtvm_mfcc_window_q30[n];
    scratch[n] = (int32_t)(s0 > 0 ? (v + ((int64_t)1 << (s0 - 1))) >> s0 : v * ((int64_t)1 << -s0));
  }
  for (unsigned n = MTVM_MFCC_FRAME_LENGTH; n < MTVM_MFCC_FFT_LENGTH; ++n) scratch[n] = 0;
  const int s = s0 + fft_complex_fixed(scratch);
  /* Bins 0 and 256, scaled like the others (2 |2 X|). */
  const int64_t dc = 4 * ((int64_t)scratch[0] + scratch[1]), nyquist = 4 * ((int64_t)scratch[0] - scratch[1]);
  const unsigned max_bin =
      mtvm_mfcc_mel_first_bin[MTVM_MFCC_NUM_MEL - 1] + mtvm_mfcc_mel_num_bins[MTVM_MFCC_NUM_MEL - 1] - 1u;
  for (unsigned k = 1; k <= HALF / 2; ++k) split_pair_fixed(scratch, k, max_bin);
  scratch[0] = (int32_t)(uint32_t)(dc < 0 ? -dc : dc);
  scratch[1] = (int32_t)(uint32_t)(nyquist < 0 ? -nyquist : nyquist);

  /* mel_true = S * 2^-F (F = 63 - s: 45, 1 for the doubled X, 1 for the magnitude's fraction bit,
   * 16 for the weights'); capped at F = MAX_F so that E = 2^F / 10^6 fits in 64 bits. */
  int f = 63 - s, drop = 0;
  if (f > MAX_F) {
    drop = f - MAX_F;
    f = MAX_F;
  }
  const uint64_t eps = (((uint64_t)1 << (f - 6)) + 15625 / 2) / 15625; /* 2^F / 10^6 = 2^(F-6) / 5^6 */
  int32_t log_mel_q24[MTVM_MFCC_NUM_MEL];
  for (unsigned band = 0; band < MTVM_MFCC_NUM_MEL; ++band) {
    const uint32_t *w = &mtvm_mfcc_mel_weights_q16[mtvm_mfcc_mel_offset[band]];
    const unsigned first = mtvm_mfcc_mel_first_bin[band];
    uint64_t sum = 0;
    for (unsigned j = 0; j < mtvm_mfcc_mel_num_bins[band]; ++j) {
      const unsigned bin = first + j;
      const uint32_t mag = (uint32_t)(bin <= HALF / 2 ? scratch[2u * bin] : scratch[2u * (HALF - bin) + 1u]);
      sum += (uint64_t)mag * w[j];
    }
    if (drop) sum = (sum + ((uint64_t)1 << (drop - 1))) >> drop;
    /* ln = (log2(S + E) - F) * ln 2, from Q30 to Q24. */
    const int64_t log2_q30_value = log2_q30(sum + eps) - ((int64_t)f << 30);
    const int32_t log2_q24 = (int32_t)((log2_q30_value + 32) >> 6);
    log_mel_q24[band] = mul_q30(log2_q24, LN2_Q30);
  }
  for (unsigned c = 0; c < MTVM_MFCC_NUM_COEFFS; ++c) {
    const int32_t *row = &mtvm_mfcc_dct_q30[c * MTVM_MFCC_NUM_MEL];
    int64_t sum = 0;
    for (unsigned band = 0; band < MTVM_MFCC_NUM_MEL; ++band) sum += (int64_t)row[band] * log_mel_q24[band];
    mfcc_q24[c] = (int32_t)((sum + ((int64_t)1 << 29)) >> 30);
  }
}

size_t mtvm_mfcc_fixed(const int16_t *samples, size_t num_samples, int32_t *scratch, int32_t *mfcc_q24) {
  const size_t frames = MTVM_MFCC_NUM_FRAMES(num_samples);
  for (size_t f = 0; f < frames; ++f) {
    mtvm_mfcc_frame_fixed(&samples[f * MTVM_MFCC_FRAME_STEP], scratch, &mfcc_q24[f * MTVM_MFCC_NUM_COEFFS]);
  }
  return frames;
}

size_t mtvm_mfcc_s8_fixed(const int16_t *samples, size_t num_samples, float scale, int32_t zero_point, int32_t *scratch,
                          int8_t *out) {
  const size_t frames = MTVM_MFCC_NUM_FRAMES(num_samples);
  int32_t mfcc_q24[MTVM_MFCC_NUM_COEFFS];
  float mfcc[MTVM_MFCC_NUM_COEFFS];
  for (size_t f = 0; f < frames; ++f) {
    mtvm_mfcc_frame_fixed(&samples[f * MTVM_MFCC_FRAME_STEP], scratch, mfcc_q24);
    for (unsigned c = 0; c < MTVM_MFCC_NUM_COEFFS; ++c) mfcc[c] = (float)mfcc_q24[c] * (1.0f / 16777216.0f);
    mtvm_mfcc_quantize_s8(mfcc, MTVM_MFCC_NUM_COEFFS, scale, zero_point, &out[f * MTVM_MFCC_NUM_COEFFS]);
  }
  return frames;
}
