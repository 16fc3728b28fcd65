"""fastnn.models: Sequential, Model (Functional and subclassed), load_model."""
from fastnn.engine.sequential import Sequential
from fastnn.engine.training import Model
from fastnn.saving import load_model

__all__ = ["Sequential", "Model", "load_model"]
