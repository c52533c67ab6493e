"""The deterministic autoencoder, its training loop, and a few-label feature probe.

An autoencoder learns an encoder h = f(x) and a decoder x̂ = g(h) by minimizing a
reconstruction loss: the cross-entropy −Σᵢ [xᵢ log x̂ᵢ + (1 − xᵢ) log(1 − x̂ᵢ)] for data in
[0, 1] (a Bernoulli decoder) or the squared error ½‖x − x̂‖² (a Gaussian one). With a narrow
code h the encoder must keep what matters about x, so f(x) serves as features for a
classifier trained on few labels (:func:`linear_probe`).

This module also holds what the VAE family shares: :func:`mlp` and :func:`train_loop`.

Lesson: ``lessons/vae.py`` §1 "Autoencoders" and §9 "Features from an autoencoder".

References
----------
Hinton, G. E. & Salakhutdinov, R. R. (2006). Reducing the dimensionality of data with
    neural networks. Science 313, 504-507.
Goodfellow, I., Bengio, Y. & Courville, A. (2016). Deep Learning, ch. 14. MIT Press.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .. import backend
from .. import functional as F
from ..autograd import Tensor, no_grad
from ..data import minibatches
from ..nn import Flatten, Linear, Module, ReLU, Sequential, Sigmoid, Tanh
from ..optim import Adam
from ..rng import as_generator

__all__ = ["Autoencoder", "mlp", "train_loop", "linear_probe", "TrainingDivergedError"]

_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite."""


