/*
 * A minimal harness for the kernel unit tests (runtime/tests/<kernel>_test.c). Each test is a program
 * whose main() returns 0 when every check passed; it runs on the host (cc_test, with ASan and
 * UBSan) and on emulated Cortex-M cores (QEMU), where the DSP paths of the kernels run.
 *
 * Output goes through printf, or, with MTVM_TEST_BARE_PRINT defined (a bare-metal program
 * without a C library console), through `void bare_print(const char*)`, which the program's
 * startup code provides. Numbers are formatted here, so no printf is needed there.
 */
#ifndef MTVM_TEST_H_
#define MTVM_TEST_H_

#include <stdint.h>

#ifdef MTVM_TEST_BARE_PRINT
void bare_print(const char* text);
static inline void mtvm_test_print(const char* text) { bare_print(text); }
#else
#include <stdio.h>
static inline void mtvm_test_print(const char* text) { fputs(text, stdout); }
#endif

static int mtvm_test_failures = 0;

static inline void mtvm_test_print_int(int64_t v) {
  char buffer[24];
  char* p = buffer + sizeof(buffer) - 1;
  uint64_t magnitude = v < 0 ? 0u - (uint64_t)v : (uint64_t)v;
  *p = '\0';
  do {
    *--p = (char)('0' + magnitude % 10u);
    magnitude /= 10u;
  } while (magnitude != 0u);
  if (v < 0) {
    *--p = '-';
  }
  mtvm_test_print(p);
}

/* Records a failure unless actual == expected; prints the first few failures as
   "FAIL <what>[<index>] (case <where>) = <actual>, expected <expected>". */
static inline void mtvm_test_check_eq(int64_t actual, int64_t expected, const char* what, int64_t index, int where) {
  if (actual == expected) {
    return;
  }
  if (++mtvm_test_failures <= 10) {
    mtvm_test_print("FAIL ");
    mtvm_test_print(what);
    mtvm_test_print("[");
    mtvm_test_print_int(index);
    mtvm_test_print("] (case ");
    mtvm_test_print_int(where);
    mtvm_test_print(") = ");
    mtvm_test_print_int(actual);
    mtvm_test_print(", expected ");
    mtvm_test_print_int(expected);
    mtvm_test_print("\n");
  }
}

#define MTVM_CHECK_EQ(actual, expected, what, index, where) \
  mtvm_test_check_eq((int64_t)(actual), (int64_t)(expected), (what), (int64_t)(index), (int)(where))

/* Checks n int8 outputs against the expected ones. */
static inline void mtvm_test_check_s8(const int8_t* actual, const int8_t* expected, int32_t n, const char* what,
                                      int where) {
  for (int32_t i = 0; i < n; ++i) {
    mtvm_test_check_eq(actual[i], expected[i], what, i, where);
  }
}

/* Prints "<name>: ok" or the failure count; the value for main() to return. */
static inline int mtvm_test_finish(const char* name, int32_t checks) {
  mtvm_test_print(name);
  if (mtvm_test_failures == 0) {
    mtvm_test_print(": ok (");
    mtvm_test_print_int(checks);
    mtvm_test_print(" cases)\n");
    return 0;
  }
  mtvm_test_print(": ");
  mtvm_test_print_int(mtvm_test_failures);
  mtvm_test_print(" failures\n");
  return 1;
}

/* xorshift32: the same pseudo-random sequence on every target. */
static inline uint32_t mtvm_test_next(uint32_t* state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

/* A uniform integer in [lo, hi]. */
static inline int32_t mtvm_test_int(uint32_t* state, int32_t lo, int32_t hi) {
  return lo + (int32_t)(mtvm_test_next(state) % (uint32_t)(hi - lo + 1));
}

static inline void mtvm_test_fill_s8(uint32_t* state, int8_t* data, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    data[i] = (int8_t)mtvm_test_int(state, -128, 127);
  }
}

#endif /* MTVM_TEST_H_ */
