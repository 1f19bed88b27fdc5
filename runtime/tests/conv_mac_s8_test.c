/*
 * The inner multiply-accumulate loops of the int8 convolutions (conv_mac_s8.h: SMLAD and
 * SMLABB/SMLATT inline assembly with the DSP extension, portable C elsewhere) against plain
 * sums of products, on random data with the extreme values -128 and 127 mixed in, for every
 * chunk count up to 6 and unaligned pointers.
 */
#include <stdint.h>

#include "conv_mac_s8.h"
#include "mtvm_test.h"

static int8_t xa_buf[40], xb_buf[40], w_buf[200];
static int32_t w_pairs[64];

static void fill(uint32_t* rng, int8_t* data, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t pick = mtvm_test_int(rng, 0, 9);
    data[i] = (int8_t)(pick == 0 ? -128 : (pick == 1 ? 127 : mtvm_test_int(rng, -128, 127)));
  }
}

int main(void) {
  uint32_t rng = 0xACCu;
  int32_t cases = 0;
  for (int32_t offset = 0; offset < 4; ++offset) { /* unaligned input and weight pointers */
    for (int32_t chunks = 0; chunks <= 6; ++chunks, ++cases) {
      const int8_t* xa = xa_buf + offset;
      const int8_t* xb = xb_buf + 3 - offset;
      const int8_t* w = w_buf + offset;
      fill(&rng, xa_buf, 40);
      fill(&rng, xb_buf, 40);
      fill(&rng, w_buf, 200);

      /* mtvm_mac_2x2: a channel pair's weights interleaved ([w0 k0..3][w1 k0..3]...). */
      int32_t e[4] = {5, -7, 11, -13};
      for (int32_t k = 0; k < 4 * chunks; ++k) {
        const int32_t w0 = w[(k / 4) * 8 + k % 4], w1 = w[(k / 4) * 8 + 4 + k % 4];
        e[0] += xa[k] * w0;
        e[1] += xa[k] * w1;
        e[2] += xb[k] * w0;
        e[3] += xb[k] * w1;
      }
      mtvm_acc4_t acc = {5, -7, 11, -13};
      const int8_t* next = mtvm_mac_2x2(xa, xb, w, chunks, &acc);
      MTVM_CHECK_EQ(acc.a0, e[0], "mac_2x2 a0", chunks, offset);
      MTVM_CHECK_EQ(acc.a1, e[1], "mac_2x2 a1", chunks, offset);
      MTVM_CHECK_EQ(acc.a2, e[2], "mac_2x2 a2", chunks, offset);
      MTVM_CHECK_EQ(acc.a3, e[3], "mac_2x2 a3", chunks, offset);
      MTVM_CHECK_EQ(next - w, 8 * chunks, "mac_2x2 weights consumed", chunks, offset);

      /* mtvm_mac_2x1: one plain row for two pixels. */
      int32_t e2[2] = {1, 2};
      for (int32_t k = 0; k < 4 * chunks; ++k) {
        e2[0] += xa[k] * w[k];
        e2[1] += xb[k] * w[k];
      }
      int32_t acc2[2] = {1, 2};
      next = mtvm_mac_2x1(xa, xb, w, chunks, acc2);
      MTVM_CHECK_EQ(acc2[0], e2[0], "mac_2x1 a", chunks, offset);
      MTVM_CHECK_EQ(acc2[1], e2[1], "mac_2x1 b", chunks, offset);
      MTVM_CHECK_EQ(next - w, 4 * chunks, "mac_2x1 weights consumed", chunks, offset);

      /* mtvm_mac_1x4: four rows interleaved ([r0 k0..3][r1 k0..3][r2 k0..3][r3 k0..3]...). */
      int32_t e4[4] = {-1, 0, 1, 2};
      for (int32_t k = 0; k < 4 * chunks; ++k) {
        for (int32_t r = 0; r < 4; ++r) {
          e4[r] += xa[k] * w[(k / 4) * 16 + 4 * r + k % 4];
        }
      }
      mtvm_acc4_t acc4 = {-1, 0, 1, 2};
      next = mtvm_mac_1x4(xa, w, chunks, &acc4);
      MTVM_CHECK_EQ(acc4.a0, e4[0], "mac_1x4 r0", chunks, offset);
      MTVM_CHECK_EQ(acc4.a1, e4[1], "mac_1x4 r1", chunks, offset);
      MTVM_CHECK_EQ(acc4.a2, e4[2], "mac_1x4 r2", chunks, offset);
      MTVM_CHECK_EQ(acc4.a3, e4[3], "mac_1x4 r3", chunks, offset);
      MTVM_CHECK_EQ(next - w, 16 * chunks, "mac_1x4 weights consumed", chunks, offset);

      /* mtvm_dot_s8: any length. */
      for (int32_t n = 4 * chunks; n < 4 * chunks + 4; ++n) {
        int32_t dot = 0;
        for (int32_t k = 0; k < n; ++k) {
          dot += xa[k] * w[k];
        }
        MTVM_CHECK_EQ(mtvm_dot_s8(xa, w, n), dot, "dot_s8", n, offset);
      }

      /* mtvm_dw_mac_tap: `chunks` taps of four channels (starting at channel c of each tap),
         each tap's weights as the words (w2 << 16 | w0) and (w3 << 16 | w1). */
      const int8_t* taps[6];
      const int32_t c = 4 * (offset % 2);
      int32_t ed[4] = {3, 4, 5, 6};
      for (int32_t t = 0; t < chunks; ++t) {
        taps[t] = xa_buf + 4 * t + (offset % 2 ? 0 : 4); /* channel c of tap t at xa_buf + 4t + 4 */
        const int8_t* wt = w_buf + 4 * t;
        w_pairs[2 * t] = wt[2] * 65536 + (wt[0] & 0xFFFF);
        w_pairs[2 * t + 1] = wt[3] * 65536 + (wt[1] & 0xFFFF);
        for (int32_t i = 0; i < 4; ++i) {
          ed[i] += taps[t][c + i] * wt[i];
        }
      }
      mtvm_acc4_t accd = {3, 4, 5, 6};
      const int8_t* const* tap = taps;
      const int32_t* wp = w_pairs;
      for (int32_t t = 0; t < chunks; ++t) {
        mtvm_dw_mac_tap(&tap, c, &wp, &accd);
      }
      MTVM_CHECK_EQ(accd.a0, ed[0], "dw_mac_tap c0", chunks, offset);
      MTVM_CHECK_EQ(accd.a1, ed[1], "dw_mac_tap c1", chunks, offset);
      MTVM_CHECK_EQ(accd.a2, ed[2], "dw_mac_tap c2", chunks, offset);
      MTVM_CHECK_EQ(accd.a3, ed[3], "dw_mac_tap c3", chunks, offset);
      MTVM_CHECK_EQ(tap - taps, chunks, "dw_mac_tap taps consumed", chunks, offset);
      MTVM_CHECK_EQ(wp - w_pairs, 2 * chunks, "dw_mac_tap words consumed", chunks, offset);
    }
  }
  return mtvm_test_finish("conv_mac_s8", cases);
}
