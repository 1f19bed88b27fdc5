/*
 * TFLite_Detection_PostProcess, float32: see mtvm/detection.h for the arithmetic and the orders.
 * Two sorts, as LiteRT's (the tests check both on inputs full of equal scores):
 * - NMS and regular NMS's running top list: a stable sort by decreasing score (a bottom-up merge
 *   sort over an index list that starts increasing: equal scores stay in index order);
 * - fast NMS's best classes of an anchor: std::partial_sort, i.e. for k > 1 the heap select and
 *   heap sort of GNU libstdc++ (which LiteRT's Linux builds use), step for step.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "mtvm/detection.h"

typedef struct {
  float *decoded;       /* 4N: ymin, xmin, ymax, xmax per anchor */
  float *row_scores;    /* N: one class's scores, or each anchor's best score */
  float *keep_scores;   /* N */
  float *merged_scores; /* N + D: regular NMS's running top list */
  float *tmp_scores;    /* N + D */
  int32_t *keep;        /* N: anchors above the threshold */
  int32_t *order;       /* N + D: sort permutation */
  int32_t *sort_tmp;    /* N + D: merge scratch */
  int32_t *selected;    /* N */
  int32_t *merged;      /* N + D: regular NMS's running top list (anchor * classes + class) */
  int32_t *tmp_index;   /* N + D */
  int32_t *best_class;  /* N: fast NMS */
  int32_t *classes;     /* C: one anchor's classes by decreasing score (fast NMS) */
  uint8_t *active;      /* N */
} mtvm__det_scratch_t;

/* Sorts order[0..n) (initially increasing) by decreasing values[order[i]]; stable. */
static void mtvm__sort_desc(const float *values, int32_t *order, int32_t *tmp, int32_t n) {
  for (int32_t width = 1; width < n; width *= 2) {
    for (int32_t lo = 0; lo < n; lo += 2 * width) {
      const int32_t mid = lo + width < n ? lo + width : n;
      const int32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      int32_t a = lo, b = mid, k = lo;
      while (k < hi) {
        /* take from the right run only when strictly greater: equal keys keep their order */
        if (a >= mid || (b < hi && values[order[b]] > values[order[a]])) {
          tmp[k++] = order[b++];
        } else {
          tmp[k++] = order[a++];
        }
      }
    }
    memcpy(order, tmp, sizeof(int32_t) * (size_t)n);
  }
}

/* The heap operations of GNU libstdc++'s std::partial_sort on an index array with TFLite's
 * comparison "values[a] > values[b]": the heap's top is the smallest score kept. */
static int mtvm__greater(const float *values, int32_t a, int32_t b) { return values[a] > values[b]; }

static void mtvm__heap_sift_up(const float *values, int32_t *heap, int32_t hole, int32_t top, int32_t value) {
  int32_t parent = (hole - 1) / 2;
  while (hole > top && mtvm__greater(values, heap[parent], value)) {
    heap[hole] = heap[parent];
    hole = parent;
    parent = (hole - 1) / 2;
  }
  heap[hole] = value;
}

/* Moves the hole at `hole` down to a leaf (through the child that does not compare before its
 * sibling, the right one on equality), then sifts `value` up from there. */
static void mtvm__heap_adjust(const float *values, int32_t *heap, int32_t hole, int32_t len, int32_t value) {
  const int32_t top = hole;
  int32_t child = hole;
  while (child < (len - 1) / 2) {
    child = 2 * (child + 1);
    if (mtvm__greater(values, heap[child], heap[child - 1])) --child;
    heap[hole] = heap[child];
    hole = child;
  }
  if ((len & 1) == 0 && child == (len - 2) / 2) {
    child = 2 * (child + 1);
    heap[hole] = heap[child - 1];
    hole = child - 1;
  }
  mtvm__heap_sift_up(values, heap, hole, top, value);
}

/* TFLite's DecreasingPartialArgSort (fast NMS's best classes of an anchor): indices[0..k) = the k
 * best of values[0..n), best first: the first maximum for k = 1, otherwise std::partial_sort's
 * heap select of the first k then heap sort of them, so equal scores end as in LiteRT. */
