"""Threshold metrics built on confusion counts: Precision, Recall and AUC (Keras 3 semantics).

Each keeps weighted true/false positive/negative counts per decision threshold. A prediction p is
positive at threshold t when p > t (strictly); a label is positive when it is non-zero.
"""
import numpy as np

from fastnn.metrics.base import (Metric, as_float_array, check_same_samples,
                                 squeeze_or_expand_to_same_rank)

NEG_INF = -1e10
EPSILON = 1e-7


def _filter_top_k(scores, k):
    """Keep the k largest scores of each row (first index wins ties); set the others to NEG_INF."""
    order = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, scores, NEG_INF)


def _per_element_weights(sample_weight, shape, who):
    """Broadcast per-sample (or per-element) weights to `shape`, aligning on the leading axes."""
    if sample_weight is None:
        return np.ones(shape, dtype=np.float64)
    weights = as_float_array(sample_weight, who, "sample_weight")
    while weights.ndim > len(shape) and weights.shape[-1] == 1:
        weights = weights[..., 0]
    if weights.ndim > len(shape):
        raise ValueError(f"{who}: sample_weight of shape {weights.shape} has more dimensions than the "
                         f"predictions of shape {shape}")
    weights = weights.reshape(weights.shape + (1,) * (len(shape) - weights.ndim))
    try:
        return np.broadcast_to(weights, shape)
    except ValueError:
        raise ValueError(f"{who}: sample_weight of shape {np.shape(sample_weight)} does not match "
                         f"predictions of shape {shape}") from None


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None, class_id=None,
                     multi_label=False, label_weights=None, who="metric"):
    """Weighted (tp, fp, tn, fn) per threshold.

    Args:
        y_true, y_pred: labels (non-zero = positive) and scores of one shape (a trailing 1 may differ).
        thresholds: 1-D sequence of thresholds, any order.
        sample_weight: per-sample or per-element weights.
        top_k: keep only the k largest scores of each row (others become negative).
        class_id: evaluate only this column of the last axis.
        multi_label: count each column of the last axis separately (counts get shape (T, L)).
        label_weights: per-column weights applied to the counts (single-label mode).

    Returns:
        Four float64 arrays of shape (T,), or (T, L) with multi_label.
    """
    y_true = as_float_array(y_true, who, "y_true")
    y_pred = as_float_array(y_pred, who, "y_pred")
    check_same_samples(y_true, y_pred, who)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{who}: y_true and y_pred must have the same shape, received {y_true.shape} "
                         f"and {y_pred.shape}")
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 0 or not 0 <= class_id < y_pred.shape[-1]:
            raise ValueError(f"{who}: class_id={class_id} is out of range for predictions of shape "
                             f"{y_pred.shape}")
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
    weights = _per_element_weights(sample_weight, y_pred.shape, who)
    if label_weights is not None and not multi_label:
        weights = weights * label_weights
    if multi_label:
        num_labels = y_pred.shape[-1] if y_pred.ndim else 1
        y_true, y_pred, weights = (a.reshape(-1, num_labels) for a in (y_true, y_pred, weights))
    else:
        num_labels = 1
        y_true, y_pred, weights = (a.reshape(-1, 1) for a in (y_true, y_pred, weights))
    thresholds = np.asarray(thresholds, dtype=np.float64)
    order = np.argsort(thresholds, kind="stable")
    n_thr = thresholds.size
    # above[i, l] = how many (sorted) thresholds lie strictly below the prediction: the prediction is
    # positive for exactly thresholds order[0 .. above-1]. NaN predictions are never positive.
    above = np.searchsorted(thresholds[order], y_pred, side="left")
    above[np.isnan(y_pred)] = 0
    bins = above + np.arange(num_labels) * (n_thr + 1)
    positive = y_true != 0

    def counts_above(mask):
        hist = np.bincount(bins[mask], weights=weights[mask], minlength=num_labels * (n_thr + 1))
        hist = hist.reshape(num_labels, n_thr + 1)
        # tail[l, j] = weight of elements with above > j, i.e. predicted positive at sorted threshold j.
        tail = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]
        return tail, hist.sum(axis=1)

    tp_sorted, pos_total = counts_above(positive)
    fp_sorted, neg_total = counts_above(~positive)
    result = []
    for sorted_counts, totals, complement in ((tp_sorted, pos_total, False), (fp_sorted, neg_total, False),
                                              (fp_sorted, neg_total, True), (tp_sorted, pos_total, True)):
        counts = totals[:, None] - sorted_counts if complement else sorted_counts
        unsorted = np.empty_like(counts)
        unsorted[:, order] = counts
        result.append(unsorted.T if multi_label else unsorted[0])
    tp, fp, tn, fn = result
    return tp, fp, tn, fn


