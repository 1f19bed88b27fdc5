/*
 * Keyword spotting on real audio: MLPerf Tiny's trained DS-CNN (kws_ref_model.tflite) compiled to C,
 * fed by the on-device MFCC front end (//frontends:mfcc): float32, or fixed point when built with
 * KWS_FIXED_POINT defined (for cores without an FPU).
 *
 * Without arguments it classifies each recording embedded at build time (wav_to_c.py); with a WAV
 * path on QEMU's semihosting command line (`bazel run //examples/kws_audio:run_qemu -- my.wav`,
 * which passes it with -append) it reads that file from the host over semihosting instead. For
 * each clip it prints the top class, every class's score, and the instructions the front end and
 * the inference took; then the firmware's flash and RAM, and a one-line summary the test checks.
 *
 * Semihosting (the WAV read) needs a debugger or an emulator: this example is for the QEMU boards.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "examples/kws_audio/kws_clips.h"
#include "microtvm_board.h"
#include "mtvm/mfcc.h"
#include "tvmgen_kws_ref.h"

#define CLIP_SAMPLES MTVM_MFCC_SAMPLE_RATE /* one second: 49 frames, the model's input */
#define NUM_CLASSES TVMGEN_KWS_REF_IDENTITY_SIZE

/* The MLPerf Tiny keyword-spotting classes, in output order. */
static const char *const kLabels[NUM_CLASSES] = {
    "down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "silence", "unknown",
};

static int8_t features[TVMGEN_KWS_REF_INPUT_1_SIZE] __attribute__((aligned(16)));
static int8_t scores[NUM_CLASSES] __attribute__((aligned(16)));
#ifdef KWS_FIXED_POINT
static int32_t scratch[MTVM_MFCC_FIXED_SCRATCH_WORDS];
#define FRONT_END mtvm_mfcc_s8_fixed
#define FRONT_END_NAME "fixed point"
#else
static float scratch[MTVM_MFCC_SCRATCH_FLOATS];
#define FRONT_END mtvm_mfcc_s8
#define FRONT_END_NAME "float32"
#endif
static int16_t file_samples[CLIP_SAMPLES]; /* a WAV read over semihosting */

/* ---- semihosting: the command line and the WAV file ---- */

/* SYS_GET_CMDLINE (0x15): QEMU answers "<kernel> <-append text>". 0 on success. */
static int semihosting_cmdline(char *buf, size_t size) {
  uint32_t block[2] = {(uint32_t)(uintptr_t)buf, (uint32_t)size};
  register uint32_t r0 __asm__("r0") = 0x15u;
  register uint32_t r1 __asm__("r1") = (uint32_t)(uintptr_t)block;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return (int)r0;
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Reads the first second of a 16 kHz 16-bit mono PCM WAV (zero-padded if shorter) into
 * file_samples. Returns 0, or prints why not and returns 1. */
static int read_wav(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    printf("error: cannot open %s (the path is read by QEMU on the host)\n", path);
    return 1;
  }
  uint8_t header[12], chunk[8], fmt[16];
  int have_fmt = 0, status = 1;
  if (fread(header, 1, 12, f) != 12 || memcmp(header, "RIFF", 4) != 0 || memcmp(header + 8, "WAVE", 4) != 0) {
    printf("error: %s is not a WAV file (no RIFF/WAVE header)\n", path);
    goto done;
  }
  while (fread(chunk, 1, 8, f) == 8) {
    uint32_t size = le32(chunk + 4);
    if (memcmp(chunk, "fmt ", 4) == 0 && size >= 16) {
      if (fread(fmt, 1, 16, f) != 16) break;
      if (le16(fmt) != 1 || le16(fmt + 2) != 1 || le32(fmt + 4) != 16000u || le16(fmt + 14) != 16) {
        printf(
            "error: %s is format %u, %u channel(s), %lu Hz, %u-bit; the front end needs PCM (1), 1 channel, "
            "16000 Hz, 16-bit (e.g. sox IN.wav -r 16000 -c 1 -b 16 OUT.wav)\n",
            path, le16(fmt), le16(fmt + 2), (unsigned long)le32(fmt + 4), le16(fmt + 14));
        goto done;
      }
      have_fmt = 1;
      size -= 16;
    } else if (memcmp(chunk, "data", 4) == 0) {
      if (!have_fmt) break;
      size_t n = size / 2 < CLIP_SAMPLES ? size / 2 : CLIP_SAMPLES;
      n = fread(file_samples, 2, n, f); /* little-endian, like the Cortex-M */
      memset(&file_samples[n], 0, (CLIP_SAMPLES - n) * sizeof(file_samples[0]));
      if (size / 2 > CLIP_SAMPLES) printf("(%s is longer than one second: using its first second)\n", path);
      status = 0;
      goto done;
    }
    if (fseek(f, (long)(size + (size & 1u)), SEEK_CUR) != 0) break;
  }
  printf("error: %s has no 'fmt ' chunk followed by a 'data' chunk\n", path);
done:
  fclose(f);
  return status;
}

/* ---- the pipeline ---- */

struct front_end_call {
  const int16_t *samples;
  size_t frames;
};

static void run_front_end(void *arg) {
  struct front_end_call *call = arg;
  const struct mtvm_tensor_metadata *in = &tvmgen_kws_ref_metadata.inputs[0];
  call->frames = FRONT_END(call->samples, CLIP_SAMPLES, in->scales[0], in->zero_points[0], scratch, features);
}

