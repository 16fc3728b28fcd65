"""Metrics against hand computations, Keras's documented examples and numpy references."""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fastnn import metrics

# ---------------------------------------------------------------- Keras's documented examples


def test_mean_and_sum():
    m = metrics.Mean()
    assert m([1, 3, 5, 7]) == pytest.approx(4.0)
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert m.result() == pytest.approx(2.0)
    m.reset_state()
    assert m.result() == 0.0
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert s.result() == pytest.approx(4.0)


@pytest.mark.parametrize("metric, y_true, y_pred, weights, plain, weighted", [
    (metrics.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0], 0.75, 0.5),
    (metrics.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], [1, 0, 0, 1], 0.75, 0.5),
    (metrics.CategoricalAccuracy(), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3],
     0.5, 0.3),
    (metrics.SparseCategoricalAccuracy(), [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], [0.7, 0.3], 0.5, 0.3),
    (metrics.TopKCategoricalAccuracy(k=1), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.5, 0.3),
    (metrics.SparseTopKCategoricalAccuracy(k=1), [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3],
     0.5, 0.3),
    (metrics.MeanSquaredError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.25, 0.5),
    (metrics.MeanAbsoluteError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.25, 0.5),
    (metrics.RootMeanSquaredError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.5, np.sqrt(0.5)),
    (metrics.Precision(), [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 2 / 3, 1.0),
    (metrics.Recall(), [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 2 / 3, 1.0),
    (metrics.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 0.75, 1.0),
])
def test_keras_documented_values(metric, y_true, y_pred, weights, plain, weighted):
    metric.update_state(y_true, y_pred)
    assert metric.result() == pytest.approx(plain)
    metric.reset_state()
    metric.update_state(y_true, y_pred, sample_weight=weights)
    assert metric.result() == pytest.approx(weighted)


def test_precision_top_k_examples():
    m = metrics.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert m.result() == pytest.approx(0.0)
    m = metrics.Precision(top_k=4)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert m.result() == pytest.approx(0.5)


def test_state_accumulates_over_batches():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([0, 1], [[0.9, 0.1], [0.8, 0.2]])
    m.update_state([1, 1, 1], [[0.1, 0.9], [0.2, 0.8], [0.3, 0.7]])
    assert m.result() == pytest.approx(4 / 5)


def test_top_k_ties_count_as_hits_and_large_k():
    scores = [[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]
    # label 1 ties with label 0 for the top-1 score: counted as in the top 1 (in_top_k semantics)
    hits = metrics.sparse_top_k_categorical_accuracy([1, 0], scores, k=1)
    np.testing.assert_array_equal(hits, [1.0, 0.0])
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy([1, 0], scores, k=7), [1, 1])
    with pytest.raises(ValueError, match="labels must be integers"):
        metrics.sparse_top_k_categorical_accuracy([3, 0], scores, k=1)


# ---------------------------------------------------------------- property tests vs numpy


labels_and_scores = st.integers(1, 30).flatmap(lambda n: st.integers(2, 5).flatmap(lambda c: st.tuples(
    arrays(np.int64, n, elements=st.integers(0, c - 1)),
    arrays(np.float64, (n, c), elements=st.floats(0, 1, width=32)),
    arrays(np.float64, n, elements=st.floats(0, 3, width=32)))))


@given(labels_and_scores)
def test_accuracies_match_numpy(data):
    labels, scores, weights = data
    predicted = np.argmax(scores, axis=1)
    hits = (predicted == labels).astype(float)
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(labels, scores, sample_weight=weights)
    expected = np.sum(hits * weights) / np.sum(weights) if np.sum(weights) else 0.0
    assert m.result() == pytest.approx(expected, abs=1e-12)
    one_hot = np.eye(scores.shape[1])[labels]
    np.testing.assert_array_equal(metrics.categorical_accuracy(one_hot, scores), hits)
    np.testing.assert_array_equal(metrics.accuracy(labels, predicted), hits)
    kth = np.sort(scores, axis=1)[:, -2]
    in_top2 = (scores[np.arange(len(labels)), labels] >= kth).astype(float)
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy(labels, scores, k=2), in_top2)
    np.testing.assert_array_equal(metrics.top_k_categorical_accuracy(one_hot, scores, k=2), in_top2)


