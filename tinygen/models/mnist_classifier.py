r"""A small MNIST digit classifier, trained with tinygen, to score generated images.

The GAN benchmark (``benchmarks/bench_gan.py --mnist``) labels and embeds a DCGAN's samples
with it (:mod:`tinygen.models.classifier_scores`): the classes covered, the class
histogram's KL to uniform and a Fréchet distance on its penultimate features — the
"Fréchet Inception Distance" of Heusel et al. (2017) with this network in Inception's place.

Architecture (no pooling, as the DCGAN's discriminator):

    x (n, 1, 28, 28) → Conv(1 → w, 4, stride 2, pad 1) → ReLU → (w, 14, 14)
      → Conv(w → 2w, 4, 2, 1) → ReLU → (2w, 7, 7) → Linear(2w·49 → h) → ReLU  = features
      → Dropout → Linear(h → 10) = logits

trained by Adam on the cross-entropy −log softmax(logits)_y.

Data. The offline data of this project hold labels only for the 10,000 MNIST *test*
images (the binarized training set has none), so :func:`classifier_split` splits them
once, by a fixed permutation: 8,000 to train the classifier, 2,000 held out for the
real-image ceiling of the scores. The DCGAN trains on binarized MNIST (Larochelle's
fixed Bernoulli draw of the grey levels; Murray & Salakhutdinov, 2008), so the classifier
sees images binarized the same way: x ~ Bernoulli(grey / 255), drawn afresh every epoch
(:func:`binarize`), which also serves as data augmentation.

References
----------
Heusel, M. et al. (2017). GANs trained by a two time-scale update rule converge to a
    local Nash equilibrium. NIPS.
Murray, I. & Salakhutdinov, R. (2008). Evaluating probabilities under high-dimensional
    latent variable models. NIPS (the stochastic binarization of MNIST).
LeCun, Y., Bottou, L., Bengio, Y. & Haffner, P. (1998). Gradient-based learning applied
    to document recognition. Proc. IEEE 86(11).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import backend
from .. import functional as F
from ..autograd import Tensor, no_grad
from ..nn import Conv2d, Dropout, Linear, Module, ReLU
from ..optim import Adam
from ..rng import as_generator

__all__ = ["MNISTClassifier", "classifier_split", "binarize", "N_TRAIN", "SPLIT_SEED"]

#: Images of the MNIST test set that train the classifier; the other 2,000 are held out.
N_TRAIN = 8000
#: Seed of the fixed permutation that splits the MNIST test set.
SPLIT_SEED = 0


def classifier_split(images=None, labels=None):
    """The fixed split of the labelled MNIST test set: ((X_train, y_train), (X_held, y_held)).

    Images as grey levels in [0, 1], float32 of shape (n, 1, 28, 28); labels int64 (n,).
    8,000 train, 2,000 held out. ``images``, ``labels``: the 10,000 test images (uint8
    (n, 28, 28)) and labels; loaded by :func:`tinygen.data.mnist` when None.
    """
    if images is None:
        from ..data import mnist

        images, labels = mnist("test")
    X = (np.asarray(images, np.float32) / 255.0).reshape(-1, 1, 28, 28)
    y = np.asarray(labels, np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(X))
    tr, held = order[:N_TRAIN], order[N_TRAIN:]
    return (X[tr], y[tr]), (X[held], y[held])


def binarize(images, random_state=None):
    """x ~ Bernoulli(images): a 0/1 float32 array of ``images``' shape (values in [0, 1])."""
    rng = as_generator(random_state)
    images = np.asarray(images)
    return (rng.random(images.shape, dtype=np.float32) < images).astype(np.float32)


