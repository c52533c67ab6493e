"""The variational autoencoder: a Gaussian encoder, a reparameterized sample, a decoder.

Generative model  z ~ p(z) = N(0, I),  x | z ~ p_θ(x|z) (Bernoulli logits or Gaussian);
inference model   q_φ(z|x) = N(μ_φ(x), diag σ²_φ(x)).

For any q the evidence splits into three terms (``lessons/vae.py`` §2):

    log p(x) = E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)) + KL(q(z|x) ‖ p(z|x))
             = ELBO(x)                               + (≥ 0)

Training maximizes the ELBO (or the tighter importance-weighted bound
L_k = E log (1/k) Σᵢ p(x, zᵢ)/q(zᵢ|x)) by stochastic gradients through the
reparameterization z = μ + σ ⊙ ε, ε ~ N(0, I), which moves the randomness out of the
parameters' way so that ∇_φ reaches the encoder (§4 "The reparameterization trick").

References
----------
Kingma, D. P. & Welling, M. (2014). Auto-encoding variational Bayes. ICLR.
Rezende, D. J., Mohamed, S. & Wierstra, D. (2014). Stochastic backpropagation and
    approximate inference in deep generative models. ICML.
Burda, Y., Grosse, R. & Salakhutdinov, R. (2016). Importance weighted autoencoders. ICLR.
Higgins, I. et al. (2017). β-VAE: learning basic visual concepts with a constrained
    variational framework. ICLR.
Bowman, S. R. et al. (2016). Generating sentences from a continuous space. CoNLL (KL
    warm-up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import backend
from .. import functional as F
from ..autograd import Tensor, no_grad
from ..io import save_config
from ..nn import Linear, Module
from ..numerics import logsumexp as logsumexp_array
from ..rng import as_generator, normal
from ._common import rebuild
from ._gaussian import LOG_2PI, clamp, log_normal_diag, log_standard_normal
from .autoencoder import as_batch, check_unit_interval, mlp, train_loop

__all__ = ["VAE", "ELBOTerms", "kl_weight"]


@dataclass
class ELBOTerms:
    """The ELBO's two terms, per sample (Tensors of shape (n_samples,)).

    reconstruction : E_q[log p(x|z)] (a Monte Carlo estimate; ≤ 0 for a Bernoulli decoder)
    kl : KL(q(z|x) ‖ p(z)) (closed form, or the Monte Carlo log q(z|x) − log p(z))
    elbo : reconstruction − kl
    """

    reconstruction: Tensor
    kl: Tensor
    elbo: Tensor

    def __getitem__(self, key):  # dict-style access: terms["kl"]
        return getattr(self, key)


def kl_weight(progress, beta=1.0, warmup_epochs=0):
    """The KL weight of β-VAE with linear warm-up: β · min(1, progress / warmup_epochs).

    ``progress`` is the fractional epoch count; with ``warmup_epochs=0`` the weight is β.
    """
    if warmup_epochs and warmup_epochs > 0:
        return beta * min(1.0, progress / warmup_epochs)
    return beta


class VAE(Module):
    """Variational autoencoder with a diagonal-Gaussian encoder and an MLP decoder.

    Encoder: μ(x), log σ²(x) = heads on MLP(x), with log σ² clamped to ``logvar_clamp``.
    Decoder (``decoder="bernoulli"``): log p(x|z) = Σᵢ [xᵢ aᵢ − softplus(aᵢ)], a = logits(z);
    (``decoder="gaussian"``): log p(x|z) = log N(x; m(z), diag s²) with s fixed at
    ``decoder_std`` or learned per pixel and sample (``learned_variance=True``).

    Parameters
    ----------
    n_input : int, default 784
    hidden : tuple of int, default (200, 200)
        Hidden widths of the encoder; the decoder mirrors them.
    n_latent : int, default 50
    activation : {"tanh", "relu"}, default "tanh"
    decoder : {"bernoulli", "gaussian"}
    learned_variance : bool, default False
        Gaussian decoder only: learn log s²(z) as a second output head.
    decoder_std : float, default 0.1
        The fixed s of the Gaussian decoder.
    logvar_clamp : (float, float), default (-10, 10)
        Range of the encoder's (and the learned decoder's) log-variance.
    random_state : int, Generator or None
        Initial weights.

    Attributes
    ----------
    encoder, enc_mu, enc_logvar, decoder, dec_out : Modules

    Shapes: x (n_samples, n_input) with values in [0, 1] for the Bernoulli decoder;
    z (n_samples, n_latent).

    References
    ----------
    Kingma & Welling (2014); Burda, Grosse & Salakhutdinov (2016), section 5 (architecture).
    """

    def __init__(
        self,
        n_input=784,
        hidden=(200, 200),
        n_latent=50,
        activation="tanh",
        decoder="bernoulli",
        learned_variance=False,
        decoder_std=0.1,
        logvar_clamp=(-10.0, 10.0),
        random_state=None,
    ):
        super().__init__()
        if decoder not in ("bernoulli", "gaussian"):
            raise ValueError(f"decoder must be 'bernoulli' or 'gaussian', got {decoder!r}")
        if learned_variance and decoder != "gaussian":
            raise ValueError("learned_variance=True needs decoder='gaussian'")
        if n_latent < 1 or n_input < 1:
            raise ValueError(f"n_input and n_latent must be positive, got {n_input}, {n_latent}")
        self.n_input, self.n_latent = int(n_input), int(n_latent)
        self.hidden = tuple(int(h) for h in hidden)
        self.activation, self.decoder_kind = activation, decoder
        self.learned_variance, self.decoder_std = bool(learned_variance), float(decoder_std)
        self.logvar_clamp = tuple(float(v) for v in logvar_clamp)
        rng = as_generator(random_state)
        enc_in, dec_in = self._input_sizes()
        self.encoder = mlp((enc_in, *self.hidden), activation, rng, final_activation=True)
        h_enc = self.hidden[-1] if self.hidden else enc_in
        self.enc_mu = Linear(h_enc, self.n_latent, random_state=rng)
        self.enc_logvar = Linear(h_enc, self.n_latent, random_state=rng)
        self.decoder = mlp((dec_in, *self.hidden[::-1]), activation, rng, final_activation=True)
        h_dec = self.hidden[0] if self.hidden else dec_in
        n_out = self.n_input * (2 if self.learned_variance else 1)
        self.dec_out = Linear(h_dec, n_out, random_state=rng)

    # ---------------------------------------------------------- configuration
    def _input_sizes(self):
        """(encoder input width, decoder input width); the CVAE widens them."""
        return self.n_input, self.n_latent

    def get_config(self):
        """Constructor arguments as a JSON-able dict (for rebuilding from a checkpoint)."""
        return {
            "class": type(self).__name__,
            "n_input": self.n_input,
            "hidden": list(self.hidden),
            "n_latent": self.n_latent,
            "activation": self.activation,
            "decoder": self.decoder_kind,
            "learned_variance": self.learned_variance,
            "decoder_std": self.decoder_std,
            "logvar_clamp": list(self.logvar_clamp),
        }

    def save(self, path):
        """Write the parameters (``.npz``) and the config (``<path>.json``) atomically."""
        out = super().save(path)
        save_config(out, self.get_config())
        return out

    @classmethod
    def from_checkpoint(cls, path):
        """Rebuild a model from ``save``'s ``.npz`` and its ``.json`` config."""
        model = rebuild(path, VAE, default=cls.__name__)  # a CVAE's names its class
        model.fitted_ = True
        return model

    # -------------------------------------------------------------- hooks
    def _encoder_input(self, x, y):
        return x

    def _decoder_input(self, z, y):
        return z

    def _prior(self, y):
        """(μ_p, log σ²_p) of p(z), or None for N(0, I)."""
        return None

    # ----------------------------------------------------------- the maps
    def _check_x(self, x):
        x = as_batch(x, self.n_input)
        if self.decoder_kind == "bernoulli":
            check_unit_interval(x)
        return x

    def _check_y(self, y, n):
        if y is not None:
            raise ValueError(
                "this VAE is unconditional and takes no labels y; use CVAE for class labels "
                "(and pass the random generator as rng=/random_state=)"
            )
        return None

    def encode(self, x, y=None):
        """q(z|x) = N(μ, diag exp(logvar)): Tensors (mu, logvar) of shape (n, n_latent).

        log σ² = clamp(head(x), *logvar_clamp), so σ neither vanishes nor explodes.
        """
        x = x if isinstance(x, Tensor) else Tensor(self._check_x(x))
        h = self.encoder(self._encoder_input(x, y))
        logvar = clamp(self.enc_logvar(h), *self.logvar_clamp)
        return self.enc_mu(h), logvar

    @staticmethod
    def reparameterize(mu, logvar, rng=None, n_samples=None):
        """z = μ + σ ⊙ ε with σ = exp(½ logvar), ε ~ N(0, I): differentiable in μ and logvar.

        Returns (z, eps); with ``n_samples=k`` they have shape (k, n, n_latent). ε is the
        Generator's ``standard_normal`` (:func:`tinygen.rng.normal`); z is
        :func:`tinygen.functional.reparameterize`.
        """
        rng = as_generator(rng)
        shape = mu.shape if n_samples is None else (int(n_samples), *mu.shape)
        eps = Tensor(normal(rng, shape, dtype=mu.dtype))
        return F.reparameterize(mu, logvar, eps), eps

    def decoder_params(self, z, y=None):
        """The decoder's outputs for z of shape (..., n_latent): Bernoulli logits a of shape
        (..., n_input), or the Gaussian (mean, logvar) pair."""
        z = z if isinstance(z, Tensor) else Tensor(backend.asarray(z))
        lead = z.shape[:-1]
        z2 = z.reshape(-1, z.shape[-1]) if z.ndim != 2 else z
        if y is not None and len(y) != z2.shape[0]:  # k samples per data point, k-major
            y = np.tile(y, z2.shape[0] // len(y))
        out = self.dec_out(self.decoder(self._decoder_input(z2, y)))
        if self.learned_variance:
            D = self.n_input
            mean, logvar = out[:, :D], clamp(out[:, D:], *self.logvar_clamp)
            return mean.reshape(*lead, D), logvar.reshape(*lead, D)
        if out.shape[:-1] != lead:  # z's own leading axes, e.g. (k, n) for k samples each
            out = out.reshape(*lead, self.n_input)
        return (out, None) if self.decoder_kind == "gaussian" else out

    def decode(self, z, y=None):
        """E[x|z]: the pixel probabilities σ(a) (Bernoulli) or the mean m(z) (Gaussian)."""
        p = self.decoder_params(z, y)
        return p.sigmoid() if self.decoder_kind == "bernoulli" else p[0]

    def log_px_given_z(self, x, z, y=None):
        """log p(x|z) summed over pixels, for x (n, n_input) and z (..., n, n_latent) → (..., n).

        Bernoulli: Σᵢ [xᵢ aᵢ − softplus(aᵢ)] = −BCE(a, x);
        Gaussian: −½ Σᵢ [log 2π + log s² + (xᵢ − mᵢ)² / s²].
        """
        x = x if isinstance(x, Tensor) else Tensor(self._check_x(x))
        params = self.decoder_params(z, y)
        if self.decoder_kind == "bernoulli":  # x of shape (n, D) broadcasts against (..., n, D)
            return F.bernoulli_log_likelihood(params, x)
        mean, logvar = params
        if logvar is None:
            s2 = self.decoder_std**2
            return ((x - mean) ** 2).sum(axis=-1) * (-0.5 / s2) - 0.5 * self.n_input * (
                LOG_2PI + math.log(s2)
            )
        return log_normal_diag(x, mean, logvar)

    def forward(self, x, y=None):
        """The reconstruction E[x|z=μ(x)] (a Tensor of shape (n, n_input))."""
        mu, _ = self.encode(x, y)
        return self.decode(mu, y)

    # ------------------------------------------------------------ objectives
    def elbo(self, x, rng=None, kl="analytic", n_samples=1, *, y=None):
        """The ELBO's terms per sample, with one (or ``n_samples``) reparameterized z.

        ELBO(x) = E_q[log p(x|z)] − KL(q(z|x) ‖ p(z))

        Parameters
        ----------
        x : array or Tensor of shape (n, n_input)
        kl : {"analytic", "mc"}
            Closed-form KL ½Σ(μ² + σ² − log σ² − 1) (against N(0, I); the CVAE's prior
            mean where it has one), or the Monte Carlo estimate log q(z|x) − log p(z) at the
            same samples z.
        n_samples : int
            Samples of z averaged in the reconstruction term (and the MC KL).

        Returns
        -------
        ELBOTerms with Tensors ``reconstruction``, ``kl``, ``elbo`` of shape (n,).
        """
        if kl not in ("analytic", "mc"):
            raise ValueError(f"kl must be 'analytic' or 'mc', got {kl!r}")
        x = x if isinstance(x, Tensor) else Tensor(self._check_x(x))
        y = self._check_y(y, len(x))
        mu, logvar = self.encode(x, y)
        k = int(n_samples)
        z, eps = self.reparameterize(mu, logvar, rng, n_samples=k if k > 1 else None)
        rec = self.log_px_given_z(x, z, y)
        prior = self._prior(y)
        if kl == "analytic":
            prior = (0.0, 0.0) if prior is None else prior
            kl_term = F.kl_normal(mu, logvar, *prior, reduction="none").sum(axis=-1)
        else:
            log_q = (logvar + eps**2 + LOG_2PI).sum(axis=-1) * -0.5
            log_p = log_standard_normal(z) if prior is None else log_normal_diag(z, *prior)
            kl_term = log_q - log_p
            if k > 1:
                kl_term = kl_term.mean(axis=0)
        if k > 1:
            rec = rec.mean(axis=0)
        return ELBOTerms(reconstruction=rec, kl=kl_term, elbo=rec - kl_term)

    def log_weights(self, x, k, rng=None, beta=1.0, mu_logvar=None, *, y=None):
        """log wᵢ = log p(x|zᵢ) + β [log p(zᵢ) − log q(zᵢ|x)], zᵢ ~ q(z|x), of shape (k, n).

        log q(zᵢ|x) = −½ Σ (log 2π + log σ² + εᵢ²) exactly, since z − μ = σ ⊙ ε. Under
        the standard normal prior log p(zᵢ) = −½ Σ (log 2π + zᵢ²), the log 2π terms cancel
        and the ratio is computed as log p(zᵢ) − log q(zᵢ|x) = ½ [Σ εᵢ² + Σ log σ² − Σ zᵢ²],
        where Σ log σ² is summed once per x, not once per sample.
        """
        x = x if isinstance(x, Tensor) else Tensor(self._check_x(x))
        mu, logvar = self.encode(x, y) if mu_logvar is None else mu_logvar
        z, eps = self.reparameterize(mu, logvar, rng, n_samples=k)
        log_px = self.log_px_given_z(x, z, y)
        prior = self._prior(y)
        if prior is None:
            eps2 = (eps.data * eps.data).sum(axis=-1)  # Σ εᵢ², a constant of shape (k, n)
            log_ratio = (logvar.sum(axis=-1) + eps2 - (z * z).sum(axis=-1)) * 0.5
        else:
            log_q = (logvar + eps**2 + LOG_2PI).sum(axis=-1) * -0.5
            log_ratio = log_normal_diag(z, *prior) - log_q
        return log_px + log_ratio * beta if beta != 1.0 else log_px + log_ratio

    def iwae_bound(self, x, k, rng=None, beta=1.0, *, y=None):
        """L_k(x) = log (1/k) Σᵢ wᵢ (logsumexp), a Tensor of shape (n,); L_1 is the ELBO."""
        return F.logsumexp(self.log_weights(x, k, rng, beta, y=y), axis=0) - math.log(k)

    def loss(self, x, objective="elbo", k=1, beta=1.0, rng=None, kl="analytic", *, y=None):
        """The training loss (a scalar Tensor): minus the objective, averaged over the batch.

        ``"elbo"``: −mean[E_q log p(x|z) − β KL(q ‖ p(z))] (β-VAE; β = 1 is the ELBO);
        ``"iwae"``: −mean L_k(x) (with β weighting log p(z) − log q(z|x) in each log wᵢ).
        """
        if objective == "elbo":
            t = self.elbo(x, rng=rng, kl=kl, n_samples=k, y=y)
            obj = t.reconstruction - t.kl * beta if beta != 1.0 else t.elbo
        elif objective == "iwae":
            obj = self.iwae_bound(x, k, rng, beta, y=y)
        else:
            raise ValueError(f"objective must be 'elbo' or 'iwae', got {objective!r}")
        return -obj.mean()

    def log_likelihood(self, x, k=5000, batch_size=100, k_batch=None, random_state=0, *, y=None):
        """Importance-sampled log p(x) ≈ log (1/k) Σᵢ p(x, zᵢ)/q(zᵢ|x), zᵢ ~ q(z|x).

        This is the IWAE bound L_k, a lower bound in expectation that tightens as k grows
        (Burda et al., 2016, reported with k = 5000). Computed without a graph, batched over
        the data (``batch_size`` rows) and over the k samples (``k_batch`` at a time, so at
        most batch_size·k_batch decoder rows live in memory), and combined with a
        logsumexp in float64.

        Returns
        -------
        ndarray of shape (n_samples,) (float64, nats).
        """
        rng = as_generator(random_state)
        X = self._check_x(x)
        Y = self._check_y(y, len(X))
        k = int(k)
        if k_batch is None:
            k_batch = max(1, min(k, 20000 // max(1, min(batch_size, len(X)))))
        out = np.empty(len(X))
        was_training = self.training
        self.eval()
        with no_grad():
            for s in range(0, len(X), batch_size):
                xb = Tensor(X[s : s + batch_size])
                yb = None if Y is None else Y[s : s + batch_size]
                ml = self.encode(xb, yb)
                chunks = []
                for j in range(0, k, k_batch):
                    kk = min(k_batch, k - j)
                    # the draws for k samples are those of k_batch-sized pieces one after
                    # the other, so the estimate does not depend on k_batch
                    lw = self.log_weights(xb, kk, rng, mu_logvar=ml, y=yb)
                    chunks.append(backend.to_numpy(lw.data).astype(np.float64))
                lw = np.concatenate(chunks, axis=0)
                out[s : s + batch_size] = logsumexp_array(lw, axis=0) - math.log(k)
        self.train(was_training)
        return out

    # ------------------------------------------------------------- training
    def fit(
        self,
        X,
        n_epochs=10,
        batch_size=100,
        lr=1e-3,
        objective="elbo",
        k=1,
        beta=1.0,
        warmup_epochs=0,
        kl="analytic",
        random_state=None,
        callback=None,
        verbose=False,
        time_budget=None,
        init_output_bias=None,
        y=None,
    ):
        """Maximize the objective by Adam over shuffled minibatches.

        The KL weight follows :func:`kl_weight`: β · min(1, epoch / warmup_epochs).
        With ``init_output_bias`` (Bernoulli decoder; default: on the first ``fit`` of a fresh
        model only) the output bias starts at the logit of the mean pixel, as in Burda et
        al. (2016), so training begins at the marginal.

        Parameters
        ----------
        X : array of shape (n_samples, n_input) (or images)
        y : array of int of shape (n_samples,), CVAE only
        objective : {"elbo", "iwae"}; k : samples per data point
        callback : callable(epoch, history) or None
            Called after every epoch (e.g. to log or checkpoint).
        time_budget : float or None
            Stop training after this many seconds.

        Returns
        -------
        dict with per-epoch ``"loss"``, ``"time"`` and ``"beta"``.

        Raises
        ------
        TrainingDivergedError (a FloatingPointError) on a NaN/inf loss.
        """
        if objective not in ("elbo", "iwae"):
            raise ValueError(f"objective must be 'elbo' or 'iwae', got {objective!r}")
        rng = as_generator(random_state)
        X = self._check_x(X)
        Y = self._check_y(y, len(X))
        if init_output_bias is None:  # only on the first fit of a fresh model
            init_output_bias = not getattr(self, "fitted_", False)
        if init_output_bias and self.decoder_kind == "bernoulli":
            xp = backend.get_array_module(X)
            p = xp.clip(X.mean(axis=0), 1e-3, 1 - 1e-3)
            self.dec_out.bias.data[...] = xp.log(p / (1 - p)).astype(self.dec_out.bias.dtype)
        betas = []

        def batch_loss(batch, progress):
            b = kl_weight(progress, beta, warmup_epochs)
            if len(betas) <= int(progress):
                betas.append(b)
            yb = batch[1] if Y is not None else None
            return self.loss(
                Tensor(batch[0]), objective=objective, k=k, beta=b, rng=rng, kl=kl, y=yb
            )

        arrays = (X,) if Y is None else (X, Y)
        hist = train_loop(
            self,
            batch_loss,
            arrays,
            n_epochs,
            batch_size,
            lr,
            rng,
            callback,
            verbose,
            desc=type(self).__name__,
            time_budget=time_budget,
        )
        hist["beta"] = betas[: len(hist["loss"])]
        self.fitted_ = True
        return hist

    # ------------------------------------------------------------ generation
    def _as_numpy(self, t):
        return backend.to_numpy(t.data if isinstance(t, Tensor) else t)

    def sample(self, n, random_state=None, mean=True, *, y=None):
        """Draw z ~ p(z) (p(z|y) for a CVAE) and return E[x|z] (``mean=True``) or a draw
        x ~ p(x|z) (binary pixels, or m + s ⊙ ε), of shape (n, n_input) (NumPy)."""
        rng = as_generator(random_state)
        yy = self._check_y(y, n)
        with no_grad():
            prior = self._prior(yy)
            z = Tensor(normal(rng, (n, self.n_latent)))
            if prior is not None:
                z = z + prior[0]
            params = self.decoder_params(z, yy)
        if self.decoder_kind == "bernoulli":
            m = self._as_numpy(params.sigmoid())
            return m if mean else (rng.random(m.shape) < m).astype(m.dtype)
        m = self._as_numpy(params[0])
        if mean:
            return m
        s = self.decoder_std if params[1] is None else np.exp(0.5 * self._as_numpy(params[1]))
        return m + s * rng.standard_normal(m.shape).astype(m.dtype)

    def reconstruct(self, x, y=None):
        """E[x | z = μ(x)], shape (n, n_input) (NumPy)."""
        with no_grad():
            return self._as_numpy(self(x, self._check_y(y, len(as_batch(x, self.n_input)))))

    def _mu(self, x, y=None):
        with no_grad():
            return self._as_numpy(self.encode(x, y)[0])

    def interpolate(self, x_a, x_b, n_steps=10, y=None):
        """Decode z_t = (1 − t) μ(x_a) + t μ(x_b), t ∈ [0, 1] in ``n_steps`` steps.

        Returns an array of shape (n_steps, n_input).
        """
        ya = None if y is None else self._check_y(np.atleast_1d(y), 1)
        za, zb = self._mu(x_a, ya)[0], self._mu(x_b, ya)[0]
        t = np.linspace(0.0, 1.0, n_steps, dtype=za.dtype)[:, None]
        z = (1 - t) * za + t * zb
        yy = None if ya is None else np.repeat(ya, n_steps)
        with no_grad():
            return self._as_numpy(self.decode(Tensor(backend.asarray(z)), yy))

    def traverse(self, x, dim, values=None, y=None):
        """Decode μ(x) with coordinate ``dim`` set to each of ``values`` (default −3…3, 9).

        Returns an array of shape (len(values), n_input).
        """
        if not 0 <= dim < self.n_latent:
            raise ValueError(f"dim must be in [0, {self.n_latent}), got {dim}")
        values = np.linspace(-3, 3, 9) if values is None else np.asarray(values)
        ya = None if y is None else self._check_y(np.atleast_1d(y), 1)
        z = np.repeat(self._mu(x, ya)[:1], len(values), axis=0)
        z[:, dim] = values
        yy = None if ya is None else np.repeat(ya, len(values))
        with no_grad():
            return self._as_numpy(self.decode(Tensor(backend.asarray(z)), yy))

    def latent_grid(self, n=20, y=None):
        """The 2-D latent manifold: decode z on an n × n grid of Φ⁻¹ quantiles.

        zⱼ = Φ⁻¹((j + ½)/n) on each axis, so the grid covers the prior N(0, I) evenly in
        probability (Kingma & Welling, 2014, figure 4). Needs ``n_latent == 2``.

        Returns an array of shape (n * n, n_input) in reading order: row i has z₁ = q[n−1−i]
        (decreasing downwards), column j has z₂ = q[j] (increasing to the right).
        """
        if self.n_latent != 2:
            raise ValueError(f"latent_grid needs n_latent == 2, this model has {self.n_latent}")
        from scipy.stats import norm

        q = norm.ppf((np.arange(n) + 0.5) / n)
        z1, z2 = np.meshgrid(q[::-1], q, indexing="ij")
        z = np.stack([z1.ravel(), z2.ravel()], axis=1).astype(backend.get_default_dtype())
        yy = None if y is None else np.full(n * n, int(y))
        with no_grad():
            return self._as_numpy(self.decode(Tensor(backend.asarray(z)), yy))

    def extra_repr(self):
        return (
            f"n_input={self.n_input}, hidden={self.hidden}, n_latent={self.n_latent}, "
            f"decoder={self.decoder_kind!r}"
        )
