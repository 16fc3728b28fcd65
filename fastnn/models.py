"""fastnn.models: Sequential, Model (Functional and subclassed)."""
from fastnn.engine.sequential import Sequential
from fastnn.engine.training import Model

__all__ = ["Sequential", "Model"]
