"""Layers, containers and initialisation on the autograd core (PyTorch-like names).

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from . import init, utils
from .activation import ELU, Flatten, Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout
from .embedding import Embedding
from .linear import Linear
from .masked_conv import MaskedConv2d
from .module import Module, ModuleList, Parameter, Sequential, load_npz, save_npz
from .norm import BatchNorm1d, BatchNorm2d
from .pool import AvgPool2d, MaxPool2d, Upsample
from .rnn import LSTMCell
from .utils import clip_grad_norm_

__all__ = [
    "init",
    "utils",
    "Module",
    "Parameter",
    "Sequential",
    "ModuleList",
    "save_npz",
    "load_npz",
    "Linear",
    "Conv2d",
    "ConvTranspose2d",
    "MaskedConv2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "MaxPool2d",
    "AvgPool2d",
    "Upsample",
    "Dropout",
    "Embedding",
    "LSTMCell",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "LeakyReLU",
    "ELU",
    "Softplus",
    "Flatten",
    "Identity",
    "clip_grad_norm_",
]