def _divide_no_nan(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.where(b != 0, a / np.where(b != 0, b, 1.0), 0.0)


def _parse_thresholds(thresholds, default, who):
    if thresholds is None:
        return [default]
    values = [float(t) for t in np.atleast_1d(np.asarray(thresholds, dtype=np.float64))]
    invalid = [t for t in values if not 0.0 <= t <= 1.0]
    if invalid or not values:
        raise ValueError(f"{who}: threshold values must be in [0, 1], received {thresholds!r}")
    return values


class _ThresholdRatio(Metric):
    """Shared state of Precision and Recall: tp, fp, fn per threshold."""

    _direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        for arg, value in (("top_k", top_k), ("class_id", class_id)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                                      or value < (1 if arg == "top_k" else 0)):
                raise ValueError(f"{type(self).__name__}: {arg} must be None or a "
                                 f"{'positive' if arg == 'top_k' else 'non-negative'} integer, received {value!r}")
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF, type(self).__name__)
        self.reset_state()

    def reset_state(self):
        size = len(self.thresholds)
        self.true_positives = np.zeros(size)
        self.false_positives = np.zeros(size)
        self.false_negatives = np.zeros(size)

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, _, fn = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, top_k=self.top_k,
                                         class_id=self.class_id, who=self.name)
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn

    def _finish(self, values):
        return float(values[0]) if len(self.thresholds) == 1 else values

    def get_config(self):
        config = super().get_config()
        thresholds = self.init_thresholds
        if isinstance(thresholds, np.ndarray):
            thresholds = thresholds.tolist()
        config.update(thresholds=thresholds, top_k=self.top_k, class_id=self.class_id)
        return config


class Precision(_ThresholdRatio):
    """Precision `tp / (tp + fp)` of predictions thresholded at `thresholds` (0 when undefined).

    Args:
        thresholds: a float or list of floats in [0, 1]; a prediction p counts as positive when
            p > threshold. Default 0.5 (or "any of the top_k" when top_k is set). With a list, `result`
            returns an array with one precision per threshold.
        top_k: consider only the k highest-scoring classes of each sample as predicted.
        class_id: compute the metric for this class (column of the last axis) only.
        name, dtype: see Metric.
    """

    def result(self):
        return self._finish(_divide_no_nan(self.true_positives, self.true_positives + self.false_positives))


class Recall(_ThresholdRatio):
    """Recall `tp / (tp + fn)` of predictions thresholded at `thresholds` (0 when undefined).

    Args: as for Precision.
    """

    def result(self):
        return self._finish(_divide_no_nan(self.true_positives, self.true_positives + self.false_negatives))