binary_data = st.integers(1, 40).flatmap(lambda n: st.tuples(
    arrays(np.int64, n, elements=st.integers(0, 1)),
    arrays(np.float64, n, elements=st.floats(0, 1, width=32)),
    arrays(np.float64, n, elements=st.floats(0, 2, width=32)),
    st.lists(st.floats(0, 1, width=32), min_size=1, max_size=4)))


@given(binary_data)
def test_precision_recall_match_loops(data):
    labels, scores, weights, thresholds = data
    precision = metrics.Precision(thresholds=thresholds)
    recall = metrics.Recall(thresholds=thresholds)
    half = len(labels) // 2
    for m in (precision, recall):  # two batches: state must accumulate
        m.update_state(labels[:half], scores[:half], sample_weight=weights[:half])
        m.update_state(labels[half:], scores[half:], sample_weight=weights[half:])
    for i, t in enumerate(thresholds):
        tp = sum(w for y, p, w in zip(labels, scores, weights) if y == 1 and p > t)
        fp = sum(w for y, p, w in zip(labels, scores, weights) if y == 0 and p > t)
        fn = sum(w for y, p, w in zip(labels, scores, weights) if y == 1 and not p > t)
        got_p = np.atleast_1d(precision.result())[i]
        got_r = np.atleast_1d(recall.result())[i]
        assert got_p == pytest.approx(tp / (tp + fp) if tp + fp else 0.0, abs=1e-9)
        assert got_r == pytest.approx(tp / (tp + fn) if tp + fn else 0.0, abs=1e-9)
    b = metrics.BinaryAccuracy()
    b.update_state(labels, scores)
    assert b.result() == pytest.approx(np.mean(labels == (scores > 0.5)))


def test_precision_class_id_and_multiple_thresholds():
    y_true = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1]])
    y_pred = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    m = metrics.Precision(class_id=0)
    m.update_state(y_true, y_pred)
    assert m.result() == pytest.approx(0.5)  # class 0 predicted (>0.5) for rows 0 and 1, right once
    r = metrics.Recall(class_id=1, thresholds=[0.25, 0.5])
    r.update_state(y_true, y_pred)
    np.testing.assert_allclose(r.result(), [1.0, 0.5])
    with pytest.raises(ValueError, match="class_id"):
        metrics.Precision(class_id=5).update_state(y_true, y_pred)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=1.5)


def _exact_roc_auc(labels, scores):
    pos = scores[labels == 1]
    neg = scores[labels == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_auc_roc_equals_trapezoid_and_rank_statistic():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 60)
    # Scores on a grid between the thresholds (all distinct buckets): the threshold curve is exact.
    scores = (rng.permutation(60) + 0.5) / 60
    m = metrics.AUC(num_thresholds=61)
    m.update_state(labels, scores)
    thresholds = np.array(m.thresholds)
    tpr = np.array([np.mean(scores[labels == 1] > t) for t in thresholds])
    fpr = np.array([np.mean(scores[labels == 0] > t) for t in thresholds])
    trapezoid = np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)
    assert m.result() == pytest.approx(trapezoid, abs=1e-12)
    assert m.result() == pytest.approx(_exact_roc_auc(labels, scores), abs=1e-12)


def test_auc_pr_and_summation_methods():
    labels = np.array([0, 0, 1, 1, 1, 0])
    scores = np.array([0.1, 0.3, 0.35, 0.8, 0.9, 0.7])
    perfect = metrics.AUC(curve="PR")
    perfect.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert perfect.result() == pytest.approx(1.0, abs=1e-6)
    minor, major = metrics.AUC(summation_method="minoring"), metrics.AUC(summation_method="majoring")
    interp = metrics.AUC()
    for m in (minor, major, interp):
        m.update_state(labels, scores)
    assert minor.result() <= interp.result() <= major.result()
    # Minoring PR area by hand: recall/precision at each threshold, lower Riemann sum.
    pr = metrics.AUC(curve="PR", summation_method="minoring", num_thresholds=11)
    pr.update_state(labels, scores)
    t = np.array(pr.thresholds)
    tp = np.array([np.sum((scores > x) & (labels == 1)) for x in t])
    fp = np.array([np.sum((scores > x) & (labels == 0)) for x in t])
    recall = tp / 3
    precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0)
    expected = np.sum((recall[:-1] - recall[1:]) * np.minimum(precision[:-1], precision[1:]))
    assert pr.result() == pytest.approx(expected)
    # Interpolated PR lies between the lower and the upper sums.
    pr_interp = metrics.AUC(curve="PR", num_thresholds=11)
    pr_major = metrics.AUC(curve="PR", num_thresholds=11, summation_method="majoring")
    pr_interp.update_state(labels, scores)
    pr_major.update_state(labels, scores)
    assert pr.result() - 1e-9 <= pr_interp.result() <= pr_major.result() + 1e-9


