/*
 * mtvm_lut_s8 (lut_s8.c): output[i] = table[input[i] + 128], for every int8 input value, on a
 * table whose entries are known by hand (each entry a different function of its index), in
 * place (output over the input) and for an empty tensor.
 */
#include <stdint.h>
#include <string.h>

#include "mtvm/unary.h"
#include "mtvm_test.h"

static int8_t table[256];
static int8_t input[600];
static int8_t output[601];

int main(void) {
  /* table[q + 128] = 127 - (q + 128) = -1 - q: -128 maps to 127, -1 to 0, 127 to -128. */
  for (int32_t i = 0; i < 256; ++i) {
    table[i] = (int8_t)(127 - i);
  }
  for (int32_t i = 0; i < 600; ++i) {
    input[i] = (int8_t)((i * 37) % 256 - 128); /* every value, in a scrambled order */
  }
  const mtvm_unary_params_t p = {.size = 600};
  memset(output, 0x55, sizeof(output));
  mtvm_lut_s8(&p, table, input, output);
  for (int32_t i = 0; i < 600; ++i) {
    MTVM_CHECK_EQ(output[i], -1 - input[i], "lookup", i, 0);
  }
  MTVM_CHECK_EQ(output[600], 0x55, "past the output", 0, 0);
  MTVM_CHECK_EQ(output[0], 127, "the lowest input", 0, 0); /* input[0] = -128 */

  /* In place: each element is read before it is written. */
  int8_t buffer[256];
  for (int32_t i = 0; i < 256; ++i) {
    buffer[i] = (int8_t)(i - 128);
  }
  const mtvm_unary_params_t all = {.size = 256};
  mtvm_lut_s8(&all, table, buffer, buffer);
  for (int32_t i = 0; i < 256; ++i) {
    MTVM_CHECK_EQ(buffer[i], 127 - i, "in place", i, 1);
  }

  /* No elements: nothing written. */
  const mtvm_unary_params_t none = {.size = 0};
  output[0] = 9;
  mtvm_lut_s8(&none, table, input, output);
  MTVM_CHECK_EQ(output[0], 9, "empty", 0, 2);
  return mtvm_test_finish("lut_s8", 3);
}
