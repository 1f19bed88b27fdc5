/*
 * TFLite_Detection_PostProcess with quantized box encodings and/or class predictions: dequantize
 * into the scratch as LiteRT does before its float code (real = (q - zero_point) * scale: the
 * difference is an exact small integer in float, the product rounds once, as in LiteRT's
 * Dequantizer and Dequantize), then run the float kernel on the dequantized copies.
 */
#include <stdint.h>
#include <string.h>

#include "mtvm/detection.h"

static float mtvm__det_dequantize(const void *data, mtvm_detection_type_t type, size_t i, int32_t zero_point,
                                  float scale) {
  switch (type) {
    case MTVM_DETECTION_U8:
      return ((float)((const uint8_t *)data)[i] - (float)zero_point) * scale;
    case MTVM_DETECTION_S8:
      return ((float)((const int8_t *)data)[i] - (float)zero_point) * scale;
    case MTVM_DETECTION_F32:
    default:
      return ((const float *)data)[i];
  }
}

int32_t mtvm_detection_postprocess_q(const mtvm_detection_q_params_t *p, const void *box_encodings,
                                     const void *class_predictions, const float *anchors, float *detection_boxes,
                                     float *detection_classes, float *detection_scores, float *num_detections,
                                     void *scratch) {
  const mtvm_detection_params_t *b = &p->base;
  const size_t n = (size_t)b->num_boxes;
  const size_t ncb = (size_t)(b->num_classes + b->label_offset);
  float *boxes = (float *)scratch; /* 4N: the first four values of each encoding */
  float *scores = boxes + 4 * n;   /* N * C */
  mtvm_detection_params_t base = *b;
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < 4; ++k) {
      boxes[4 * i + k] = mtvm__det_dequantize(box_encodings, p->box_type, i * (size_t)b->box_stride + k,
                                              p->box_zero_point, p->box_scale);
    }
  }
  for (size_t i = 0; i < n * ncb; ++i) {
    scores[i] = mtvm__det_dequantize(class_predictions, p->score_type, i, p->score_zero_point, p->score_scale);
  }
  base.box_stride = 4;
  return mtvm_detection_postprocess_f32(&base, boxes, scores, anchors, detection_boxes, detection_classes,
                                        detection_scores, num_detections, scores + n * ncb);
}
