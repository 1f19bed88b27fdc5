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
 * - fast NMS (max_classes_per_detection 1): each anchor's best class (the first of equal scores)
 *   competes in one class-agnostic NMS; regular NMS (use_regular_nms): NMS per class with
 *   detections_per_class, each class's survivors merged into a running top max_detections;
 * - NMS keeps scores >= nms_score_threshold, visits them by decreasing score (equal scores in
 *   index order, as TFLite's stable sorts do) and drops every later box whose IoU with a kept
 *   box exceeds nms_iou_threshold.
 * Outputs past num_detections: zeros (TFLite's regular NMS writes zeros; its fast NMS leaves them
 * untouched, i.e. undefined, in LiteRT and TFLite Micro).
 */
#ifndef MTVM_DETECTION_H_
#define MTVM_DETECTION_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t num_boxes;              /* anchors N */
  int32_t box_stride;             /* floats per box encoding (>= 4; the first 4 are y, x, h, w) */
  int32_t num_classes;            /* classes without background */
  int32_t label_offset;           /* 1 when the scores have a leading background class, else 0 */
  int32_t max_detections;
  int32_t detections_per_class;   /* regular NMS */
  int32_t use_regular_nms;
  float score_threshold;
  float iou_threshold;
  float y_scale;
  float x_scale;
  float h_scale;
  float w_scale;
} mtvm_detection_params_t;

/* Scratch bytes for N anchors and max_detections D (ops/detection.py computes the same). */
#define MTVM_DETECTION_SCRATCH_BYTES(N, D) ((size_t)4 * (9 * (size_t)(N) + 6 * ((size_t)(N) + (size_t)(D))) + (size_t)(N))

/* Returns 0, or -1 when a decoded box is inverted (LiteRT fails the invocation). */
int32_t mtvm_detection_postprocess_f32(const mtvm_detection_params_t* p, const float* box_encodings,
                                       const float* class_predictions, const float* anchors, float* detection_boxes,
                                       float* detection_classes, float* detection_scores, float* num_detections,
                                       void* scratch);

#ifdef __cplusplus
}
#endif

#endif /* MTVM_DETECTION_H_ */