def test_auc_multi_label_and_logits():
    y = np.array([[0, 1], [1, 0], [1, 1], [0, 0]])
    p = np.array([[0.2, 0.9], [0.7, 0.3], [0.8, 0.6], [0.1, 0.4]])
    multi = metrics.AUC(multi_label=True)
    multi.update_state(y, p)
    per_label = [_exact_roc_auc(y[:, j], p[:, j]) for j in range(2)]
    assert multi.result() == pytest.approx(np.mean(per_label))
    logits = metrics.AUC(from_logits=True)
    logits.update_state(y[:, 0], np.log(p[:, 0] / (1 - p[:, 0])))
    assert logits.result() == pytest.approx(per_label[0])
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="XYZ")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match="same number of samples"):
        metrics.SparseCategoricalAccuracy().update_state([0, 1, 1], [[0.1, 0.9], [0.3, 0.7]])
    with pytest.raises(ValueError, match="sparse_categorical_accuracy"):
        metrics.CategoricalAccuracy().update_state([0, 1], [[0.1, 0.9], [0.3, 0.7]])
    with pytest.raises(ValueError, match="numeric"):
        metrics.Accuracy().update_state(["a", "b"], [1, 2])


# ---------------------------------------------------------------- confusion matrix and report


@given(st.integers(1, 40).flatmap(lambda n: st.integers(1, 6).flatmap(lambda c: st.tuples(
    arrays(np.int64, n, elements=st.integers(0, c - 1)), arrays(np.int64, n, elements=st.integers(0, c - 1)),
    st.just(c)))))
def test_confusion_matrix_matches_loop(data):
    y_true, y_pred, num_classes = data
    expected = np.zeros((num_classes, num_classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        expected[t, p] += 1
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, num_classes=num_classes), expected)
    # one-hot labels and probability rows give the same matrix, with the width as num_classes
    # (a single column is read as labels or binary probabilities, so one-hot needs >= 2 classes)
    if num_classes < 2:
        return
    eye = np.eye(num_classes)
    probs = eye[y_pred] * 0.6 + 0.4 / num_classes
    np.testing.assert_array_equal(metrics.confusion_matrix(eye[y_true], probs), expected)
    assert metrics.confusion_matrix(y_true, y_pred).shape[0] == max(y_true.max(), y_pred.max()) + 1


def test_confusion_matrix_binary_probabilities_and_errors():
    cm = metrics.confusion_matrix([0, 1, 1, 0], np.array([[0.2], [0.7], [0.4], [0.9]]))
    np.testing.assert_array_equal(cm, [[1, 1], [1, 1]])
    with pytest.raises(ValueError, match="out of range"):
        metrics.confusion_matrix([0, 3], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="negative"):
        metrics.confusion_matrix([0, -1], [0, 1])
    with pytest.raises(ValueError, match="different numbers"):
        metrics.confusion_matrix([0, 1, 1], [0, 1])


def test_classification_report_text_and_dict():
    y_true = [0, 1, 2, 2, 2]
    y_pred = [0, 0, 2, 2, 1]
    text = metrics.classification_report(y_true, y_pred, target_names=["class 0", "class 1", "class 2"])
    expected = (
        "              precision    recall  f1-score   support\n"
        "\n"
        "     class 0       0.50      1.00      0.67         1\n"
        "     class 1       0.00      0.00      0.00         1\n"
        "     class 2       1.00      0.67      0.80         3\n"
        "\n"
        "    accuracy                           0.60         5\n"
        "   macro avg       0.50      0.56      0.49         5\n"
        "weighted avg       0.70      0.60      0.61         5\n")
    assert text == expected
    report = metrics.classification_report(y_true, y_pred, output_dict=True)
    assert report["2"] == pytest.approx({"precision": 1.0, "recall": 2 / 3, "f1-score": 0.8, "support": 3})
    assert report["accuracy"] == pytest.approx(0.6)
    assert report["weighted avg"]["f1-score"] == pytest.approx((2 / 3 + 0 + 3 * 0.8) / 5)
    json.dumps(report)
    assert "0.6667" in metrics.classification_report(y_true, y_pred, digits=4)


