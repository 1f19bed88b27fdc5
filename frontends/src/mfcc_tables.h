/* The constant tables of mfcc_f32.c and mfcc_fixed.c, generated into mfcc_tables.c and
 * mfcc_fixed_tables.c by frontends/gen_mfcc_tables.py. The band layout (first bin, bin count,
 * offset into the weights) is shared. */
#ifndef MTVM_MFCC_TABLES_H_
#define MTVM_MFCC_TABLES_H_

#include <stdint.h>

#include "mtvm/mfcc.h"

#define MTVM_MFCC_NUM_MEL_WEIGHTS 247

extern const float mtvm_mfcc_window[MTVM_MFCC_FRAME_LENGTH];
extern const float mtvm_mfcc_cos[MTVM_MFCC_FFT_LENGTH / 2];
extern const float mtvm_mfcc_sin[MTVM_MFCC_FFT_LENGTH / 2];
extern const uint16_t mtvm_mfcc_mel_first_bin[MTVM_MFCC_NUM_MEL];
extern const uint16_t mtvm_mfcc_mel_num_bins[MTVM_MFCC_NUM_MEL];
extern const uint16_t mtvm_mfcc_mel_offset[MTVM_MFCC_NUM_MEL];
extern const float mtvm_mfcc_mel_weights[MTVM_MFCC_NUM_MEL_WEIGHTS];
extern const float mtvm_mfcc_dct[MTVM_MFCC_NUM_COEFFS * MTVM_MFCC_NUM_MEL];

/* Fixed point (mfcc_fixed_tables.c). */
#define MTVM_MFCC_LOG2_TABLE_BITS 8
extern const int32_t mtvm_mfcc_window_q30[MTVM_MFCC_FRAME_LENGTH];
extern const int32_t mtvm_mfcc_cos_q30[MTVM_MFCC_FFT_LENGTH / 2];
extern const int32_t mtvm_mfcc_sin_q30[MTVM_MFCC_FFT_LENGTH / 2];
extern const uint32_t mtvm_mfcc_mel_weights_q16[MTVM_MFCC_NUM_MEL_WEIGHTS];
extern const int32_t mtvm_mfcc_dct_q30[MTVM_MFCC_NUM_COEFFS * MTVM_MFCC_NUM_MEL];
extern const int32_t mtvm_mfcc_log2_q30[(1 << MTVM_MFCC_LOG2_TABLE_BITS) + 1];

#endif /* MTVM_MFCC_TABLES_H_ */
