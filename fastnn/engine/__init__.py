"""The engine: weights (Variable), the Layer contract, the tape, models and the training loop."""
