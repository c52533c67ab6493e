r"""Generative adversarial networks: a generator G and a discriminator D in a two-player game.

The generator maps noise z ~ p(z) = N(0, I) to a sample G(z); the discriminator outputs a
*logit* a(x), and D(x) = σ(a(x)) is its probability that x came from the data. The value
of the game (Goodfellow et al., 2014, eq. 1; ``lessons/gan.py`` §1) is

    V(D, G) = E_{x~p_data}[log D(x)] + E_{z~p(z)}[log(1 − D(G(z)))],

which D maximises and G minimises. For a fixed G the best discriminator is
D*(x) = p_data(x) / (p_data(x) + p_g(x)), and then V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g)
(§2). Written from logits, with log σ(a) = −softplus(−a) and log(1 − σ(a)) = −softplus(a),
every term is finite for any logit:

    discriminator loss   L_D = E_x softplus(−a(x)) + E_z softplus(a(G(z)))      (= −V)
    generator, minimax   L_G = E_z log(1 − D(G(z))) = −E_z softplus(a(G(z)))
    generator, non-sat.  L_G = −E_z log D(G(z))      =  E_z softplus(−a(G(z)))

∂L_G/∂a is −σ(a) for the minimax loss, which vanishes where D confidently rejects the
samples (σ(a) → 0, early in training), and −(1 − σ(a)) → −1 for the non-saturating one
(§3 "Saturation"). Both have the same fixed point.

Feature matching (Salimans et al., 2016, §3.1) gives G a different target: not D's verdict
but the statistics of D's last hidden layer f, whose mean over a batch of data G's samples
must match,

    generator, feature matching   L_G = ‖ E_x f(x) − E_z f(G(z)) ‖²,

with f(x) of the data a constant. A batch mean of f is a mixture of the modes' means, so a
generator that makes one kind of sample too often moves it off the data's (§11).

Instance noise (Sønderby et al., 2017; Arjovsky & Bottou, 2017): D sees x + σ_t ε and
G(z) + σ_t ε, ε ~ N(0, I), with σ_t annealed linearly from σ₀ to 0. The noise makes the
two distributions overlap, so D cannot separate them perfectly and G's gradient does not
vanish (§6).

Averaged generator (Karras et al., 2018; Yazıcı et al., 2019): with ``ema_decay`` = β the
GAN keeps a second copy of G whose weights are the exponential moving average of the
trained ones, θ̄ ← β θ̄ + (1 − β) θ after every generator step. The game's updates circle
and overshoot around an equilibrium; the average sits nearer its centre, and ``sample``
draws from it.

Packing (PacGAN; Lin et al., 2018): with ``pack`` = m, D judges m samples at once, all
data or all generated, stacked along the first feature axis: (n, C, …) → (n/m, m·C, …).
The packed D plays the same game between the product distributions p_dataᵐ and p_gᵐ,
whose JSD grows with m. A pack of m data points holds a mode of mass w with probability
1 − (1 − w)ᵐ, a pack from a generator that dropped the mode never does: the more samples D
sees at once, the plainer the missing diversity (``lessons/gan.py`` §9).

References
----------
Goodfellow, I. et al. (2014). Generative adversarial nets. NIPS.
Goodfellow, I., Bengio, Y. & Courville, A. (2016). Deep Learning, §20.10.4. MIT Press.
Goodfellow, I. (2016). NIPS 2016 tutorial: generative adversarial networks.
    arXiv:1701.00160 (§3.2.3, the non-saturating game).
Sønderby, C. K., Caballero, J., Theis, L., Shi, W. & Huszár, F. (2017). Amortised MAP
    inference for image super-resolution. ICLR (instance noise).
Arjovsky, M. & Bottou, L. (2017). Towards principled methods for training generative
    adversarial networks. ICLR.
Karras, T., Aila, T., Laine, S. & Lehtinen, J. (2018). Progressive growing of GANs for
    improved quality, stability, and variation. ICLR (the averaged generator).
Yazıcı, Y., Foo, C.-S., Winkler, S., Yap, K.-H., Piliouras, G. & Chandrasekhar, V. (2019).
    The unusual effectiveness of averaging in GAN training. ICLR.
Lin, Z., Khetan, A., Fanti, G. & Oh, S. (2018). PacGAN: the power of two samples in
    generative adversarial networks. NeurIPS.
Salimans, T., Goodfellow, I., Zaremba, W., Cheung, V., Radford, A. & Chen, X. (2016).
    Improved techniques for training GANs. NIPS (§3.1, feature matching).
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np

from .. import backend
from .. import functional as F
from ..autograd import Tensor, no_grad
from ..io import load_config, save_config
from ..nn import LeakyReLU, Linear, Module, ReLU, Sequential
from ..optim import Adam
from ..rng import as_generator
from ._common import rebuild
from .autoencoder import TrainingDivergedError

__all__ = [
    "GAN",
    "MLPGAN",
    "OBJECTIVES",
    "discriminator_loss",
    "feature_matching_loss",
    "generator_loss",
    "instance_noise_std",
    "update_ema",
    "TrainingDivergedError",
]

#: the generator losses from D's logits (:func:`generator_loss`)
LOGIT_OBJECTIVES = ("minimax", "non_saturating")
#: every generator loss: those, and one from D's hidden features (:func:`feature_matching_loss`)
OBJECTIVES = (*LOGIT_OBJECTIVES, "feature_matching")


# --------------------------------------------------------------------------- the losses
def _check_objective(objective, allowed=OBJECTIVES):
    if objective not in allowed:
        names = ", ".join(repr(o) for o in allowed)
        raise ValueError(f"objective must be one of {names}, got {objective!r}")


def discriminator_loss(real_logits, fake_logits):
    """L_D = mean softplus(−a_real) + mean softplus(a_fake) = −[E log D(x) + E log(1 − D(G(z)))].

    The binary cross-entropy of labels 1 on the data and 0 on the samples (``lessons/gan.py``
    §1); minimising it maximises V(D, G).

    Parameters
    ----------
    real_logits, fake_logits : Tensor of shape (n_real,) and (n_fake,)
        D's logits a(x) on data and on generator samples.

    Returns
    -------
    scalar Tensor
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits, objective="non_saturating"):
    """The generator's loss from D's logits a = a(G(z)) of shape (n,); a scalar Tensor.

    ``"minimax"``:        E log(1 − σ(a)) = −mean softplus(a)     (∂/∂a = −σ(a) → 0 as D(G(z)) → 0)
    ``"non_saturating"``: −E log σ(a)     =  mean softplus(−a)    (∂/∂a = −(1 − σ(a)) → −1)
    """
    _check_objective(objective, LOGIT_OBJECTIVES)
    if objective == "minimax":
        return -F.softplus(fake_logits).mean()
    return F.softplus(-fake_logits).mean()


