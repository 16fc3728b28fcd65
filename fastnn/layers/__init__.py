"""fastnn.layers: Keras layer names."""
from fastnn.engine.input import Input
from fastnn.engine.layer import Layer
from fastnn.layers.activation import ELU, Activation, LeakyReLU, Maxout, PReLU, ReLU, Softmax
from fastnn.layers.augmentation import (RandomContrast, RandomCrop, RandomFlip, RandomRotation, RandomTranslation,
                                        RandomZoom)
from fastnn.layers.conv import Conv1D, Conv2D, Conv2DTranspose
from fastnn.layers.core import Dense, Flatten, Identity, InputLayer, Permute, RepeatVector, Reshape
from fastnn.layers.depthwise import DepthwiseConv2D, SeparableConv2D
from fastnn.layers.embedding import Embedding, Masking
from fastnn.layers.merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                 average, concatenate, dot, maximum, minimum, multiply, subtract)
from fastnn.layers.normalization import BatchNormalization, LayerNormalization
from fastnn.layers.pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                                   GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D,
                                   MaxPooling2D)
from fastnn.layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from fastnn.layers.regularization import (AlphaDropout, Dropout, GaussianDropout, GaussianNoise, SpatialDropout1D,
                                          SpatialDropout2D, SpatialDropout3D)
from fastnn.layers.reshaping import Cropping1D, Cropping2D, UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D
from fastnn.layers.dropblock import DropBlock2D
from fastnn.layers.wrappers import Bidirectional, TimeDistributed

# Keras aliases
Convolution1D, Convolution2D, Convolution2DTranspose, SeparableConvolution2D = (Conv1D, Conv2D, Conv2DTranspose,
                                                                                SeparableConv2D)
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                                      GlobalMaxPooling1D, GlobalMaxPooling2D)
