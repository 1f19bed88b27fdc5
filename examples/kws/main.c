/*
 * Keyword spotting demo: runs the DS-CNN model (//models:kws.tflite) once on a built-in input and
 * prints the score of each of the 12 classes and the top class.
 *
 * It uses only the generated interface tvmgen_kws.h: the input and output buffers are the
 * application's own static arrays, sized by the generated macros, and the model's workspace is the
 * generated internal pool. No malloc anywhere.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "microtvm_board.h"
#include "tvmgen_kws.h"

/* The MLPerf Tiny keyword-spotting classes, in output order. */
static const char *const kLabels[] = {
    "down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "silence", "unknown",
};

static int8_t input[TVMGEN_KWS_INPUT_SIZE] __attribute__((aligned(16)));
static int8_t scores[TVMGEN_KWS_PROBABILITIES_SIZE] __attribute__((aligned(16)));

/* A deterministic stand-in for 49 frames x 10 MFCC features of one second of audio: a real
 * application fills `input` from its microphone front end instead. */
static void fill_input(void) {
  uint32_t state = 12345u;
  for (size_t i = 0; i < sizeof(input); ++i) {
    state = state * 1103515245u + 12345u; /* a small LCG: same input on every board */
    input[i] = (int8_t)(state >> 24);
  }
}

static void run_inference(void *arg) {
  struct tvmgen_kws_inputs inputs = {.input = input};
  struct tvmgen_kws_outputs outputs = {.probabilities = scores};
  *(int32_t *)arg = tvmgen_kws_run(&inputs, &outputs);
}

int main(void) {
  fill_input();
  int32_t status = -1;
  uint64_t cost = microtvm_board_measure(run_inference, &status);
  if (status != 0) {
    printf("tvmgen_kws_run failed with %ld\n", (long)status);
    return 1;
  }

  const struct mtvm_model_metadata *model = &tvmgen_kws_metadata;
  printf("model %s (sha256 %.16s...) on %s\n", model->model_name, model->model_sha256, microtvm_board_name());
  /* The output is quantized with scale 1/256 and zero point -128: probability = (q + 128) / 256. */
  size_t top = 0;
  for (size_t k = 0; k < sizeof(kLabels) / sizeof(kLabels[0]); ++k) {
    int percent = ((int)scores[k] + 128) * 100 / 256;
    printf("  %-8s %4d  (%3d%%)\n", kLabels[k], scores[k], percent);
    if (scores[k] > scores[top]) top = k;
  }
  printf("top class: %s\n", kLabels[top]);
  printf("inference: %lu %s\n", (unsigned long)cost, microtvm_board_measure_unit());
  return 0;
}