def feature_matching_loss(real_features, fake_features):
    """L_G = ‖ f̄(x) − f̄(G(z)) ‖², the squared distance between two batch means of D's features.

    Salimans et al. (2016), §3.1; ``lessons/gan.py`` §11. With f̄ = (1/n) Σᵢ fᵢ,
    ∂L/∂f(G(zⱼ)) = −(2/n_fake) (f̄(x) − f̄(G(z))), the same for every sample.

    Parameters
    ----------
    real_features : Tensor or array of shape (n_real, d)
        f(x) on a batch of data; a constant (no gradient flows into it).
    fake_features : Tensor of shape (n_fake, d)
        f(G(z)) on a batch of samples.

    Returns
    -------
    scalar Tensor
    """
    real = real_features.data if isinstance(real_features, Tensor) else real_features
    if real.ndim != 2 or fake_features.ndim != 2 or real.shape[1] != fake_features.shape[1]:
        raise ValueError(
            "feature_matching_loss: features of shape (n_real, d) and (n_fake, d) with one d, "
            f"got {tuple(real.shape)} and {tuple(fake_features.shape)}"
        )
    diff = Tensor(real.mean(axis=0)) - fake_features.mean(axis=0)
    return (diff * diff).sum()


def _check_pack(pack, n_classes):
    """``pack`` as an int ≥ 1; packing needs an unconditional GAN."""
    if int(pack) < 1:
        raise ValueError(f"pack (samples per discriminator input) must be >= 1, got {pack}")
    if int(pack) > 1 and n_classes is not None:
        raise ValueError(
            "pack > 1 needs an unconditional GAN: a pack of m samples would carry m labels; "
            "use pack=1 with n_classes"
        )
    return int(pack)


def instance_noise_std(step, std, anneal_steps):
    """σ_t = σ₀ · max(0, 1 − t / T): the instance noise at step t, annealed linearly to 0.

    With ``anneal_steps`` T ≤ 0 or None the noise stays at σ₀.
    """
    if std <= 0:
        return 0.0
    if not anneal_steps or anneal_steps <= 0:
        return float(std)
    return float(std) * max(0.0, 1.0 - step / float(anneal_steps))