def mlp(sizes, activation="relu", rng=None, final_activation=False):
    """A multilayer perceptron ``Linear(sizes[0], sizes[1]) → act → … → Linear(…, sizes[-1])``.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first.
    activation : {"relu", "tanh", "sigmoid"}
    rng : Generator
        Source of the initial weights (drawn layer by layer).
    final_activation : bool
        Also apply the activation after the last layer.
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    rng = as_generator(rng)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b, random_state=rng))
        if final_activation or i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    return Sequential(*layers)


def as_batch(x, n_input, name="x"):
    """``x`` as a float array of shape (n_samples, n_input) on the backend (default dtype)."""
    if isinstance(x, Tensor):
        x = x.data
    x = backend.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(backend.get_default_dtype())
    if x.ndim == 1 and x.shape[0] == n_input:
        x = x[None]
    elif x.ndim == 2 and x.shape[1] != n_input and x.size == n_input:  # one image (28, 28)
        x = x.reshape(1, n_input)
    elif x.ndim > 2 and math.prod(x.shape[1:]) == n_input:  # images (n, 28, 28)
        x = x.reshape(len(x), n_input)
    if x.ndim != 2 or x.shape[1] != n_input:
        raise ValueError(
            f"{name} must have shape (n_samples, {n_input}) (or images with {n_input} pixels); "
            f"got shape {tuple(x.shape)}"
        )
    xp = backend.get_array_module(x)
    if not bool(xp.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def check_unit_interval(x, what="a Bernoulli decoder"):
    """Raise a ValueError unless every value of ``x`` lies in [0, 1]."""
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"{what} models data in [0, 1] (binary pixels or intensities), but the data range "
            f"is [{lo:.3g}, {hi:.3g}]. Rescale it (e.g. x / 255) or use a Gaussian decoder "
            "(decoder='gaussian' / loss='mse')."
        )


def train_loop(
    model,
    batch_loss,
    arrays,
    n_epochs,
    batch_size,
    lr,
    rng,
    callback=None,
    verbose=False,
    desc="train",
    time_budget=None,
):
    """Minimize ``batch_loss`` with Adam over minibatches of ``arrays``.

    Parameters
    ----------
    model : Module
        Whose parameters are trained.
    batch_loss : callable(batch, progress) -> scalar Tensor
        ``batch`` is a tuple of arrays; ``progress`` is the fractional epoch count
        (epoch + i / n_batches), used by schedules such as the KL warm-up.
    arrays : tuple of arrays
        Aligned along axis 0.
    time_budget : float or None
        Stop after this many seconds (checked after every batch).

    Returns
    -------
    dict
        ``"loss"``: mean training loss per epoch; ``"time"``: seconds spent per epoch.

    Raises
    ------
    TrainingDivergedError
        When a minibatch loss is NaN or infinite (lower ``lr`` or check the data).
    """
    from tqdm.auto import tqdm

    opt = Adam(model.parameters(), lr=lr)
    model.optimizer_ = opt
    history = {"loss": [], "time": []}
    n = len(arrays[0])
    n_batches = max(1, math.ceil(n / batch_size))
    start = time.perf_counter()
    model.train()
    # disable=None: quiet when stderr is not a terminal (logs, CI), as tqdm documents
    bar = tqdm(range(n_epochs), desc=desc, disable=None if verbose else True, leave=False)
    for epoch in bar:
        t0, total, count = time.perf_counter(), 0.0, 0
        for i, batch in enumerate(
            minibatches(*arrays, batch_size=batch_size, shuffle=True, random_state=rng)
        ):
            batch = batch if isinstance(batch, tuple) else (batch,)
            loss = batch_loss(batch, epoch + i / n_batches)
            value = float(loss.item())
            if not math.isfinite(value):
                raise TrainingDivergedError(
                    f"{desc}: the loss became {value} at epoch {epoch}, batch {i}. Lower the "
                    f"learning rate (lr={lr}), check the data for NaN/inf, or clamp variances."
                )
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += value * len(batch[0])
            count += len(batch[0])
            if time_budget is not None and time.perf_counter() - start > time_budget:
                break
        history["loss"].append(total / max(count, 1))
        history["time"].append(time.perf_counter() - t0)
        bar.set_postfix(loss=f"{history['loss'][-1]:.4g}")
        if callback is not None:
            callback(epoch, history)
        if time_budget is not None and time.perf_counter() - start > time_budget:
            break
    model.eval()
    return history


class Autoencoder(Module):
    """Deterministic autoencoder x → h = f(x) → x̂ = g(h), MLP or convolutional.

    Loss per sample (``loss="bce"``, data in [0, 1]):
        ℓ(x) = −Σᵢ [xᵢ log σ(aᵢ) + (1 − xᵢ) log(1 − σ(aᵢ))],   a = g(f(x)) (logits);
    (``loss="mse"``): ℓ(x) = ½ Σᵢ (xᵢ − aᵢ)².

    Parameters
    ----------
    n_input : int, default 784
        Number of input values (pixels); the conv variant needs ``image_shape``.
    hidden : tuple of int, default (256,)
        MLP hidden widths (the decoder mirrors them). For ``kind="conv"``: channels of the
        two stride-2 convolutions, default (16, 32) when ``hidden`` is left at (256,).
    n_latent : int, default 32
        Size of the code h.
    kind : {"mlp", "conv"}
    loss : {"bce", "mse"}
    activation : {"relu", "tanh", "sigmoid"}
    image_shape : tuple (H, W), default (28, 28)
        For the conv variant (H and W divisible by 4).
    random_state : int, Generator or None

    Shapes: ``encode`` (n_samples, n_input) → (n_samples, n_latent); ``decode`` back.
    """

    def __init__(
        self,
        n_input=784,
        hidden=(256,),
        n_latent=32,
        kind="mlp",
        loss="bce",
        activation="relu",
        image_shape=(28, 28),
        random_state=None,
    ):
        super().__init__()
        if kind not in ("mlp", "conv"):
            raise ValueError(f"kind must be 'mlp' or 'conv', got {kind!r}")
        if loss not in ("bce", "mse"):
            raise ValueError(f"loss must be 'bce' or 'mse', got {loss!r}")
        rng = as_generator(random_state)
        self.n_input, self.n_latent, self.kind, self.loss_name = n_input, n_latent, kind, loss
        self.hidden = tuple(int(h) for h in hidden)
        self.activation = activation
        if kind == "mlp":
            self.encoder = mlp((n_input, *self.hidden, n_latent), activation, rng)
            self.decoder = mlp((n_latent, *self.hidden[::-1], n_input), activation, rng)
        else:
            from ..nn import Conv2d

            H, W = image_shape
            if H * W != n_input or H % 4 or W % 4:
                raise ValueError(
                    f"conv autoencoder: image_shape {image_shape} must have H*W = n_input "
                    f"({n_input}) and H, W divisible by 4"
                )
            c1, c2 = (16, 32) if self.hidden == (256,) else self.hidden[:2]
            self.image_shape, self.channels = (H, W), (c1, c2)
            act = _ACTIVATIONS[activation]
            flat = c2 * (H // 4) * (W // 4)
            self.encoder = Sequential(
                Conv2d(1, c1, 3, stride=2, padding=1, random_state=rng),
                act(),
                Conv2d(c1, c2, 3, stride=2, padding=1, random_state=rng),
                act(),
                Flatten(),
                Linear(flat, n_latent, random_state=rng),
            )
            self.dec_fc = Linear(n_latent, flat, random_state=rng)
            self.dec_conv1 = Conv2d(c2, c1, 3, padding=1, random_state=rng)
            self.dec_conv2 = Conv2d(c1, 1, 3, padding=1, random_state=rng)

    # ------------------------------------------------------------ the maps
    def encode(self, x):
        """h = f(x): Tensor of shape (n_samples, n_latent)."""
        x = x if isinstance(x, Tensor) else Tensor(as_batch(x, self.n_input))
        if self.kind == "conv":
            x = x.reshape(len(x), 1, *self.image_shape)
        return self.encoder(x)

    def decoder_logits(self, h):
        """a = g(h), the decoder's output before the sigmoid, of shape (n, n_input)."""
        h = h if isinstance(h, Tensor) else Tensor(backend.asarray(h))
        if self.kind == "mlp":
            return self.decoder(h)
        H, W = self.image_shape
        c1, c2 = self.channels
        act = F.relu if self.activation == "relu" else getattr(F, self.activation)
        a = act(self.dec_fc(h)).reshape(len(h), c2, H // 4, W // 4)
        a = act(self.dec_conv1(F.upsample_nearest(a, 2)))
        a = self.dec_conv2(F.upsample_nearest(a, 2))
        return a.reshape(len(h), self.n_input)

    def decode(self, h):
        """x̂ = g(h): σ(a) for ``loss="bce"``, a for ``"mse"``; Tensor (n, n_input)."""
        a = self.decoder_logits(h)
        return a.sigmoid() if self.loss_name == "bce" else a

    def forward(self, x):
        return self.decode(self.encode(x))

    def reconstruction_loss(self, x, reduction="mean"):
        """ℓ(x) summed over pixels, averaged (``"mean"``) or per sample (``"none"``)."""
        x = Tensor(self._check(x))
        a = self.decoder_logits(self.encode(x))
        if self.loss_name == "bce":
            per = -F.bernoulli_log_likelihood(a, x)  # Σ over pixels of BCE(a, x)
        else:
            per = ((a - x) ** 2).sum(axis=1) * 0.5
        return per.mean() if reduction == "mean" else per

    def _check(self, x):
        x = as_batch(x, self.n_input)
        if self.loss_name == "bce":
            check_unit_interval(x, "an autoencoder with loss='bce'")
        return x

    # ------------------------------------------------------------ training
    def fit(
        self,
        X,
        n_epochs=10,
        batch_size=100,
        lr=1e-3,
        random_state=None,
        callback=None,
        verbose=False,
        time_budget=None,
    ):
        """Train by Adam on the reconstruction loss; returns the history dict."""
        rng = as_generator(random_state)
        X = self._check(X)
        return train_loop(
            self,
            lambda batch, _: self.reconstruction_loss(batch[0]),
            (X,),
            n_epochs,
            batch_size,
            lr,
            rng,
            callback,
            verbose,
            desc="autoencoder",
            time_budget=time_budget,
        )

    def transform(self, X, batch_size=500):
        """Codes f(x) as a NumPy array of shape (n_samples, n_latent), without a graph."""
        X = as_batch(X, self.n_input)
        with no_grad():
            return np.concatenate(
                [
                    self.encode(Tensor(X[i : i + batch_size])).numpy()
                    for i in range(0, len(X), batch_size)
                ]
            )

    def reconstruct(self, X):
        """x̂ = g(f(x)) as a NumPy array of shape (n_samples, n_input)."""
        with no_grad():
            return self.decode(self.encode(X)).numpy()


def linear_probe(
    features_train,
    y_train,
    features_test,
    y_test,
    n_classes=None,
    n_epochs=200,
    lr=0.01,
    weight_decay=1e-4,
    random_state=None,
):
    """Accuracy of multinomial logistic regression p(y|h) = softmax(W h + b).

    Trained by full-batch Adam on the cross-entropy −(1/n) Σ log p(yₙ|hₙ) (+ weight decay) on
    standardized features (mean and scale from the training features).

    Returns
    -------
    float
        Accuracy on ``(features_test, y_test)``.
    """
    rng = as_generator(random_state)
    Xtr = np.asarray(features_train, dtype=np.float64)
    Xte = np.asarray(features_test, dtype=np.float64)
    mean, std = Xtr.mean(0), Xtr.std(0) + 1e-6
    dt = backend.get_default_dtype()
    Xtr = Tensor(backend.asarray(((Xtr - mean) / std).astype(dt)))
    Xte = Tensor(backend.asarray(((Xte - mean) / std).astype(dt)))
    y_train = np.asarray(y_train, dtype=np.int64)
    n_classes = int(n_classes or max(int(y_train.max()), int(np.max(y_test))) + 1)
    clf = Linear(Xtr.shape[1], n_classes, random_state=rng)
    opt = Adam(clf.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(n_epochs):
        loss = F.cross_entropy(clf(Xtr), backend.asarray(y_train))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with no_grad():
        pred = backend.to_numpy(clf(Xte).data.argmax(axis=1))
    return float((pred == np.asarray(y_test)).mean())
