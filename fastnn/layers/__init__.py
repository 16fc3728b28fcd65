"""fastnn.layers: Keras layer names."""
from fastnn.engine.layer import Layer
from fastnn.engine.input import Input
from fastnn.layers.activation import ELU, Activation, LeakyReLU, Maxout, PReLU, ReLU, Softmax
from fastnn.layers.core import Dense, Flatten, Identity, InputLayer, Permute, RepeatVector, Reshape
from fastnn.layers.normalization import BatchNormalization
from fastnn.layers.regularization import Dropout, GaussianDropout, GaussianNoise
