/*
 * TFLite_Detection_PostProcess (SSD box decoding and non-max suppression), float32, as TFLite
 * Micro's and LiteRT's kernels compute it (tensorflow/lite/micro/kernels/detection_postprocess.cc):
 *
 * - decoding in double, each coordinate rounded to float: y_center = y / y_scale * anchor_h +
 *   anchor_y, half_h = 0.5 * exp(h / h_scale) * anchor_h (the same for x and w), then the corners
 *   (ymin, xmin, ymax, xmax) = center -+ half size in float;
 * - a box with ymin > ymax or xmin > xmax makes the operator fail (LiteRT's ValidateBoxes; TFLite
 *   Micro's also fails on empty boxes, ymin == ymax): the kernel then returns -1 and
 *   tvmgen_<m>_run returns -1;
 * - fast NMS: each anchor's best score competes in one class-agnostic NMS, and each selected
 *   anchor reports its min(max_classes_per_detection, num_classes) best classes in the slots
 *   max_classes_per_detection * k + col; regular NMS (use_regular_nms): NMS per class with
 *   detections_per_class, each class's survivors merged into a running top max_detections;
 * - NMS keeps scores >= nms_score_threshold, visits them by decreasing score and drops every
 *   later box whose IoU with a kept box exceeds nms_iou_threshold;
 * - orders by score: NMS's and regular NMS's running top list put equal scores in increasing
 *   index order (LiteRT's stable sorts); fast NMS's best classes of an anchor are LiteRT's
 *   DecreasingPartialArgSort: the first maximum for one class, else std::partial_sort, whose
 *   order of equal scores is that of GNU libstdc++'s heap select and heap sort, reproduced.
 * Output slots LiteRT does not write (fast NMS: past num_detections and a selected anchor's
 * classes past num_classes; regular NMS: past max_detections) are zeros here.
 *
 * Quantized inputs (mtvm_detection_postprocess_q): LiteRT dequantizes uint8 box encodings,
 * anchors and class predictions to float32, real = (q - zero_point) * scale rounded once to
 * float (q - zero_point is exact in float), then runs the float operator; the kernel does the
 * same for uint8 and int8 (int8 is not in LiteRT: the same real values as the uint8 encoding
 * q + 128, zero_point + 128). Anchors are constant: the generator dequantizes them.
 */
#ifndef MTVM_DETECTION_H_
#define MTVM_DETECTION_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t num_boxes;    /* anchors N */
  int32_t box_stride;   /* floats per box encoding (>= 4; the first 4 are y, x, h, w) */
  int32_t num_classes;  /* classes without background */
  int32_t label_offset; /* 1 when the scores have a leading background class, else 0 */
  int32_t max_detections;
  int32_t max_classes_per_detection; /* fast NMS: classes reported per selected anchor (slots per detection) */
  int32_t detections_per_class;      /* regular NMS */
  int32_t use_regular_nms;
  float score_threshold;
  float iou_threshold;
  float y_scale;
  float x_scale;
  float h_scale;
  float w_scale;
} mtvm_detection_params_t;

/* Element types of the quantized entry point's inputs. */
typedef enum {
  MTVM_DETECTION_F32 = 0,
  MTVM_DETECTION_U8 = 1,
  MTVM_DETECTION_S8 = 2,
} mtvm_detection_type_t;

typedef struct {
  mtvm_detection_params_t base; /* base.box_stride: the encodings' stride; the float pass sees 4 */
  mtvm_detection_type_t box_type;
  int32_t box_zero_point;
  float box_scale;
  mtvm_detection_type_t score_type;
  int32_t score_zero_point;
  float score_scale;
} mtvm_detection_q_params_t;

/* Scratch bytes for N anchors, max_detections D and C class scores per anchor (with the
 * background) of the float kernel; ops/detection.py computes the same. */
#define MTVM_DETECTION_SCRATCH_BYTES(N, D, C) \
  ((size_t)4 * (9 * (size_t)(N) + 6 * ((size_t)(N) + (size_t)(D)) + (size_t)(C)) + (size_t)(N))
/* The quantized kernel's: the dequantized boxes and scores, then the float kernel's scratch. */
#define MTVM_DETECTION_Q_SCRATCH_BYTES(N, D, C) \
  ((size_t)4 * (4 * (size_t)(N) + (size_t)(N) * (size_t)(C)) + MTVM_DETECTION_SCRATCH_BYTES(N, D, C))

/* Returns 0, or -1 when a decoded box is inverted (LiteRT fails the invocation). Anchors are
 * float32 (dequantized at generation time when the model's are quantized). */
int32_t mtvm_detection_postprocess_f32(const mtvm_detection_params_t *p, const float *box_encodings,
                                       const float *class_predictions, const float *anchors, float *detection_boxes,
                                       float *detection_classes, float *detection_scores, float *num_detections,
                                       void *scratch);

/* Box encodings and/or class predictions quantized (types in the parameters; a float32 input is
 * read as float). Same result and return value as the float kernel on the dequantized inputs. */
int32_t mtvm_detection_postprocess_q(const mtvm_detection_q_params_t *p, const void *box_encodings,
                                     const void *class_predictions, const float *anchors, float *detection_boxes,
                                     float *detection_classes, float *detection_scores, float *num_detections,
                                     void *scratch);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_DETECTION_H_ */
