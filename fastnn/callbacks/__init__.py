"""Callbacks with Keras 3 names and semantics: hooks that `fit`, `evaluate` and `predict` call."""
from fastnn.callbacks.callback import Callback, CallbackList, LambdaCallback
from fastnn.callbacks.loggers import CSVLogger, History, ProgbarLogger
from fastnn.callbacks.model_checkpoint import ModelCheckpoint
from fastnn.callbacks.training_control import (EarlyStopping, LearningRateScheduler, ReduceLROnPlateau,
                                               TerminateOnNaN)

__all__ = ["CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "TerminateOnNaN"]
