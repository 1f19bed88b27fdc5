/*
 * SignalFilterBank (TFLM signal/src/filter_bank.cc, FilterbankAccumulateChannels): channel i of
 * the num_channels + 1 described collects weight * energy over its frequency range, and the
 * next channel starts from unweight * energy over the same range (adjacent triangular filters
 * share their bins). Channel 0 only seeds channel 1 and is not output. Products and sums are
 * uint64 modulo 2^64, the int16 weights converted to uint64 as TFLM's C++ does.
 * The generator checked every start/width against the input and weight lengths.
 */
#include <stdint.h>

#include "mtvm/signal.h"

void mtvm_signal_filter_bank(const mtvm_signal_filter_bank_params_t* p, const uint32_t* input, const int16_t* weights,
                             const int16_t* unweights, const int16_t* channel_frequency_starts,
                             const int16_t* channel_weight_starts, const int16_t* channel_widths, uint64_t* output) {
  uint64_t weighted = 0;
  uint64_t unweighted = 0;
  for (int32_t i = 0; i <= p->num_channels; ++i) {
    const int32_t freq_start = channel_frequency_starts[i];
    const int32_t weight_start = channel_weight_starts[i];
    for (int32_t j = 0; j < channel_widths[i]; ++j) {
      const uint64_t energy = input[freq_start + j];
      weighted += (uint64_t)(int64_t)weights[weight_start + j] * energy;
      unweighted += (uint64_t)(int64_t)unweights[weight_start + j] * energy;
    }
    if (i > 0) output[i - 1] = weighted;
    weighted = unweighted;
    unweighted = 0;
  }
}
