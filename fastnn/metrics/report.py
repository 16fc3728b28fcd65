"""Whole-dataset evaluation helpers: the confusion matrix and a per-class classification report."""
import numpy as np


def _to_labels(y, who, argname):
    """Integer labels (n,) from labels, one-hot rows or probabilities; plus the column count if 2-D."""
    array = np.asarray(y)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise ValueError(f"{who}: {argname} must be numeric, received dtype {array.dtype}")
    columns = None
    if array.ndim == 2 and array.shape[1] > 1:
        return np.argmax(array, axis=1).astype(np.int64), array.shape[1]
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{who}: {argname} must be labels of shape (n,) or (n, 1), or one-hot / "
                         f"probability rows of shape (n, num_classes); received shape {array.shape}")
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{who}: {argname} contains NaN or infinite values")
        if np.any(array != np.round(array)):
            if array.min() < 0 or array.max() > 1:
                raise ValueError(f"{who}: {argname} holds non-integer values outside [0, 1]: neither "
                                 "labels nor probabilities")
            # A column of binary probabilities: positive when p > 0.5, as BinaryAccuracy decides.
            return (array > 0.5).astype(np.int64), columns
    labels = array.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"{who}: {argname} contains negative labels (min {labels.min()})")
    return labels, columns


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Count (true class, predicted class) pairs: `m[i, j]` = samples of class i predicted as j.

    Args:
        y_true: labels (n,) or (n, 1), or one-hot rows (n, C).
        y_pred: labels, one-hot rows or probability rows (n, C) (argmax is taken), or a column of
            binary probabilities (thresholded at 0.5).
        num_classes: matrix size; inferred from the labels (and the width of one-hot inputs) when None.

    Returns:
        An int64 array of shape (num_classes, num_classes); rows are true classes.
    """
    true_labels, true_columns = _to_labels(y_true, "confusion_matrix", "y_true")
    pred_labels, pred_columns = _to_labels(y_pred, "confusion_matrix", "y_pred")
    if true_labels.shape != pred_labels.shape:
        raise ValueError(f"confusion_matrix: y_true and y_pred hold different numbers of samples: "
                         f"{true_labels.shape[0]} and {pred_labels.shape[0]}")
    largest = max([int(a.max()) for a in (true_labels, pred_labels) if a.size] + [-1])
    if num_classes is None:
        num_classes = max([largest + 1] + [c for c in (true_columns, pred_columns) if c])
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"confusion_matrix: num_classes must be a positive integer, received {num_classes!r}")
    elif largest >= num_classes:
        raise ValueError(f"confusion_matrix: label {largest} is out of range for num_classes={num_classes}")
    num_classes = int(num_classes)
    flat = np.bincount(true_labels * num_classes + pred_labels, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


_HEADERS = ("precision", "recall", "f1-score", "support")


def classification_report(y_true, y_pred, target_names=None, digits=2, output_dict=False):
    """Per-class precision, recall, F1 and support, with accuracy and macro/weighted averages.

    precision = tp / (tp + fp), recall = tp / (tp + fn), f1 = 2 p r / (p + r); an undefined ratio
    (zero denominator) is reported as 0. The macro average is the unweighted mean over the reported
    classes; the weighted average weights each class by its support. The text layout follows
    scikit-learn's `classification_report`.

    Args:
        y_true, y_pred: as for `confusion_matrix`.
        target_names: display names of classes 0..len-1 (all of them are reported); by default the
            classes present in y_true or y_pred are reported under their label numbers.
        digits: decimal places in the text table.
        output_dict: return a dict {name: {"precision", "recall", "f1-score", "support"}, "accuracy": float,
            "macro avg": {...}, "weighted avg": {...}} instead of text.

    Returns:
        The report as text, or as a dict with output_dict=True.
    """
    matrix = confusion_matrix(y_true, y_pred,
                              num_classes=len(target_names) if target_names is not None else None)
    if target_names is not None:
        labels = list(range(len(target_names)))
        names = [str(name) for name in target_names]
    else:
        labels = [c for c in range(matrix.shape[0]) if matrix[c, :].sum() or matrix[:, c].sum()]
        names = [str(c) for c in labels]
    true_positives = np.diag(matrix)[labels].astype(np.float64)
    predicted = matrix.sum(axis=0)[labels].astype(np.float64)
    support = matrix.sum(axis=1)[labels]
    ratio = lambda a, b: np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)  # noqa: E731
    precision = ratio(true_positives, predicted)
    recall = ratio(true_positives, support.astype(np.float64))
    f1 = ratio(2 * precision * recall, precision + recall)
    total = int(matrix.sum())
    accuracy = float(np.trace(matrix) / total) if total else 0.0
    weights = support / support.sum() if support.sum() else np.zeros(len(labels))
    averages = {
        "macro avg": [float(np.mean(v)) if len(labels) else 0.0 for v in (precision, recall, f1)],
        "weighted avg": [float(np.sum(v * weights)) for v in (precision, recall, f1)],
    }
    if output_dict:
        report = {name: {"precision": float(p), "recall": float(r), "f1-score": float(f), "support": int(s)}
                  for name, p, r, f, s in zip(names, precision, recall, f1, support)}
        report["accuracy"] = accuracy
        for key, (p, r, f) in averages.items():
            report[key] = {"precision": p, "recall": r, "f1-score": f, "support": int(support.sum())}
        return report
    width = max([len(name) for name in names] + [len("weighted avg"), digits])
    lines = [" " * width + " " + "".join(f" {header:>9}" for header in _HEADERS), ""]
    for name, p, r, f, s in zip(names, precision, recall, f1, support):
        lines.append(f"{name:>{width}} " + "".join(f" {v:>9.{digits}f}" for v in (p, r, f)) + f" {int(s):>9}")
    lines.append("")
    lines.append(f"{'accuracy':>{width}} " + " " * 20 + f" {accuracy:>9.{digits}f} {int(support.sum()):>9}")
    for key, values in averages.items():
        lines.append(f"{key:>{width}} " + "".join(f" {v:>9.{digits}f}" for v in values)
                     + f" {int(support.sum()):>9}")
    return "\n".join(lines) + "\n"
