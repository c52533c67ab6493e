"""The models, one concept per file.

Energy-based (``lessons/rbm.py``, ``lessons/dbm.py``): :class:`BoltzmannMachine`,
:class:`RBM`, :class:`GaussianBernoulliRBM`, :class:`DBN`, :class:`DBM`. Latent-variable
models on the autograd core (``lessons/vae.py``): :class:`Autoencoder`, :class:`VAE`,
:class:`CVAE`, and the closed-form :class:`LinearGaussian` model used to check the ELBO.
Autoregressive (fully visible belief networks, exact likelihoods): :class:`FVSBN`,
:class:`NADE`, :class:`PixelCNN`, :class:`GatedPixelCNN`, :class:`PixelRNN`. Directed,
with a recognition model: :class:`SigmoidBeliefNet`.

Classes are imported on first use, so ``import tinygen.models`` stays cheap.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "BoltzmannMachine": "boltzmann_machine",
    "RBM": "rbm",
    "GaussianBernoulliRBM": "gaussian_rbm",
    "DBN": "dbn",
    "DBM": "dbm",
    "Autoencoder": "autoencoder",
    "VAE": "vae",
    "CVAE": "cvae",
    "LinearGaussian": "linear_gaussian",
    "GAN": "gan",
    "MLPGAN": "gan",
    "DCGAN": "dcgan",
    "FVSBN": "fvsbn",
    "NADE": "nade",
    "PixelCNN": "pixelcnn",
    "GatedPixelCNN": "gated_pixelcnn",
    "PixelRNN": "pixelrnn",
    "SigmoidBeliefNet": "sigmoid_belief_net",
}

__all__ = list(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'tinygen.models' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
