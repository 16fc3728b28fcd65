"""A lecture-style Keras script runs after changing only its imports."""
import numpy as np

import fastnn as keras
from fastnn import layers

SCRIPT_BODY = '''
(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16.0
x_test = x_test.reshape(-1, 64).astype("float32") / 16.0
y_train_1h = keras.utils.to_categorical(y_train, 10)
y_test_1h = keras.utils.to_categorical(y_test, 10)

keras.utils.set_random_seed(42)
model = keras.Sequential([
    layers.Dense(64, activation="relu", input_shape=(64,)),
    layers.BatchNormalization(),
    layers.Dropout(0.2),
    layers.Dense(32, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-4)),
    layers.Dense(10, activation="softmax"),
])
model.summary()
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="categorical_crossentropy",
              metrics=["accuracy"])
callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
    keras.callbacks.ModelCheckpoint(checkpoint_path, monitor="val_accuracy", save_best_only=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3),
]
history = model.fit(x_train, y_train_1h, epochs=40, batch_size=32, validation_split=0.2,
                    callbacks=callbacks, verbose=0)
test_loss, test_acc = model.evaluate(x_test, y_test_1h, verbose=0)
best = keras.models.load_model(checkpoint_path)
predictions = np.argmax(best.predict(x_test), axis=1)
report = keras.metrics.classification_report(y_test, predictions)
'''


def test_lecture_script_runs_unchanged_but_for_imports(tmp_path):
    scope = {"keras": keras, "layers": layers, "np": np, "checkpoint_path": str(tmp_path / "best_model.h5")}
    exec(SCRIPT_BODY, scope)
    history = scope["history"].history
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(history)
    assert scope["test_acc"] >= 0.93
    assert (scope["predictions"] == scope["y_test"]).mean() >= 0.93
    assert "precision" in scope["report"] and "macro avg" in scope["report"]