def update_ema(average, model, decay):
    """θ̄ ← β θ̄ + (1 − β) θ: move ``average``'s state towards ``model``'s, in place.

    Every parameter and every floating-point buffer (a batch norm's running mean and
    variance) is averaged, as ``torch.optim.swa_utils.AveragedModel(use_buffers=True)``
    does; integer buffers (a batch count) are copied. ``average`` and ``model`` must be
    two copies of one architecture.
    """
    beta = float(decay)
    pairs = zip(average.named_modules(), model.named_modules(), strict=True)
    for (_, m_bar), (_, m) in pairs:
        for name, p in m._parameters.items():
            if p is not None:
                p_bar = m_bar._parameters[name]
                p_bar.data *= beta
                p_bar.data += (1.0 - beta) * p.data
        for name, b in m._buffers.items():
            if b is None:
                continue
            b_bar = m_bar._buffers[name]
            if b.dtype.kind == "f":
                setattr(m_bar, name, beta * b_bar + (1.0 - beta) * b)
            else:
                setattr(m_bar, name, b.copy())


# ------------------------------------------------------------------------------ the model
class GAN(Module):
    """A generative adversarial network of any two modules (``lessons/gan.py``).

    Parameters
    ----------
    generator : Module
        z of shape (n, n_latent) → samples of shape (n, *data_shape); called as
        ``generator(z, y)`` when ``n_classes`` is set (a conditional GAN).
    discriminator : Module
        x of shape (n, *data_shape) → logits of shape (n,) or (n, 1) (no sigmoid at the
        end); ``discriminator(x, y)`` when ``n_classes`` is set. With ``pack`` = m it
        takes packs of shape (n/m, m·data_shape[0], *data_shape[1:]) and returns n/m logits.
    n_latent : int
        Size of z ~ N(0, I).
    objective : {"non_saturating", "minimax", "feature_matching"}
        The generator's loss (see :func:`generator_loss`); ``"feature_matching"``
        (:func:`feature_matching_loss`) needs a discriminator with a method
        ``features(x[, y])`` → (n, d), the hidden layer its logit is a linear function of.
    k : int, default 1
        Discriminator steps per generator step (Goodfellow et al., 2014, Algorithm 1).
    instance_noise : float, default 0
        σ₀ of the Gaussian noise added to every input of D; annealed linearly to 0 over
        ``noise_anneal_steps`` generator steps (default: the whole ``fit``).
    noise_anneal_steps : int or None
    data_range : (float, float) or None
        The values the generator can produce (e.g. (−1, 1) after a tanh); ``fit`` rejects
        data outside it. None: any finite values.
    n_classes : int or None
        Number of labels of a conditional GAN (Mirza & Osindero, 2014).
    data_shape : tuple of int or None
        Shape of one sample; set by ``fit`` when None.
    pack : int, default 1
        m, the number of samples D judges together (PacGAN, Lin et al., 2018): m
        consecutive samples are concatenated along the first feature axis, so batches
        must hold a multiple of m samples. Unconditional GANs only.
    ema_decay : float in (0, 1) or None
        β of the averaged generator ``generator_ema`` (e.g. 0.999, a time constant of
        1 / (1 − β) = 1,000 generator steps), updated by :func:`update_ema` after every
        generator step; ``sample`` uses it. None: no average.

    Attributes
    ----------
    history_ : dict of lists, one entry per generator step
        ``"d_loss"``, ``"g_loss"``, ``"d_real"`` (mean D(x)), ``"d_fake"`` (mean D(G(z))),
        ``"noise_std"`` (σ_t), ``"time"`` (seconds since the start of ``fit``).
    generator_ema : Module, only with ``ema_decay``
        The averaged generator θ̄ (a copy of ``generator`` that takes no gradient); saved
        in checkpoints beside the two networks.

    References
    ----------
    Goodfellow et al. (2014); Mirza, M. & Osindero, S. (2014). Conditional generative
    adversarial nets. arXiv:1411.1784. Lin et al. (2018), PacGAN. Karras et al. (2018),
    the averaged generator.
    """

    def __init__(
        self,
        generator,
        discriminator,
        *,
        n_latent,
        objective="non_saturating",
        k=1,
        instance_noise=0.0,
        noise_anneal_steps=None,
        data_range=None,
        n_classes=None,
        data_shape=None,
        pack=1,
        ema_decay=None,
    ):
        super().__init__()
        if not isinstance(generator, Module) or not isinstance(discriminator, Module):
            raise TypeError("GAN: generator and discriminator must be tinygen.nn.Module s")
        _check_objective(objective)
        has_features = callable(getattr(discriminator, "features", None))
        if objective == "feature_matching" and not has_features:
            raise ValueError(
                f"objective='feature_matching' matches the means of D's hidden features, so "
                f"the discriminator needs a method features(x) returning them, of shape "
                f"(n, d); {type(discriminator).__name__} has none (MLPGAN's and DCGAN's do)"
            )
        if int(n_latent) < 1:
            raise ValueError(f"n_latent must be a positive integer, got {n_latent!r}")
        if int(k) < 1:
            raise ValueError(f"k (discriminator steps per generator step) must be >= 1, got {k}")
        if not instance_noise >= 0:
            raise ValueError(f"instance_noise must be >= 0, got {instance_noise!r}")
        if data_range is not None:
            lo, hi = (float(v) for v in data_range)
            if not lo < hi:
                raise ValueError(
                    f"data_range must be (low, high) with low < high, got {data_range}"
                )
            data_range = (lo, hi)
        if ema_decay is not None and not 0.0 < float(ema_decay) < 1.0:
            raise ValueError(
                f"ema_decay (β of the averaged generator) must lie in (0, 1), e.g. 0.999, or "
                f"be None for no average; got {ema_decay!r}"
            )
        self.pack = _check_pack(pack, n_classes)
        self.generator, self.discriminator = generator, discriminator
        self.n_latent, self.objective, self.k = int(n_latent), objective, int(k)
        self.instance_noise = float(instance_noise)
        self.noise_anneal_steps = None if noise_anneal_steps is None else int(noise_anneal_steps)
        self.data_range = data_range
        self.n_classes = None if n_classes is None else int(n_classes)
        self.data_shape = None if data_shape is None else tuple(int(s) for s in data_shape)
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        if self.ema_decay is not None:
            # θ̄ starts at θ; its parameters never take a gradient (no optimizer holds them)
            self.generator_ema = copy.deepcopy(generator)
            for p in self.generator_ema.parameters():
                p.requires_grad = False
        self.history_ = _empty_history()

    # ------------------------------------------------------------- configuration
    def get_config(self):
        """The GAN's own settings (a subclass adds its architecture's) as a JSON-able dict."""
        return {
            "class": type(self).__name__,
            "n_latent": self.n_latent,
            "objective": self.objective,
            "k": self.k,
            "instance_noise": self.instance_noise,
            "noise_anneal_steps": self.noise_anneal_steps,
            "data_range": None if self.data_range is None else list(self.data_range),
            "n_classes": self.n_classes,
            "data_shape": None if self.data_shape is None else list(self.data_shape),
            "pack": self.pack,
            "ema_decay": self.ema_decay,
        }

    def save(self, path):
        """Write both networks' parameters (``.npz``, atomic) and ``<path>.json`` (the config)."""
        out = super().save(path)
        save_config(out, self.get_config())
        return out

    @classmethod
    def from_checkpoint(cls, path):
        """Rebuild an :class:`MLPGAN` or :class:`~tinygen.models.DCGAN` from ``save``'s files.

        A plain :class:`GAN` of your own modules cannot be rebuilt from a file: build it
        again and call ``load(path)``.
        """
        if load_config(path).get("class", "GAN") == "GAN":
            raise ValueError(
                f"{path} holds a GAN of your own modules, which from_checkpoint cannot "
                "rebuild: construct the same generator and discriminator, wrap them in "
                "GAN(...) and call .load(path)"
            )
        return rebuild(path, GAN)

    # ------------------------------------------------------------------ the maps
    def _noise(self, n, rng):
        dt = backend.get_default_dtype()
        return Tensor(backend.asarray(rng.standard_normal((n, self.n_latent)).astype(dt)))

    def _generate(self, z, y, generator=None):
        G = self.generator if generator is None else generator
        return G(z) if self.n_classes is None else G(z, y)

    def _packed(self, x):
        """(n, C, …) → (n/m, m·C, …): ``pack`` = m consecutive samples as one input of D."""
        m = self.pack
        if m > 1:
            if x.shape[0] % m:
                raise ValueError(
                    f"this GAN packs {m} samples per discriminator input, so it needs a "
                    f"multiple of {m} samples, got {x.shape[0]}"
                )
            x = x.reshape(x.shape[0] // m, m * x.shape[1], *x.shape[2:])
        return x

    def _features(self, x, y):
        """D's hidden features f(x) of shape (n, d), one row per sample or pack."""
        x = self._packed(x)
        D = self.discriminator
        return D.features(x) if self.n_classes is None else D.features(x, y)

    def _logits(self, x, y):
        """D's logits, one per sample, or one per pack of ``pack`` consecutive samples."""
        x = self._packed(x)
        a = self.discriminator(x) if self.n_classes is None else self.discriminator(x, y)
        n = x.shape[0]
        if tuple(a.shape) not in ((n,), (n, 1)):
            raise ValueError(
                f"the discriminator must output one logit per sample, of shape ({n},) or "
                f"({n}, 1), but it returned shape {tuple(a.shape)}: end it with a "
                "Linear(..., 1) and no sigmoid"
            )
        return a.reshape(n)

    def _check_fake(self, fake):
        if self.data_shape is not None and tuple(fake.shape[1:]) != self.data_shape:
            raise ValueError(
                f"the generator returned samples of shape {tuple(fake.shape[1:])}, but the data "
                f"have shape {self.data_shape}: make its output match one data point"
            )

    def discriminate(self, x, y=None):
        """D(x) = σ(a(x)), the probability that x is data, of shape (n,) (NumPy, no graph).

        With ``pack`` = m: one probability per pack of m consecutive samples, shape (n/m,).
        """
        x = self._check_x(x)
        yy = self._check_y(y, len(x))
        with no_grad():
            return backend.to_numpy(F.sigmoid(self._logits(Tensor(x), yy)).data)

    def sample(self, n, random_state=None, *, y=None, ema=None):
        """n samples G(z), z ~ N(0, I), as a NumPy array of shape (n, *data_shape).

        For a conditional GAN pass the labels ``y`` (int array of shape (n,), or one int).
        The networks run in evaluation mode (batch norm uses its running statistics).
        ``ema``: draw from the averaged generator ``generator_ema`` (the default when the
        GAN has one) or, with ``ema=False``, from the trained one.
        """
        n = int(n)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if ema and self.ema_decay is None:
            raise ValueError(
                "this GAN has no averaged generator: build it with ema_decay (e.g. 0.999) "
                "to sample with ema=True"
            )
        use_ema = self.ema_decay is not None if ema is None else bool(ema)
        G = self.generator_ema if use_ema else self.generator
        rng = as_generator(random_state)
        if self.n_classes is not None and y is not None and np.ndim(y) == 0:
            y = np.full(n, int(y))
        yy = self._check_y(y, n)
        was = self.training
        self.eval()
        try:
            with no_grad():
                out = backend.to_numpy(self._generate(self._noise(n, rng), yy, G).data)
        finally:
            self.train(was)
        return out

    # ---------------------------------------------------------------- checks
    def _check_x(self, X):
        X = X.data if isinstance(X, Tensor) else X
        X = backend.asarray(X)
        if X.dtype.kind != "f":
            X = X.astype(backend.get_default_dtype())
        if X.ndim < 2:
            raise ValueError(
                f"X must have shape (n_samples, ...) with one sample per row, got shape {X.shape}"
            )
        if self.data_shape is not None and tuple(X.shape[1:]) != self.data_shape:
            if math.prod(X.shape[1:]) == math.prod(self.data_shape):
                X = X.reshape(len(X), *self.data_shape)
            else:
                raise ValueError(
                    f"X has samples of shape {tuple(X.shape[1:])}, this GAN models shape "
                    f"{self.data_shape}"
                )
        xp = backend.get_array_module(X)
        if not bool(xp.isfinite(X).all()):
            raise ValueError("X contains NaN or infinite values")
        if self.data_range is not None and X.size:
            lo, hi = float(X.min()), float(X.max())
            a, b = self.data_range
            if lo < a or hi > b:
                hint = (
                    "x / 255 for 8-bit images"
                    if (a, b) == (0.0, 1.0)
                    else "2 * x - 1 for images in [0, 1], 2 * x / 255 - 1 for 8-bit ones"
                    if (a, b) == (-1.0, 1.0)
                    else "an affine map into that range"
                )
                raise ValueError(
                    f"this GAN's generator produces values in [{a:g}, {b:g}] (its output "
                    f"activation), but the data range is [{lo:.3g}, {hi:.3g}]: rescale the data "
                    f"({hint}) or build the GAN with another data_range / output activation"
                )
        return X

    def _check_y(self, y, n):
        if self.n_classes is None:
            if y is not None:
                raise ValueError(
                    "this GAN is unconditional and takes no labels y; build it with n_classes "
                    "(e.g. DCGAN(conditional=True) or MLPGAN(n_classes=...)) to use labels"
                )
            return None
        if y is None:
            raise ValueError(
                f"this conditional GAN needs labels y (ints in [0, {self.n_classes})), one per "
                "sample"
            )
        y = np.asarray(backend.to_numpy(y))
        if y.shape != (n,) or y.dtype.kind not in "iu":
            raise ValueError(f"y must be an int array of shape ({n},), got {y.dtype} {y.shape}")
        if n and (y.min() < 0 or y.max() >= self.n_classes):
            raise ValueError(
                f"labels must lie in [0, {self.n_classes}), got range [{y.min()}, {y.max()}]"
            )
        return y.astype(np.int64)

    def _add_noise(self, x, std, rng):
        if std <= 0:
            return x
        eps = rng.standard_normal(x.shape).astype(x.dtype)
        return x + Tensor(backend.asarray(eps * np.asarray(std, dtype=x.dtype)))

    # ------------------------------------------------------------------ training
    def fit(
        self,
        X,
        n_steps=1000,
        batch_size=64,
        lr=2e-4,
        lr_d=None,
        betas=(0.5, 0.999),
        y=None,
        random_state=None,
        callback=None,
        callback_every=100,
        checkpoint=None,
        checkpoint_every=500,
        verbose=False,
        time_budget=None,
        reuse_fake=False,
    ):
        """Alternate ``k`` discriminator steps and one generator step, each an Adam step.

        Per generator step t (Goodfellow et al., 2014, Algorithm 1):

        1. k times: draw a minibatch x of data and z ~ N(0, I); take a step on
           L_D = mean softplus(−a(x + σ_t ε)) + mean softplus(a(G(z) + σ_t ε′)).
        2. draw z ~ N(0, I) (or, with ``reuse_fake``, keep the last step's z); take a step
           on the generator's loss (``objective``) at a(G(z) + σ_t ε″), or for feature
           matching at f(G(z) + σ_t ε″) against f of the last data batch, with the
           gradient flowing through D into G.
        3. with ``ema_decay`` = β: θ̄ ← β θ̄ + (1 − β) θ (:func:`update_ema`).

        Parameters
        ----------
        X : array of shape (n_samples, *data_shape)
            Inside ``data_range`` when the GAN has one.
        n_steps : int
            Generator steps.
        lr : float or callable(step) -> float
            Adam step size of G (and of D unless ``lr_d`` is given); a callable gives a
            schedule over this call's generator steps t = 0 … n_steps − 1.
        lr_d : float, callable or None
        betas : (float, float)
            Adam's (β₁, β₂); (0.5, 0.999) as Radford et al. (2016).
        y : int array of shape (n_samples,), conditional GAN only
        callback : callable(step, model) or None
            Called every ``callback_every`` generator steps and at the end.
        checkpoint : path or None
            Where to ``save`` the model every ``checkpoint_every`` steps and at the end. A
            non-finite loss never overwrites it.
        time_budget : float or None
            Stop after this many seconds.
        reuse_fake : bool, default False
            The generator step scores the last discriminator step's samples G(z) again (D
            updated in between) instead of drawing fresh z: one pass through G fewer per
            step, the order of the PyTorch DCGAN example. False: fresh z, as Algorithm 1.

        Returns
        -------
        self, with ``history_`` filled (it grows over repeated calls).

        Raises
        ------
        TrainingDivergedError
            On a NaN or infinite loss. The parameters are first restored to the last good
            state (the one last written to ``checkpoint``, if any).
        """
        from tqdm.auto import tqdm

        rng = as_generator(random_state)
        if self.data_shape is None:
            self.data_shape = tuple(int(s) for s in np.shape(X)[1:])
        X = self._check_x(X)
        Y = self._check_y(y, len(X))
        n = len(X)
        if n == 0:
            raise ValueError("X is empty: fit needs at least one sample")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        bs = min(int(batch_size), n)
        if bs % self.pack:
            raise ValueError(
                f"batch_size must be a multiple of pack={self.pack} (D judges {self.pack} "
                f"samples at a time), got {bs}"
            )
        G, D = self.generator, self.discriminator
        lr_at = lr if callable(lr) else (lambda t: lr)
        lr_d_at = lr_at if lr_d is None else (lr_d if callable(lr_d) else (lambda t: lr_d))
        opt_g = Adam(G.parameters(), lr=lr_at(0), betas=betas)
        opt_d = Adam(D.parameters(), lr=lr_d_at(0), betas=betas)
        d_params = list(D.parameters())
        anneal = self.noise_anneal_steps if self.noise_anneal_steps is not None else n_steps
        hist = self.history_
        step0 = len(hist["d_loss"])
        good = self.state_dict()
        start = time.perf_counter()
        stream = _index_stream(n, bs, rng)
        done = 0
        self.train()
        bar = tqdm(
            range(n_steps), desc=type(self).__name__, disable=None if verbose else True, leave=False
        )
        # overflow to inf / NaN is caught below as a diverged loss, with a message that
        # names the fix, so NumPy's warnings about it are silenced
        with np.errstate(over="ignore", invalid="ignore"):
            for t in bar:
                sigma = instance_noise_std(t, self.instance_noise, anneal)
                opt_g.lr, opt_d.lr = float(lr_at(t)), float(lr_d_at(t))
                # ---- 1. k discriminator steps (G's samples are constants here)
                for j in range(self.k):
                    idx = next(stream)
                    xb = Tensor(X[backend.asarray(idx)])
                    yb = None if Y is None else Y[idx]
                    if reuse_fake and j == self.k - 1:
                        # keep G's graph: the generator step below scores these samples
                        kept = self._generate(self._noise(bs, rng), yb)
                        fake = Tensor(kept.data)
                    else:
                        with no_grad():
                            fake = self._generate(self._noise(bs, rng), yb)
                    self._check_fake(fake)
                    a_real = self._logits(self._add_noise(xb, sigma, rng), yb)
                    a_fake = self._logits(self._add_noise(Tensor(fake.data), sigma, rng), yb)
                    loss_d = discriminator_loss(a_real, a_fake)
                    d_value = float(loss_d.item())
                    if not math.isfinite(d_value):
                        self._diverged(good, checkpoint, "discriminator", step0 + t, d_value, lr)
                    opt_d.zero_grad()
                    loss_d.backward()
                    opt_d.step()
                with no_grad():
                    d_real = float(F.sigmoid(a_real).mean().item())
                    d_fake = float(F.sigmoid(a_fake).mean().item())
                # ---- 2. one generator step; D's parameters take no gradient
                if reuse_fake:
                    gen, yg = kept, yb
                else:
                    yg = None if Y is None else Y[rng.integers(0, n, bs)]
                    gen = self._generate(self._noise(bs, rng), yg)
                for p in d_params:
                    p.requires_grad = False
                try:
                    if self.objective == "feature_matching":
                        # the target: f of the last D step's data batch, a constant
                        with no_grad():
                            f_real = self._features(self._add_noise(xb, sigma, rng), yb)
                        f_gen = self._features(self._add_noise(gen, sigma, rng), yg)
                        loss_g = feature_matching_loss(f_real, f_gen)
                    else:
                        a_gen = self._logits(self._add_noise(gen, sigma, rng), yg)
                        loss_g = generator_loss(a_gen, self.objective)
                    g_value = float(loss_g.item())
                    if not math.isfinite(g_value):
                        self._diverged(good, checkpoint, "generator", step0 + t, g_value, lr)
                    opt_g.zero_grad()
                    loss_g.backward()
                    opt_g.step()
                    if self.ema_decay is not None:
                        update_ema(self.generator_ema, G, self.ema_decay)
                finally:
                    for p in d_params:
                        p.requires_grad = True
                hist["d_loss"].append(d_value)
                hist["g_loss"].append(g_value)
                hist["d_real"].append(d_real)
                hist["d_fake"].append(d_fake)
                hist["noise_std"].append(sigma)
                hist["time"].append(time.perf_counter() - start)
                done = t + 1
                if done % checkpoint_every == 0 or done == n_steps:
                    good = self.state_dict()
                    if checkpoint is not None:
                        self.save(checkpoint)
                if callback is not None and (done % callback_every == 0 or done == n_steps):
                    callback(step0 + done, self)
                if done % 50 == 0:
                    bar.set_postfix(
                        d=f"{d_value:.3f}",
                        g=f"{g_value:.3f}",
                        Dx=f"{d_real:.2f}",
                        DGz=f"{d_fake:.2f}",
                    )
                if time_budget is not None and time.perf_counter() - start > time_budget:
                    break
        if checkpoint is not None and done and done % checkpoint_every and done != n_steps:
            self.save(checkpoint)
        self.eval()
        self.fitted_ = True
        return self

    def _diverged(self, good, checkpoint, who, step, value, lr):
        self.load_state_dict(good)
        self.eval()
        if checkpoint is not None:  # the state it already holds, or the initial one
            self.save(checkpoint)
        kept = (
            f"; the checkpoint {checkpoint} holds the last good state"
            if checkpoint is not None
            else "; the model holds the last good state"
        )
        raise TrainingDivergedError(
            f"GAN: the {who} loss became {value} at step {step}{kept}. Lower the learning "
            f"rate (lr={'a schedule' if callable(lr) else lr}), add instance noise "
            "(instance_noise=0.1), use "
            "objective='non_saturating', or check the data for huge values."
        )

    def extra_repr(self):
        packed = f", pack={self.pack}" if self.pack > 1 else ""
        return f"n_latent={self.n_latent}, objective={self.objective!r}, k={self.k}{packed}"


def _empty_history():
    return {k: [] for k in ("d_loss", "g_loss", "d_real", "d_fake", "noise_std", "time")}


def _index_stream(n, batch_size, rng):
    """Endless minibatches of row indices: shuffled epochs, every row once per epoch."""
    pos, perm = n, None
    while True:
        if pos + batch_size > n:
            perm, pos = rng.permutation(n), 0
        yield perm[pos : pos + batch_size]
        pos += batch_size


# --------------------------------------------------------------------- the 2-D MLP GAN
class _MLPGenerator(Module):
    """z (n, n_latent) [+ one-hot y] → MLP with ReLUs → x (n, n_output)."""

    def __init__(self, n_latent, hidden, n_output, n_classes, rng):
        super().__init__()
        self.n_classes = n_classes
        sizes = (n_latent + (n_classes or 0), *hidden)
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [Linear(a, b, random_state=rng), ReLU()]
        layers.append(Linear(sizes[-1], n_output, random_state=rng))
        self.net = Sequential(*layers)

    def forward(self, z, y=None):
        if self.n_classes:
            z = F.concatenate([z, Tensor(_one_hot(y, self.n_classes, z.dtype))], axis=1)
        return self.net(z)


class _MLPDiscriminator(Module):
    """x (n, n_input) [+ one-hot y] → MLP with LeakyReLU(0.2) → one logit (n, 1)."""

    def __init__(self, n_input, hidden, n_classes, rng):
        super().__init__()
        self.n_classes = n_classes
        sizes = (n_input + (n_classes or 0), *hidden)
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [Linear(a, b, random_state=rng), LeakyReLU(0.2)]
        layers.append(Linear(sizes[-1], 1, random_state=rng))
        self.net = Sequential(*layers)

    def features(self, x, y=None):
        """The last hidden layer f(x), of shape (n, hidden[-1]); the logit is a linear map of it."""
        if self.n_classes:
            x = F.concatenate([x, Tensor(_one_hot(y, self.n_classes, x.dtype))], axis=1)
        for layer in list(self.net)[:-1]:
            x = layer(x)
        return x

    def forward(self, x, y=None):
        return self.net[-1](self.features(x, y))


def _one_hot(y, n_classes, dtype):
    y = np.asarray(y)
    out = np.zeros((len(y), n_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return backend.asarray(out)


class MLPGAN(GAN):
    """A small fully connected GAN for low-dimensional data such as the 2-D mixtures.

    G: z ~ N(0, I_{n_latent}) → [Linear → ReLU] × len(g_hidden) → Linear → x ∈ ℝ^{n_input};
    D: x → [Linear → LeakyReLU(0.2)] × len(d_hidden) → Linear → one logit. With
    ``n_classes`` both also take the one-hot label (a conditional GAN).

    Parameters
    ----------
    n_input : int, default 2
    n_latent : int, default 2
    g_hidden, d_hidden : tuple of int, default (128, 128, 128)
    objective, k, instance_noise, noise_anneal_steps, n_classes, pack, ema_decay : see
        :class:`GAN`
        (with ``pack`` = m, D's input has m · n_input features)
    random_state : int, Generator or None
        The initial weights.

    Shapes: samples (n, n_input); z (n, n_latent).
    """

    def __init__(
        self,
        n_input=2,
        n_latent=2,
        g_hidden=(128, 128, 128),
        d_hidden=(128, 128, 128),
        objective="non_saturating",
        k=1,
        instance_noise=0.0,
        noise_anneal_steps=None,
        n_classes=None,
        pack=1,
        ema_decay=None,
        random_state=None,
        **_ignored,  # data_range / data_shape from a saved config: fixed by the architecture
    ):
        if int(n_latent) < 1 or int(n_input) < 1:
            raise ValueError(f"n_input and n_latent must be positive, got {n_input}, {n_latent}")
        rng = as_generator(random_state)
        self.g_hidden = tuple(int(h) for h in g_hidden)
        self.d_hidden = tuple(int(h) for h in d_hidden)
        G = _MLPGenerator(n_latent, self.g_hidden, n_input, n_classes, rng)
        D = _MLPDiscriminator(_check_pack(pack, n_classes) * n_input, self.d_hidden, n_classes, rng)
        super().__init__(
            G,
            D,
            n_latent=n_latent,
            objective=objective,
            k=k,
            instance_noise=instance_noise,
            noise_anneal_steps=noise_anneal_steps,
            n_classes=n_classes,
            data_shape=(int(n_input),),
            pack=pack,
            ema_decay=ema_decay,
        )
        self.n_input = int(n_input)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(n_input=self.n_input, g_hidden=list(self.g_hidden), d_hidden=list(self.d_hidden))
        return cfg