static void mtvm__partial_argsort(const float *values, int32_t n, int32_t k, int32_t *indices) {
  if (k == 1) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i) {
      if (values[i] > values[best]) best = i;
    }
    indices[0] = best;
    return;
  }
  for (int32_t i = 0; i < n; ++i) indices[i] = i;
  if (k < 2) return;
  for (int32_t parent = (k - 2) / 2;; --parent) { /* make_heap over [0, k) */
    mtvm__heap_adjust(values, indices, parent, k, indices[parent]);
    if (parent == 0) break;
  }
  for (int32_t i = k; i < n; ++i) { /* heap select: a later index better than the top replaces it */
    if (mtvm__greater(values, indices[i], indices[0])) {
      const int32_t value = indices[i];
      indices[i] = indices[0];
      mtvm__heap_adjust(values, indices, 0, k, value);
    }
  }
  for (int32_t len = k; len > 1;) { /* heap sort of [0, k) */
    --len;
    const int32_t value = indices[len];
    indices[len] = indices[0];
    mtvm__heap_adjust(values, indices, 0, len, value);
  }
}

static float mtvm__iou(const float *boxes, int32_t i, int32_t j) {
  const float *a = boxes + 4 * i;
  const float *b = boxes + 4 * j;
  const float area_a = (a[2] - a[0]) * (a[3] - a[1]);
  const float area_b = (b[2] - b[0]) * (b[3] - b[1]);
  float ymin, xmin, ymax, xmax, h, w, inter;
  if (area_a <= 0 || area_b <= 0) return 0.0f;
  ymin = a[0] > b[0] ? a[0] : b[0];
  xmin = a[1] > b[1] ? a[1] : b[1];
  ymax = a[2] < b[2] ? a[2] : b[2];
  xmax = a[3] < b[3] ? a[3] : b[3];
  h = ymax - ymin;
  w = xmax - xmin;
  inter = (h > 0.0f ? h : 0.0f) * (w > 0.0f ? w : 0.0f);
  return inter / (area_a + area_b - inter);
}

/* TFLite's NonMaxSuppressionSingleClassHelper: anchors selected from `scores`, best first. */
static int32_t mtvm__nms(const mtvm_detection_params_t *p, mtvm__det_scratch_t *s, const float *scores,
                         int32_t max_detections) {
  int32_t kept = 0, count = 0, active_count, limit;
  for (int32_t i = 0; i < p->num_boxes; ++i) {
    if (scores[i] >= p->score_threshold) {
      s->keep_scores[kept] = scores[i];
      s->keep[kept] = i;
      ++kept;
    }
  }
  for (int32_t i = 0; i < kept; ++i) s->order[i] = i;
  mtvm__sort_desc(s->keep_scores, s->order, s->sort_tmp, kept);
  limit = kept < max_detections ? kept : max_detections;
  active_count = kept;
  memset(s->active, 1, (size_t)kept);
  for (int32_t i = 0; i < kept; ++i) {
    int32_t box;
    if (active_count == 0 || count >= limit) break;
    if (!s->active[i]) continue;
    box = s->keep[s->order[i]];
    s->selected[count++] = box;
    s->active[i] = 0;
    --active_count;
    for (int32_t j = i + 1; j < kept; ++j) {
      if (s->active[j] && mtvm__iou(s->decoded, box, s->keep[s->order[j]]) > p->iou_threshold) {
        s->active[j] = 0;
        --active_count;
      }
    }
  }
  return count;
}

static void mtvm__write(const mtvm__det_scratch_t *s, int32_t slot, int32_t anchor, float cls, float score,
                        float *boxes, float *classes, float *out_scores) {
  memcpy(boxes + 4 * slot, s->decoded + 4 * anchor, 4 * sizeof(float));
  classes[slot] = cls;
  out_scores[slot] = score;
}

