"""Fisher's Iris data (bundled): 150 flowers, 4 measurements in cm, 3 species.

Attribution: UCI Machine Learning Repository, CC BY 4.0 (see fastnn/datasets/data/README.md).
"""
from fastnn.datasets._bundled import read_csv_gz
from fastnn.datasets._split import stratified_split

CLASS_NAMES = ("setosa", "versicolor", "virginica")
FEATURE_NAMES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)")


def load_data(test_split=0.2, seed=113):
    """Load the Iris data set, split into train and test sets.

    The split is stratified and fixed by `seed`: each species keeps its proportion (with the default
    test_split=0.2: 40 train + 10 test flowers per species), and the same seed gives the same split.

    Args:
        test_split: fraction of each class in the test set, in [0, 1).
        seed: seed of the shuffle.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x float32 of shape (n, 4) (cm), y uint8 labels 0..2
        (see CLASS_NAMES).
    """
    x, y = read_csv_gz("iris.csv.gz", "float32", 150, 5)
    train, test = stratified_split(y, test_split, seed, "iris.load_data")
    return (x[train], y[train]), (x[test], y[test])
