"""Every script in examples/ runs to completion (with --quick) and prints its key result.

Each script runs in a subprocess with PYTHONPATH pointing at the directory that holds the fastnn package
under test, so an in-place build or an installed package is exercised, never another copy.
"""
import glob
import os
import re
import subprocess
import sys

import pytest

import fastnn

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_PARENT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # Results do not depend on it; it only stops idle OpenMP threads from spinning, which on a machine
    # whose cores are busy with other work can make a 2-thread run many times slower.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def run_example(name, *args, timeout=300):
    """Run examples/<name> with `args`; returns its stdout (fails the test on a non-zero exit code)."""
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, name), *args], capture_output=True,
                          text=True, env=_env(), timeout=timeout, cwd=EXAMPLES_DIR)
    assert proc.returncode == 0, (f"{name} {' '.join(args)} exited with {proc.returncode}\n"
                                  f"--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}")
    return proc.stdout


def _check_char_rnn(out):
    losses = [float(v) for v in re.findall(r"^epoch +\d+/\d+ +loss (\d+\.\d+)", out, re.M)]
    assert len(losses) >= 2 and losses[-1] < losses[0], out
    sample = out.split("--- generated")[1].split("--- end of sample ---")[0]
    text = sample.split("\n", 1)[1]
    assert text.startswith("Shall I compare thee") and len(text.rstrip("\n")) > len("Shall I compare thee"), out


def _check_sine_forecast(out):
    assert len(re.findall(r"one-step test MSE [\d.]+ vs naive [\d.]+: beats the baseline", out)) == 2, out
    assert len(re.findall(r"mean over \d+ steps: [\d.]+ vs naive [\d.]+", out)) == 2, out


# script -> (regular expressions its output must contain, extra check or None)
EXPECTED = {
    "char_rnn.py": ([r"loss went from \d+\.\d+ to \d+\.\d+", r"--- end of sample ---"], _check_char_rnn),
    "sine_forecast.py": ([r"naive last-value forecast: test MSE", r"autoregressive forecast MSE by horizon"],
                         _check_sine_forecast),
    "denoising_autoencoder.py": ([r"denoised vs clean \d\.\d+", r"frozen 16-D codes: test accuracy 0\.\d+"], None),
    "gan_2d.py": ([r"modes covered [0-8]/8"], None),
    "resnet_cnn.py": ([r"test accuracy \d\.\d+", r"reloaded model predicts identically: True"], None),
    "two_input_two_output.py": ([r"test: \{'loss'", r"reloaded model predicts identically: True"], None),
    "vgg_cifar.py": ([r"test accuracy \d\.\d+ \(loss \d+\.\d+\)"], None),
}


def test_every_example_is_covered():
    scripts = sorted(os.path.basename(p) for p in glob.glob(os.path.join(EXAMPLES_DIR, "*.py")))
    assert scripts, f"no examples found in {EXAMPLES_DIR}"
    assert set(scripts) == set(EXPECTED), f"examples {scripts} vs tested {sorted(EXPECTED)}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name):
    out = run_example(name, "--quick")
    patterns, check = EXPECTED[name]
    for pattern in patterns:
        assert re.search(pattern, out), f"{name}: {pattern!r} not in output:\n{out[-3000:]}"
    if check is not None:
        check(out)


def test_char_rnn_seed_flag_is_reproducible():
    args = ("--quick", "--epochs", "1", "--length", "40")
    first = run_example("char_rnn.py", *args, "--seed", "3")
    again = run_example("char_rnn.py", *args, "--seed", "3")
    def strip(out):  # drop the wall-clock times
        return re.sub(r"\(\d+\.\d s\)", "", out)

    assert strip(first) == strip(again)


def test_char_rnn_text_names_its_source():
    with open(os.path.join(EXAMPLES_DIR, "data", "sonnets.txt"), encoding="utf-8") as f:
        header = f.readline()
        body = f.read()
    assert header.startswith("#") and "Shakespeare" in header and "public domain" in header
    assert len(body) > 5000 and "Shall I compare thee to a summer's day?" in body


def test_sine_forecast_fails_when_the_baseline_is_not_beaten():
    # One epoch cannot beat the naive forecast: the script must then say so and exit with status 1.
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, "sine_forecast.py"), "--quick", "--epochs",
                           "1"], capture_output=True, text=True, env=_env(), timeout=300, cwd=EXAMPLES_DIR)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "does NOT beat the baseline" in proc.stdout and "did not beat the naive" in proc.stderr
