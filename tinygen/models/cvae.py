"""The conditional VAE: a class label y steers the latent code, in two forms.

``form="prior_mean"`` (the seed's form): the prior is p(z|y) = N(μ^Y, I) with a learned mean
μ^Y per class, the encoder q(z|x) and decoder p(x|z) ignore y, and the KL term is

    KL(N(μ, diag σ²) ‖ N(μ^Y, I)) = ½ Σⱼ [(μⱼ − μ^Y_j)² + σⱼ² − log σⱼ² − 1].

Sampling a class means z ~ N(μ^y, I), x ~ p(x|z): the classes occupy different regions of
one latent space.

``form="conditional_decoder"`` (Sohn et al., 2015): p(z) = N(0, I), the encoder sees
(x, onehot(y)) and the decoder sees (z, onehot(y)), so z is free to code the style that
the label does not explain.

Lesson: ``lessons/vae.py`` §8 "The conditional VAE".

References
----------
Sohn, K., Lee, H. & Yan, X. (2015). Learning structured output representation using deep
    conditional generative models. NeurIPS.
Kingma, D. P., Rezende, D. J., Mohamed, S. & Welling, M. (2014). Semi-supervised learning
    with deep generative models. NeurIPS.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .. import functional as F
from ..autograd import Tensor
from ..nn import Parameter
from ..rng import as_generator
from .vae import VAE

__all__ = ["CVAE"]


class CVAE(VAE):
    """Conditional VAE with a class-specific prior mean or a class-conditional decoder.

    Parameters
    ----------
    n_classes : int, default 10
    form : {"prior_mean", "conditional_decoder"}
    prior_scale : float, default 1.0
        Standard deviation of the initial class means μ^Y ~ N(0, prior_scale²)
        (``form="prior_mean"``).
    **kwargs
        As for :class:`~tinygen.models.vae.VAE` (n_input, hidden, n_latent, activation,
        decoder, learned_variance, decoder_std, logvar_clamp, random_state).

    Attributes
    ----------
    prior_means : Parameter of shape (n_classes, n_latent)
        μ^Y (``form="prior_mean"`` only).

    Every method of :class:`VAE` takes the labels ``y`` (int array of shape (n_samples,)).
    """

    def __init__(
        self,
        n_input=784,
        n_classes=10,
        hidden=(200, 200),
        n_latent=20,
        form="prior_mean",
        prior_scale=1.0,
        random_state=None,
        **kwargs,
    ):
        if form not in ("prior_mean", "conditional_decoder"):
            raise ValueError(f"form must be 'prior_mean' or 'conditional_decoder', got {form!r}")
        self.__dict__["n_classes"] = int(n_classes)
        self.__dict__["form"] = form
        rng = as_generator(random_state)
        super().__init__(
            n_input=n_input, hidden=hidden, n_latent=n_latent, random_state=rng, **kwargs
        )
        self.prior_scale = float(prior_scale)
        if form == "prior_mean":
            init = prior_scale * rng.standard_normal((self.n_classes, self.n_latent))
            self.prior_means = Parameter(backend.asarray(init.astype(np.float32)))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(n_classes=self.n_classes, form=self.form, prior_scale=self.prior_scale)
        return cfg

    # ---------------------------------------------------------------- hooks
    def _input_sizes(self):
        if self.form == "conditional_decoder":
            return self.n_input + self.n_classes, self.n_latent + self.n_classes
        return self.n_input, self.n_latent

    def _check_y(self, y, n):
        if y is None:
            raise ValueError("a CVAE needs the class labels y (int array of shape (n_samples,))")
        y = np.asarray(backend.to_numpy(y.data if isinstance(y, Tensor) else y))
        if y.ndim == 0:
            y = np.full(n, int(y))
        if y.shape != (n,) or y.dtype.kind not in "iu":
            raise ValueError(
                f"y must be integer class labels of shape ({n},); got {y.dtype} of shape {y.shape}"
            )
        if y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(
                f"class labels must lie in [0, {self.n_classes}); got {y.min()}…{y.max()}"
            )
        return y.astype(np.int64)

    def _one_hot(self, y, dtype):
        if y is None:
            raise ValueError(
                "form='conditional_decoder' needs the class labels y to encode or decode"
            )
        xp = backend.xp()
        return Tensor(xp.eye(self.n_classes, dtype=dtype)[backend.asarray(np.asarray(y))])

    def _encoder_input(self, x, y):
        if self.form == "conditional_decoder":
            return F.concatenate([x, self._one_hot(y, x.dtype)], axis=1)
        return x

    def _decoder_input(self, z, y):
        if self.form == "conditional_decoder":
            return F.concatenate([z, self._one_hot(y, z.dtype)], axis=1)
        return z

    def _prior(self, y):
        """p(z|y) = N(μ^Y, I) for ``form="prior_mean"``: (μ^y of shape (n, n_latent), 0)."""
        if self.form != "prior_mean":
            return None
        return self.prior_means[backend.asarray(np.asarray(y))], 0.0

    def encode(self, x, y=None):
        if self.form == "conditional_decoder":
            x = x if isinstance(x, Tensor) else Tensor(self._check_x(x))
            y = self._check_y(y, len(x))
        return super().encode(x, y)

    # The labels come second, as the conditional model reads p(x | y).
    def elbo(self, x, y, rng=None, kl="analytic", n_samples=1):
        """ELBO terms per sample with the class prior; see :meth:`VAE.elbo`."""
        return super().elbo(x, rng, kl, n_samples, y=y)

    def loss(self, x, y, objective="elbo", k=1, beta=1.0, rng=None, kl="analytic"):
        """The training loss; see :meth:`VAE.loss`."""
        return super().loss(x, objective, k, beta, rng, kl, y=y)

    def log_likelihood(self, x, y, k=5000, batch_size=100, k_batch=None, random_state=0):
        """Importance-sampled log p(x | y); see :meth:`VAE.log_likelihood`."""
        return super().log_likelihood(x, k, batch_size, k_batch, random_state, y=y)

    def fit(self, X, y, n_epochs=10, **kwargs):
        """Train on images ``X`` with labels ``y``; see :meth:`VAE.fit` for the options."""
        return super().fit(X, n_epochs, y=y, **kwargs)

    def sample(self, n, y, random_state=None, mean=True):
        """n samples of class ``y`` (an int, or labels of shape (n,)); see :meth:`VAE.sample`."""
        return super().sample(n, random_state, mean, y=y)

    def sample_grid(self, n_per_class=10, random_state=None, mean=True):
        """Class-conditional samples: n_per_class for each class, class by class.

        Returns (images of shape (n_classes * n_per_class, n_input), labels).
        """
        y = np.repeat(np.arange(self.n_classes), n_per_class)
        return self.sample(len(y), y, random_state=random_state, mean=mean), y

    def extra_repr(self):
        return super().extra_repr() + f", n_classes={self.n_classes}, form={self.form!r}"
