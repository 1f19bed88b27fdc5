/*
 * NHWC addressing shared by the window kernels (convolutions, pools): where a pixel is, whether
 * it is inside the image, which cells of a window are. Tensors are dense [batch][y][x][channel].
 */
#ifndef MTVM_NHWC_H_
#define MTVM_NHWC_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Offset in elements of (b, y, x, 0) in an NHWC tensor of h x w pixels of c channels (b, y and
   x non-negative). */
static inline size_t mtvm_nhwc_offset(int32_t b, int32_t y, int32_t x, int32_t h, int32_t w, int32_t c) {
  return (((size_t)b * (size_t)h + (size_t)y) * (size_t)w + (size_t)x) * (size_t)c;
}

/* 1 when pixel (y, x) lies inside an h x w image. */
static inline int mtvm_nhwc_inside(int32_t y, int32_t x, int32_t h, int32_t w) {
  return y >= 0 && y < h && x >= 0 && x < w;
}

/* The cells of a window that lie inside the image: rows [y0, y1), columns [x0, x1). */
typedef struct {
  int32_t y0;
  int32_t y1;
  int32_t x0;
  int32_t x1;
} mtvm_window_t;

/* The part inside an h x w image of the fh x fw window whose top left cell is (top, left)
   (possibly outside the image). Empty when y1 <= y0 or x1 <= x0. */
static inline mtvm_window_t mtvm_nhwc_window(int32_t top, int32_t left, int32_t fh, int32_t fw, int32_t h,
                                             int32_t w) {
  mtvm_window_t r;
  r.y0 = top < 0 ? 0 : top;
  r.y1 = top + fh < h ? top + fh : h;
  r.x0 = left < 0 ? 0 : left;
  r.x1 = left + fw < w ? left + fw : w;
  return r;
}

#ifdef __cplusplus
}
#endif

#endif /* MTVM_NHWC_H_ */