_CURVES = ("ROC", "PR")
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from confusion counts at fixed thresholds.

    Counts are kept at `num_thresholds` thresholds: `-1e-7`, `i / (num_thresholds - 1)` for
    i = 1..num_thresholds-2, and `1 + 1e-7`. With summation_method='interpolation' the ROC area is the
    trapezoid rule over (false positive rate, recall) points, and the PR area uses the
    Davis & Goadrich interpolation of precision between thresholds; 'minoring'/'majoring' take the
    lower/upper Riemann sum.

    Args:
        num_thresholds: number of thresholds (> 1), default 200.
        curve: 'ROC' or 'PR'.
        summation_method: 'interpolation', 'minoring' or 'majoring'.
        name, dtype: see Metric.
        thresholds: explicit thresholds in [0, 1] (overrides num_thresholds; the end points are added).
        multi_label: treat each column as a separate label and average the per-label AUCs; otherwise
            all elements are pooled.
        num_labels: number of labels with multi_label (inferred from the first batch when None).
        label_weights: per-label weights: pooled-count weights, or the weights of the per-label
            average with multi_label.
        from_logits: apply a sigmoid to predictions first.
    """

    _direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
                 from_logits=False):
        super().__init__(name=name, dtype=dtype)
        curve_upper = str(curve).upper()
        if curve_upper not in _CURVES:
            raise ValueError(f"AUC: curve must be one of {list(_CURVES)}, received {curve!r}")
        method = str(summation_method).lower()
        if method not in _SUMMATIONS:
            raise ValueError(f"AUC: summation_method must be one of {list(_SUMMATIONS)}, "
                             f"received {summation_method!r}")
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, None, "AUC"))
            num_thresholds = len(inner) + 2
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) \
                    or num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be an integer > 1, received {num_thresholds!r}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = int(num_thresholds)
        self.thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
        self._explicit_thresholds = thresholds is not None
        self.curve = curve_upper
        self.summation_method = method
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, dtype=np.float64)
        if self.label_weights is not None and np.any(self.label_weights < 0):
            raise ValueError("AUC: label_weights must be non-negative")
        self.from_logits = bool(from_logits)
        self.reset_state()

    def reset_state(self):
        shape = (self.num_thresholds, self.num_labels) if self.multi_label and self.num_labels else \
            (self.num_thresholds,)
        self.true_positives = np.zeros(shape)
        self.false_positives = np.zeros(shape)
        self.true_negatives = np.zeros(shape)
        self.false_negatives = np.zeros(shape)
        self._fresh = self.multi_label and not self.num_labels

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_float_array(y_pred, self.name, "y_pred")
        if self.from_logits:
            y_pred = 1.0 / (1.0 + np.exp(-y_pred))
        if self.multi_label:
            if y_pred.ndim != 2:
                raise ValueError(f"{self.name}: multi_label AUC expects predictions of shape "
                                 f"(n, num_labels), received {y_pred.shape}")
            if self.num_labels is None:
                self.num_labels = y_pred.shape[-1]
            if y_pred.shape[-1] != self.num_labels:
                raise ValueError(f"{self.name}: expected {self.num_labels} labels, received predictions "
                                 f"of shape {y_pred.shape}")
            if self._fresh:
                self.reset_state()
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight,
                                  multi_label=self.multi_label,
                                  label_weights=None if self.multi_label else self.label_weights, who=self.name)
        for state, delta in zip((self.true_positives, self.false_positives, self.true_negatives,
                                 self.false_negatives), counts):
            state += delta

    def _average_labels(self, per_label):
        if not self.multi_label:
            return float(per_label)
        if self.label_weights is None:
            return float(np.mean(per_label))
        return float(_divide_no_nan(np.sum(per_label * self.label_weights), np.sum(self.label_weights)))

    def _interpolated_pr_auc(self):
        # Precision is interpolated between thresholds as tp / p with tp linear in p = tp + fp
        # (Davis & Goadrich 2006), which integrates in closed form over each recall interval.
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        predicted = tp + fp
        dp = predicted[:-1] - predicted[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * predicted[1:]
        both_positive = (predicted[:-1] > 0) & (predicted[1:] > 0)
        ratio = np.where(both_positive, _divide_no_nan(predicted[:-1], np.maximum(predicted[1:], 0)), 1.0)
        increments = _divide_no_nan(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        return self._average_labels(np.sum(increments, axis=0))

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc()
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average_labels(np.sum((x[:-1] - x[1:]) * heights, axis=0))

    def get_config(self):
        config = super().get_config()
        config.update(num_thresholds=self.num_thresholds, curve=self.curve,
                      summation_method=self.summation_method,
                      thresholds=self.thresholds[1:-1] if self._explicit_thresholds else None,
                      multi_label=self.multi_label, num_labels=self.num_labels,
                      label_weights=None if self.label_weights is None else self.label_weights.tolist(),
                      from_logits=self.from_logits)
        return config
