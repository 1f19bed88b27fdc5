/*
 * Deliberately too big for an STM32F746G-DISCO: a 400 KiB buffer in .bss does not fit its
 * 320 KiB of RAM, so `bazel build :oversized_disco` must fail with the size table (see
 * :oversized_disco_fails_budget_test).
 */
#include <stdint.h>

static uint8_t big_buffer[400 * 1024];

int main(void) {
  /* Touch the buffer so that --gc-sections keeps it. */
  for (uint32_t i = 0; i < sizeof(big_buffer); i += 4096u) {
    big_buffer[i] = (uint8_t)i;
  }
  return big_buffer[4096];
}
