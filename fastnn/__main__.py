"""Command line.

    python -m fastnn info                  version, build flags, OpenMP, ISA path, threads
    python -m fastnn demo [--model mlp|cnn|lstm] [--epochs N]
                                           train on the bundled 8x8 digits, print test accuracy and speed
"""
import argparse
import sys
import time


def _cmd_info(args):
    import numpy as np

    import fastnn

    facts = fastnn.info()
    facts["numpy"] = np.__version__
    facts["python"] = sys.version.split()[0]
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        print(f"{key:<{width}}  {value}")
    return 0


def build_demo_model(kind):
    """The demo's model for the 8x8 digits: 'mlp', 'cnn' or 'lstm' (compiled)."""
    import fastnn
    from fastnn import layers as L

    if kind == "mlp":
        model = fastnn.Sequential([fastnn.Input((64,)), L.Dense(128, activation="relu"), L.Dropout(0.1),
                                   L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")])
    elif kind == "cnn":
        model = fastnn.Sequential([fastnn.Input((8, 8, 1)), L.Conv2D(32, 3, padding="same", activation="relu"),
                                   L.Conv2D(32, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
                                   L.Flatten(), L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")])
    else:
        model = fastnn.Sequential([fastnn.Input((8, 8)), L.LSTM(64), L.Dense(10, activation="softmax")])
    model.compile(optimizer=fastnn.optimizers.Adam(learning_rate=3e-3 if kind != "mlp" else 1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def demo_data(kind):
    """Bundled digits scaled to [0, 1], shaped for the demo model kind."""
    import fastnn

    (x_train, y_train), (x_test, y_test) = fastnn.datasets.digits.load_data()
    x_train = x_train.astype("float32") / 16.0
    x_test = x_test.astype("float32") / 16.0
    shape = {"mlp": (-1, 64), "cnn": (-1, 8, 8, 1), "lstm": (-1, 8, 8)}[kind]
    return (x_train.reshape(shape), y_train), (x_test.reshape(shape), y_test)


def _cmd_demo(args):
    import fastnn

    fastnn.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = demo_data(args.model)
    model = build_demo_model(args.model)
    epochs = args.epochs or {"mlp": 40, "cnn": 20, "lstm": 30}[args.model]
    print(f"fastnn {fastnn.__version__}: {args.model} on the UCI 8x8 digits ({len(x_train)} train / {len(x_test)} "
          f"test images), {fastnn.get_num_threads()} thread(s), ISA {fastnn.info()['isa_active']}")
    model.summary()
    t0 = time.perf_counter()
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=args.verbose)
    seconds = time.perf_counter() - t0
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    samples = int(len(x_train) * 0.9) * epochs
    print(f"test accuracy {accuracy:.4f}  test loss {loss:.4f}  "
          f"training {seconds:.2f} s ({samples / seconds:,.0f} samples/s)")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastnn", description="fastnn command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="version, build flags, OpenMP, ISA path and thread count")
    demo = sub.add_parser("demo", help="train a model on the bundled digits and report accuracy and speed")
    demo.add_argument("--model", choices=["mlp", "cnn", "lstm"], default="mlp")
    demo.add_argument("--epochs", type=int, default=None)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    args = parser.parse_args(argv)
    return {"info": _cmd_info, "demo": _cmd_demo}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
