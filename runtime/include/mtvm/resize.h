/*
 * RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR (NHWC), reproducing LiteRT's reference kernels.
 *
 * Which input rows and columns an output row or column reads, and with what weights, depends
 * only on the sizes and the align_corners / half_pixel_centers options, so the code generator
 * (tools/microtvm/microtvm/ops/resize.py) computes it once, with LiteRT's own arithmetic
 * (float32 for the float kernels and nearest neighbour, 10-bit fixed point for the integer
 * bilinear kernel), and passes it as small tables: one entry per output row and per output
 * column. The kernels only gather and blend.
 */
#ifndef MTVM_RESIZE_H_
#define MTVM_RESIZE_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t batches;
  int32_t in_h;
  int32_t in_w;
  int32_t depth;
  int32_t out_h;
  int32_t out_w;
  int32_t elem_bytes; /* nearest neighbour: bytes per element (any type) */
} mtvm_resize_params_t;

/* in_y[out_h], in_x[out_w]: the source row / column of each output row / column. */
void mtvm_resize_nearest(const mtvm_resize_params_t* p, const int32_t* in_y, const int32_t* in_x, const void* input,
                         void* output);

/*
 * float32 bilinear. For output row y: rows[2y], rows[2y+1] = (y0, y1) and wy[2y], wy[2y+1] =
 * (1 - dy, dy) as float32 (dy = input_y - y0); the same per column with cols/wx. Output =
 * v00*wy0*wx0 + v10*wy1*wx0 + v01*wy0*wx1 + v11*wy1*wx1, left to right as LiteRT.
 */
void mtvm_resize_bilinear_f32(const mtvm_resize_params_t* p, const int32_t* rows, const float* wy, const int32_t* cols,
                              const float* wx, const float* input, float* output);

/*
 * int8 / int16 bilinear (LiteRT's ResizeBilinearInteger): rows[3y..3y+2] = (y0, y1, fy) with fy
 * the 10-bit fraction input_y - 1024 * y0 (may be negative at the border with half-pixel
 * centers, where y0 == y1); cols likewise. The four products are summed in int64 (20
 * fractional bits) and divided by 2^20 rounding half away from zero.
 */
void mtvm_resize_bilinear_s8(const mtvm_resize_params_t* p, const int32_t* rows, const int32_t* cols,
                             const int8_t* input, int8_t* output);
void mtvm_resize_bilinear_s16(const mtvm_resize_params_t* p, const int32_t* rows, const int32_t* cols,
                              const int16_t* input, int16_t* output);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_RESIZE_H_ */