int32_t mtvm_detection_postprocess_f32(const mtvm_detection_params_t *p, const float *box_encodings,
                                       const float *class_predictions, const float *anchors, float *detection_boxes,
                                       float *detection_classes, float *detection_scores, float *num_detections,
                                       void *scratch) {
  const int32_t n = p->num_boxes, d = p->max_detections, m = p->num_boxes + p->max_detections;
  const int32_t ncb = p->num_classes + p->label_offset;
  const int32_t slots = p->max_detections * p->max_classes_per_detection;
  mtvm__det_scratch_t s;
  float *f = (float *)scratch;
  int32_t *q;
  int32_t found = 0;
  s.decoded = f;
  s.row_scores = f + 4 * n;
  s.keep_scores = s.row_scores + n;
  s.merged_scores = s.keep_scores + n;
  s.tmp_scores = s.merged_scores + m;
  q = (int32_t *)(s.tmp_scores + m);
  s.keep = q;
  s.order = q + n;
  s.sort_tmp = s.order + m;
  s.selected = s.sort_tmp + m;
  s.merged = s.selected + n;
  s.tmp_index = s.merged + m;
  s.best_class = s.tmp_index + m;
  s.classes = s.best_class + n;
  s.active = (uint8_t *)(s.classes + ncb);

  /* Decode (TFLite's DecodeCenterSizeBoxes, in double). */
  for (int32_t i = 0; i < n; ++i) {
    const float *e = box_encodings + (size_t)i * (size_t)p->box_stride;
    const float *a = anchors + 4 * i;
    const float yc = (float)((double)e[0] / (double)p->y_scale * (double)a[2] + (double)a[0]);
    const float xc = (float)((double)e[1] / (double)p->x_scale * (double)a[3] + (double)a[1]);
    const float hh = (float)(0.5 * exp((double)e[2] / (double)p->h_scale) * (double)a[2]);
    const float hw = (float)(0.5 * exp((double)e[3] / (double)p->w_scale) * (double)a[3]);
    float *b = s.decoded + 4 * i;
    b[0] = yc - hh;
    b[1] = xc - hw;
    b[2] = yc + hh;
    b[3] = xc + hw;
  }
  for (int32_t i = 0; i < n; ++i) { /* LiteRT's ValidateBoxes: inverted boxes only */
    const float *b = s.decoded + 4 * i;
    if (b[0] > b[2] || b[1] > b[3]) return -1;
  }
  memset(detection_boxes, 0, sizeof(float) * 4 * (size_t)slots);
  memset(detection_classes, 0, sizeof(float) * (size_t)slots);
  memset(detection_scores, 0, sizeof(float) * (size_t)slots);

  if (!p->use_regular_nms) {
    const int32_t per_anchor =
        p->max_classes_per_detection < p->num_classes ? p->max_classes_per_detection : p->num_classes;
    int32_t selected;
    for (int32_t row = 0; row < n; ++row) { /* each anchor's best score */
      const float *sc = class_predictions + (size_t)row * (size_t)ncb + p->label_offset;
      mtvm__partial_argsort(sc, p->num_classes, per_anchor, s.classes);
      s.row_scores[row] = sc[s.classes[0]];
    }
    selected = mtvm__nms(p, &s, s.row_scores, d);
    for (int32_t k = 0; k < selected; ++k) {
      const int32_t anchor = s.selected[k];
      const float *sc = class_predictions + (size_t)anchor * (size_t)ncb + p->label_offset;
      mtvm__partial_argsort(sc, p->num_classes, per_anchor, s.classes); /* the same order again */
      for (int32_t col = 0; col < per_anchor; ++col) {
        mtvm__write(&s, p->max_classes_per_detection * k + col, anchor, (float)s.classes[col], sc[s.classes[col]],
                    detection_boxes, detection_classes, detection_scores);
      }
    }
    found = selected;
  } else {
    for (int32_t c = 0; c < p->num_classes; ++c) {
      int32_t selected, total, top;
      for (int32_t row = 0; row < n; ++row) {
        s.row_scores[row] = class_predictions[(size_t)row * (size_t)ncb + (size_t)(c + p->label_offset)];
      }
      selected = mtvm__nms(p, &s, s.row_scores, p->detections_per_class);
      total = found;
      for (int32_t k = 0; k < selected; ++k) {
        s.merged[total] = s.selected[k] * ncb + c + p->label_offset;
        s.merged_scores[total] = s.row_scores[s.selected[k]];
        ++total;
      }
      top = total < d ? total : d;
      for (int32_t k = 0; k < total; ++k) s.order[k] = k;
      mtvm__sort_desc(s.merged_scores, s.order, s.sort_tmp, total);
      for (int32_t k = 0; k < top; ++k) {
        s.tmp_index[k] = s.merged[s.order[k]];
        s.tmp_scores[k] = s.merged_scores[s.order[k]];
      }
      memcpy(s.merged, s.tmp_index, sizeof(int32_t) * (size_t)top);
      memcpy(s.merged_scores, s.tmp_scores, sizeof(float) * (size_t)top);
      found = top;
    }
    for (int32_t k = 0; k < found; ++k) {
      const int32_t anchor = s.merged[k] / ncb;
      const int32_t cls = s.merged[k] - anchor * ncb - p->label_offset;
      mtvm__write(&s, k, anchor, (float)cls, s.merged_scores[k], detection_boxes, detection_classes, detection_scores);
    }
  }
  num_detections[0] = (float)found;
  return 0;
}
