"""A Keras-style text progress bar.

On a terminal (or in Jupyter) the bar redraws itself in place with '\\r'; when the output is a file or a pipe (CI logs,
`nohup`, notebooks that capture stdout) it prints one newline-terminated line per finished bar only,
so logs stay readable.
"""
import math
import sys
import time

import numpy as np


def _format_duration(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _format_time_per_unit(seconds, unit_name):
    if seconds >= 1:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def _format_value(value):
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        value = float(value)
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    return str(value)


class Progbar:
    """Displays a progress bar with an ETA and the running mean of metrics.

    Example line (finished): ``32/32 [==============================] 1s 31ms/step - loss: 0.4123``.

    Args:
        target: total number of steps expected, or None if unknown.
        width: bar width in characters.
        verbose: 0 (silent), 1 (the bar) or 2 (one summary line when finished).
        interval: minimum seconds between two redraws on a terminal.
        stateful_metrics: names of metrics shown as given instead of averaged over steps (for
            values that are already running means, such as the logs of `fit`).
        unit_name: the name of a step in the time-per-step figure.
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step"):
        if target is not None and (isinstance(target, bool) or not isinstance(target, (int, np.integer))
                                   or target < 0):
            raise ValueError(f"Progbar: target must be None or a non-negative integer, received {target!r}")
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar: verbose must be 0, 1 or 2, received {verbose!r}")
        self.target = None if target is None else int(target)
        self.width = int(width)
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._values = {}  # name -> [weighted sum, weight]; stateful ones hold [value, 1]
        self._values_order = []
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._prev_width = 0
        self._finalized = False

    @staticmethod
    def _is_dynamic(stream):
        # Terminals and Jupyter (whose stdout is not a TTY but renders '\r') redraw in place.
        if "ipykernel" in sys.modules:
            return True
        isatty = getattr(stream, "isatty", None)
        try:
            return bool(isatty and isatty())
        except ValueError:  # closed stream
            return False

    def update(self, current, values=None, finalize=None):
        """Record progress up to step `current` and redraw.

        Args:
            current: index of the current step (steps done so far).
            values: list of (name, value) pairs. Non-stateful values are averaged over steps, weighted
                by the number of steps since the previous update.
            finalize: whether this is the last update of the bar; default `current >= target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if name not in self._values_order:
                self._values_order.append(name)
            if isinstance(value, np.ndarray) and value.size == 1:
                value = value.item()
            if name in self.stateful_metrics or not isinstance(value, (int, float, np.number)):
                self._values[name] = [value, 1]
            else:
                steps = max(current - self._seen_so_far, 1)
                total = self._values.setdefault(name, [0.0, 0])
                total[0] += float(value) * steps
                total[1] += steps
        self._seen_so_far = current
        if self.verbose == 0 or self._finalized:
            return
        now = time.time()
        stream = sys.stdout
        if self.verbose == 1:
            dynamic = self._is_dynamic(stream)
            if not finalize and (not dynamic or now - self._last_update < self.interval):
                return
            line = self._bar_line(current, now, finalize)
            if dynamic:
                # Pad with spaces so a shorter line fully covers the previous one.
                padding = " " * max(self._prev_width - len(line), 0)
                self._prev_width = len(line)
                stream.write("\r" + line + padding + ("\n" if finalize else ""))
            else:
                stream.write(line + "\n")
        elif finalize:
            stream.write(self._summary_line(current, now) + "\n")
        stream.flush()
        self._last_update = now
        if finalize:
            self._finalized = True

    def add(self, n, values=None):
        """Advance by `n` steps (see `update`)."""
        self.update(self._seen_so_far + n, values)

    def _metrics_text(self):
        parts = []
        for name in self._values_order:
            total, weight = self._values[name]
            value = total / max(weight, 1) if isinstance(total, float) and name not in self.stateful_metrics \
                else total
            parts.append(f" - {name}: {_format_value(value)}")
        return "".join(parts)

    def _time_per_unit(self, current, now):
        return (now - self._start) / current if current else 0.0

    def _bar_line(self, current, now, finalize):
        if self.target is not None:
            digits = int(math.log10(max(self.target, 1))) + 1
            done = min(current / self.target, 1.0) if self.target else 1.0
            filled = int(self.width * done)
            bar = "=" * filled
            if filled < self.width:
                bar += (">" if filled > 0 else "") + "." * (self.width - filled - (1 if filled > 0 else 0))
            line = f"{current:>{digits}d}/{self.target} [{bar}]"
        else:
            line = f"{current:>7d}/Unknown"
        per_unit = self._time_per_unit(current, now)
        if finalize or self.target is None:
            line += f" {now - self._start:.0f}s {_format_time_per_unit(per_unit, self.unit_name)}"
        else:
            line += f" - ETA: {_format_duration(per_unit * (self.target - current))}"
        return line + self._metrics_text()

    def _summary_line(self, current, now):
        if self.target is not None:
            digits = int(math.log10(max(self.target, 1))) + 1
            count = f"{current:>{digits}d}/{self.target}"
        else:
            count = f"{current}/Unknown"
        per_unit = _format_time_per_unit(self._time_per_unit(current, now), self.unit_name)
        return f"{count} - {now - self._start:.0f}s - {per_unit}" + self._metrics_text()
