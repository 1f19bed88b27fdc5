/*
 * hello: the smallest rules_microtvm firmware. It needs no model; it shows that a board's
 * startup code, console, FPU setup and cost counter work, by computing things whose answers are
 * known independently, and returns 0 only if all of them are right.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "microtvm_board.h"

/* Set before main() by the reset handler: .data copied from flash, .bss zeroed. (volatile: the
 * compiler must read memory, not fold the initial values in.) */
static volatile uint32_t data_word = 0x12345678u;
static volatile uint32_t bss_words[8];

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit. */
static uint32_t crc32(const uint8_t *data, size_t length) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < length; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
  }
  return ~crc;
}

/* sum over k = 1..1000 of 1 / (k * k), in single precision and in this order. With IEEE
 * rounding of each operation (and no fused multiply-add: -ffp-contract=off) every core, FPU or
 * not, gets the same bits as x86. */
static float inverse_squares(void) {
  volatile float one = 1.0f; /* keep the compiler from evaluating the sum at build time */
  float sum = 0.0f;
  for (int k = 1; k <= 1000; ++k) {
    float kf = (float)k;
    sum += one / (kf * kf);
  }
  return sum;
}

static uint32_t float_bits(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof(bits));
  return bits;
}

/* Some work of a size proportional to its argument, for the cost counter. */
static void spin_work(void *arg) {
  volatile uint32_t accumulator = 0;
  uint32_t iterations = *(const uint32_t *)arg;
  for (uint32_t i = 0; i < iterations; ++i) {
    accumulator += i;
  }
}

static int check(const char *what, int ok) {
  printf("%-30s %s\n", what, ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

int main(void) {
  int failures = 0;
  printf("hello from %s\n", microtvm_board_name());

  failures += check(".data initialised", data_word == 0x12345678u);
  int bss_zero = 1;
  for (size_t i = 0; i < sizeof(bss_words) / sizeof(bss_words[0]); ++i) {
    bss_zero &= bss_words[i] == 0u;
  }
  failures += check(".bss zeroed", bss_zero);

  /* The standard check value of CRC-32: crc32("123456789") = 0xCBF43926. */
  uint32_t crc = crc32((const uint8_t *)"123456789", 9);
  printf("crc32(\"123456789\") = 0x%08lx\n", (unsigned long)crc);
  failures += check("crc32 check value", crc == 0xCBF43926u);

  /* Expected bits computed with numpy.float32 on x86, same order of operations. */
  uint32_t bits = float_bits(inverse_squares());
  printf("sum 1/k^2, k=1..1000 = float 0x%08lx\n", (unsigned long)bits);
  failures += check("float arithmetic (IEEE)", bits == 0x3FD26C75u);

  /* Twice the work must cost about twice as much; on QEMU the same work must cost the same to
   * within the counter's resolution (one spin-loop iteration at each end, see
   * boards/mps2/fpgaio_counter.c). */
  uint32_t small = 1000, large = 2000;
  uint64_t cost_small = microtvm_board_measure(spin_work, &small);
  uint64_t cost_large = microtvm_board_measure(spin_work, &large);
  uint64_t cost_again = microtvm_board_measure(spin_work, &small);
  printf("cost of 1000 iterations: %lu %s (again: %lu; 2000 iterations: %lu)\n",
         (unsigned long)cost_small, microtvm_board_measure_unit(), (unsigned long)cost_again,
         (unsigned long)cost_large);
  int64_t excess = (int64_t)cost_large - 2 * (int64_t)cost_small;
  if (excess < 0) {
    excess = -excess;
  }
  failures += check("cost counter proportional",
                    cost_small > 0 && (uint64_t)excess <= cost_small / 50u);
  if (strcmp(microtvm_board_measure_unit(), "instructions") == 0) {
    int64_t drift = (int64_t)cost_again - (int64_t)cost_small;
    failures += check("cost counter repeatable", drift >= -12 && drift <= 12);
  }

  printf("%s\n", failures == 0 ? "hello: all checks passed" : "hello: CHECKS FAILED");
  return failures;
}