static void run_inference(void *arg) {
  struct tvmgen_kws_ref_inputs inputs = {.input_1 = features};
  struct tvmgen_kws_ref_outputs outputs = {.Identity = scores};
  *(int32_t *)arg = tvmgen_kws_ref_run(&inputs, &outputs);
}

/* FNV-1a (32 bits) of the int8 features: the test compares it with TensorFlow's features' hash. */
static uint32_t features_hash(void) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < sizeof(features); ++i) h = (h ^ (uint8_t)features[i]) * 16777619u;
  return h;
}

/* Classifies one second of audio; returns the top class, or -1 on an error. */
static int classify(const char *name, const int16_t *samples) {
  struct front_end_call call = {samples, 0};
  uint64_t front_end_cost = microtvm_board_measure(run_front_end, &call);
  if (call.frames * MTVM_MFCC_NUM_COEFFS != sizeof(features)) {
    printf("error: the front end gave %lu frames, the model takes 49\n", (unsigned long)call.frames);
    return -1;
  }
  int32_t status = -1;
  uint64_t inference_cost = microtvm_board_measure(run_inference, &status);
  if (status != 0) {
    printf("error: tvmgen_kws_ref_run failed with %ld\n", (long)status);
    return -1;
  }
  /* The output is quantized with scale 1/256 and zero point -128: probability = (q + 128) / 256. */
  int top = 0;
  for (int k = 1; k < NUM_CLASSES; ++k) {
    if (scores[k] > scores[top]) top = k;
  }
  printf("%s: %s (%d%%)\n", name, kLabels[top], ((int)scores[top] + 128) * 100 / 256);
  printf("  scores:");
  for (int k = 0; k < NUM_CLASSES; ++k) printf(" %s %d%%", kLabels[k], ((int)scores[k] + 128) * 100 / 256);
  printf("\n  front end: %lu %s (49 frames of 10 MFCC, " FRONT_END_NAME ")\n", (unsigned long)front_end_cost,
         microtvm_board_measure_unit());
  printf("  inference: %lu %s\n", (unsigned long)inference_cost, microtvm_board_measure_unit());
  printf("  features: fnv1a %08lx\n", (unsigned long)features_hash());
  return top;
}

/* Linker-script symbols (boards/common/sections.ld). */
extern const char __data_start__[], __data_end__[], __data_load__[], __bss_end__[];
extern const char __heap_start__[], __heap_limit__[], __stack_limit__[], __stack_top__[];

static void print_memory(void) {
  /* FLASH_ORIGIN: the board's flash base (a define from the BUILD file). */
  unsigned long flash =
      (unsigned long)((uintptr_t)__data_load__ + (size_t)(__data_end__ - __data_start__) - FLASH_ORIGIN);
  unsigned long ram = (unsigned long)(__bss_end__ - __data_start__);
  printf(
      "memory: flash %lu bytes; RAM %lu bytes static (model workspace %u, front end scratch %u, WAV buffer %u) "
      "+ %lu stack + %lu heap\n",
      flash, ram, (unsigned)TVMGEN_KWS_REF_WORKSPACE_SIZE, (unsigned)sizeof(scratch), (unsigned)sizeof(file_samples),
      (unsigned long)(__stack_top__ - __stack_limit__), (unsigned long)(__heap_limit__ - __heap_start__));
}

int main(void) {
  const struct mtvm_model_metadata *model = &tvmgen_kws_ref_metadata;
  printf("keyword spotting: MLPerf Tiny DS-CNN (sha256 %.16s...), MFCC front end, on %s\n", model->model_sha256,
         microtvm_board_name());

  static char cmdline[1024];
  const char *wav = NULL;
  if (semihosting_cmdline(cmdline, sizeof(cmdline)) == 0) {
    char *space = strchr(cmdline, ' '); /* "<kernel> <wav>" */
    if (space && space[1] != '\0') wav = space + 1;
  } else {
    printf("error: cannot read the semihosting command line (longer than %u characters?)\n", (unsigned)sizeof(cmdline));
    return 2;
  }
  int failed = 0;
  if (wav) {
    if (read_wav(wav) != 0) return 2;
    failed = classify(wav, file_samples) < 0;
    print_memory();
    return failed;
  }
  static char summary[256], hashes[256];
  size_t used = 0, used_hashes = 0;
  for (size_t i = 0; i < kws_num_clips; ++i) {
    if (kws_clips[i].num_samples < CLIP_SAMPLES) {
      printf("error: %s has %lu samples, fewer than one second\n", kws_clips[i].name,
             (unsigned long)kws_clips[i].num_samples);
      return 1;
    }
    int top = classify(kws_clips[i].name, kws_clips[i].samples);
    if (top < 0) return 1;
    int n = snprintf(summary + used, sizeof(summary) - used, " %s=%s", kws_clips[i].name, kLabels[top]);
    if (n > 0 && (size_t)n < sizeof(summary) - used) used += (size_t)n;
    n = snprintf(hashes + used_hashes, sizeof(hashes) - used_hashes, " %s=%08lx", kws_clips[i].name,
                 (unsigned long)features_hash());
    if (n > 0 && (size_t)n < sizeof(hashes) - used_hashes) used_hashes += (size_t)n;
  }
  print_memory();
  printf("features fnv1a:%s\n", hashes);
  printf("summary:%s\n", summary);
  return 0;
}
