"""fastnn.layers: Keras layer names."""
from fastnn.engine.layer import Layer
from fastnn.layers.core import Dense, Flatten, Identity, InputLayer, Permute, RepeatVector, Reshape
