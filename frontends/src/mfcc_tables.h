/* The constant tables of mfcc_f32.c, generated into mfcc_tables.c by frontends/gen_mfcc_tables.py. */
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

#endif /* MTVM_MFCC_TABLES_H_ */