class MNISTClassifier(Module):
    """A two-convolution digit classifier whose penultimate layer gives the scores' features.

    Parameters
    ----------
    width : int, default 32
        w: channels of the first convolution (2w in the second).
    n_features : int, default 128
        h: size of the feature layer.
    dropout : float, default 0.3
        Dropout before the output layer while training.
    n_classes : int, default 10
    random_state : int, Generator or None

    Shapes: images (n, 1, 28, 28) (or (n, 784)), values in [0, 1]; logits (n, n_classes);
    features (n, n_features).
    """

    def __init__(self, width=32, n_features=128, dropout=0.3, n_classes=10, random_state=None):
        super().__init__()
        rng = as_generator(random_state)
        self.width, self.n_features, self.n_classes = int(width), int(n_features), int(n_classes)
        self.conv1 = Conv2d(1, self.width, 4, 2, 1, random_state=rng)
        self.conv2 = Conv2d(self.width, 2 * self.width, 4, 2, 1, random_state=rng)
        self.fc = Linear(2 * self.width * 49, self.n_features, random_state=rng)
        self.drop = Dropout(dropout, random_state=rng)
        self.out = Linear(self.n_features, self.n_classes, random_state=rng)
        self.relu = ReLU()

    def _as_images(self, X):
        X = np.asarray(backend.to_numpy(X.data if isinstance(X, Tensor) else X))
        if X.ndim == 2 and X.shape[1] == 784:
            X = X.reshape(-1, 1, 28, 28)
        if X.ndim == 3 and X.shape[1:] == (28, 28):
            X = X[:, None]
        if X.ndim != 4 or X.shape[1:] != (1, 28, 28):
            raise ValueError(f"images must have shape (n, 1, 28, 28) or (n, 784), got {X.shape}")
        if X.size and (X.min() < 0 or X.max() > 1 or not np.isfinite(X).all()):
            raise ValueError(
                f"images must have values in [0, 1] (got [{X.min():.3g}, {X.max():.3g}]): "
                "divide 8-bit images by 255"
            )
        return X.astype(backend.get_default_dtype(), copy=False)

    def features(self, x):
        """The feature layer ReLU(fc(…)) of shape (n, n_features) (a Tensor, with graph)."""
        if not isinstance(x, Tensor):
            x = Tensor(backend.asarray(x))
        h = self.relu(self.conv1(x))
        h = self.relu(self.conv2(h))
        return self.relu(self.fc(h.reshape(len(x), 2 * self.width * 49)))

    def forward(self, x):
        """Logits of shape (n, n_classes)."""
        return self.out(self.drop(self.features(x)))

    def predict_and_features(self, X, batch_size=500):
        """(labels of shape (n,), features of shape (n, n_features)) in evaluation mode."""
        X = self._as_images(X)
        was = self.training
        self.eval()
        labels, feats = [], []
        try:
            with no_grad():
                for s in range(0, len(X), batch_size):
                    f = self.features(X[s : s + batch_size])
                    labels.append(backend.to_numpy(self.out(f).data).argmax(axis=1))
                    feats.append(backend.to_numpy(f.data))
        finally:
            self.train(was)
        if not labels:
            return np.zeros(0, np.int64), np.zeros((0, self.n_features), np.float32)
        return np.concatenate(labels).astype(np.int64), np.concatenate(feats)

    def predict(self, X, batch_size=500):
        """Predicted labels of shape (n,)."""
        return self.predict_and_features(X, batch_size)[0]

    def accuracy(self, X, y):
        """Fraction of ``X`` classified as ``y``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def fit(
        self,
        X,
        y,
        n_epochs=12,
        batch_size=64,
        lr=1e-3,
        binarize_inputs=True,
        random_state=None,
        verbose=False,
    ):
        """Adam on the mean cross-entropy, ``n_epochs`` passes over (X, y) in shuffled batches.

        Parameters
        ----------
        X : array of shape (n, 1, 28, 28), grey levels in [0, 1]
        y : int array of shape (n,)
        binarize_inputs : bool, default True
            Train on x ~ Bernoulli(X), a new draw every epoch (as the binarized MNIST the
            DCGAN learns from).

        Returns
        -------
        self, with ``history_`` (mean training loss per epoch).
        """
        from tqdm.auto import tqdm

        from ..data import minibatches

        X = self._as_images(X)
        y = np.asarray(y)
        if y.shape != (len(X),) or y.dtype.kind not in "iu":
            raise ValueError(
                f"y must be an int array of shape ({len(X)},), got {y.dtype} {y.shape}"
            )
        if len(y) and (y.min() < 0 or y.max() >= self.n_classes):
            raise ValueError(
                f"labels must lie in [0, {self.n_classes}), got [{y.min()}, {y.max()}]"
            )
        rng = as_generator(random_state)
        opt = Adam(self.parameters(), lr=lr)
        self.history_ = []
        self.train()
        for _ in tqdm(range(n_epochs), desc="MNISTClassifier", disable=None if verbose else True):
            Xe = binarize(X, rng) if binarize_inputs else X
            total = 0.0
            for xb, yb in minibatches(Xe, y, batch_size=batch_size, random_state=rng):
                loss = F.cross_entropy(self(Tensor(backend.asarray(xb))), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.item()) * len(xb)
            self.history_.append(total / len(X))
        self.eval()
        return self

    @classmethod
    def trained(cls, path=None, verbose=False, **fit_kwargs):
        """The classifier of the benchmark: loaded from ``path`` when it exists, else trained
        on :func:`classifier_split`'s 8,000 images (seed 0) and saved there (``.npz``)."""
        model = cls(random_state=0)
        if path is not None and Path(path).exists():
            return model.load(path).eval()
        (X, y), _ = classifier_split()
        model.fit(X, y, random_state=0, verbose=verbose, **fit_kwargs)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            model.save(path)
        return model