# ---------------------------------------------------------------- get() and serialization


class SparseCategoricalCrossentropy:  # a stand-in loss object: get() looks at class name and .name
    name = "sparse_categorical_crossentropy"


class BinaryCrossentropy:
    pass


def categorical_crossentropy(y_true, y_pred):  # a loss function
    return 0.0


@pytest.mark.parametrize("loss, expected", [
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", metrics.CategoricalAccuracy),
    ("binary_crossentropy", metrics.BinaryAccuracy),
    (SparseCategoricalCrossentropy(), metrics.SparseCategoricalAccuracy),
    (BinaryCrossentropy(), metrics.BinaryAccuracy),
    (categorical_crossentropy, metrics.CategoricalAccuracy),
])
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_accuracy_resolved_from_loss(loss, expected, name):
    metric = metrics.get(name, loss=loss)
    assert type(metric) is expected
    assert metric.name == name


@pytest.mark.parametrize("y_true, y_pred, value", [
    ([1, 0], [[0.9], [0.2]], 1.0),                              # one column: binary
    ([1, 0], [[0.1, 0.9], [0.2, 0.8]], 0.5),                    # labels: sparse
    ([[0, 1], [1, 0]], [[0.1, 0.9], [0.2, 0.8]], 0.5),          # one-hot: categorical
])
def test_accuracy_resolved_from_shapes_without_loss(y_true, y_pred, value):
    metric = metrics.get("accuracy")
    assert metric.name == "accuracy"
    assert metric(y_true, y_pred) == pytest.approx(value)


def test_get_names_classes_instances_and_callables():
    assert isinstance(metrics.get("mse"), metrics.MeanSquaredError) and metrics.get("mse").name == "mse"
    assert isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)
    assert isinstance(metrics.get("precision"), metrics.Precision)
    assert isinstance(metrics.get("Recall"), metrics.Recall)
    assert isinstance(metrics.get("auc"), metrics.AUC)
    assert isinstance(metrics.get("top_k_categorical_accuracy"), metrics.TopKCategoricalAccuracy)
    instance = metrics.AUC(curve="PR")
    assert metrics.get(instance) is instance
    assert isinstance(metrics.get(metrics.RootMeanSquaredError), metrics.RootMeanSquaredError)
    assert metrics.get(None) is None

    def max_error(y_true, y_pred):
        return np.max(np.abs(np.asarray(y_true) - np.asarray(y_pred)), axis=-1)

    custom = metrics.get(max_error)
    assert custom.name == "max_error"
    assert custom([[0, 1], [1, 1]], [[0, 3], [1, 1]]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="Valid names:.*'mse'"):
        metrics.get("accuracyy")
    with pytest.raises(ValueError, match="Could not interpret"):
        metrics.get(42)


@pytest.mark.parametrize("metric", [
    metrics.Accuracy(), metrics.BinaryAccuracy(threshold=0.3), metrics.CategoricalAccuracy(name="ca"),
    metrics.SparseCategoricalAccuracy(), metrics.TopKCategoricalAccuracy(k=3),
    metrics.SparseTopKCategoricalAccuracy(k=2), metrics.Precision(thresholds=[0.2, 0.7], class_id=1),
    metrics.Recall(top_k=2), metrics.AUC(num_thresholds=50, curve="PR"), metrics.AUC(thresholds=[0.3, 0.6]),
    metrics.MeanSquaredError(), metrics.MeanAbsoluteError(), metrics.RootMeanSquaredError(), metrics.Mean(),
    metrics.MeanMetricWrapper(metrics.mean_absolute_error, name="m"),
])
def test_config_round_trip(metric):
    config = json.loads(json.dumps(metrics.serialize(metric)))
    rebuilt = metrics.deserialize(config)
    assert type(rebuilt) is type(metric)
    assert rebuilt.get_config() == metric.get_config()
