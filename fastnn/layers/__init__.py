"""fastnn.layers: Keras layer names."""
from fastnn.engine.layer import Layer
from fastnn.engine.input import Input
from fastnn.layers.activation import ELU, Activation, LeakyReLU, Maxout, PReLU, ReLU, Softmax
from fastnn.layers.core import Dense, Flatten, Identity, InputLayer, Permute, RepeatVector, Reshape
from fastnn.layers.merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                 average, concatenate, dot, maximum, minimum, multiply, subtract)
from fastnn.layers.normalization import BatchNormalization
from fastnn.layers.regularization import Dropout, GaussianDropout, GaussianNoise
