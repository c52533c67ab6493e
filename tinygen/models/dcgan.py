r"""DCGAN for 28 × 28 images, optionally conditional on a class label.

The architecture follows the guidelines of Radford, Metz & Chintala (2016, §3): no
pooling — strided convolutions downsample in D and transposed convolutions upsample in G;
batch norm in both networks except G's output and D's input layers; ReLU in G with a
bounded output (here a sigmoid, so images live in [0, 1]); LeakyReLU(0.2) in D; Adam with
β₁ = 0.5.

    G: z (n, n_latent) [‖ one-hot y] → Linear → BN → ReLU → (2w, 7, 7)
       → ConvT(2w → w, 4, stride 2, pad 1) → BN → ReLU → (w, 14, 14)
       → ConvT(w → 1, 4, stride 2, pad 1) → sigmoid → x (n, 1, 28, 28)
    D: x [‖ label map] → Conv(1 → w, 4, 2, 1) → LeakyReLU → (w, 14, 14)
       → Conv(w → 2w, 4, 2, 1) → BN → LeakyReLU → (2w, 7, 7) → Linear → one logit

The conditional GAN (Mirza & Osindero, 2014) feeds the label to both players: G gets the
one-hot y appended to z; D gets a learned 28 × 28 map of y (an :class:`~tinygen.nn.Embedding`
row reshaped) as a second input channel, so its first convolution can relate the label to
every position of the image. ``lessons/gan.py`` §7-§8.

References
----------
Radford, A., Metz, L. & Chintala, S. (2016). Unsupervised representation learning with
    deep convolutional generative adversarial networks. ICLR.
Mirza, M. & Osindero, S. (2014). Conditional generative adversarial nets. arXiv:1411.1784.
Lin, Z., Khetan, A., Fanti, G. & Oh, S. (2018). PacGAN: the power of two samples in
    generative adversarial networks. NeurIPS.
"""

from __future__ import annotations

from .. import functional as F
from ..autograd import Tensor
from ..nn import (
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    ConvTranspose2d,
    Embedding,
    LeakyReLU,
    Linear,
    Module,
    ReLU,
)
from ..rng import as_generator
from .gan import GAN, _check_pack, _one_hot

__all__ = ["DCGAN"]


class _Generator(Module):
    def __init__(self, n_latent, width, n_classes, rng):
        super().__init__()
        self.width, self.n_classes = width, n_classes
        self.fc = Linear(n_latent + (n_classes or 0), 2 * width * 49, random_state=rng)
        self.bn0 = BatchNorm1d(2 * width * 49)
        self.up1 = ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, random_state=rng)
        self.bn1 = BatchNorm2d(width)
        self.up2 = ConvTranspose2d(width, 1, 4, stride=2, padding=1, random_state=rng)
        self.relu = ReLU()

    def forward(self, z, y=None):
        if self.n_classes:
            z = F.concatenate([z, Tensor(_one_hot(y, self.n_classes, z.dtype))], axis=1)
        h = self.relu(self.bn0(self.fc(z))).reshape(len(z), 2 * self.width, 7, 7)
        h = self.relu(self.bn1(self.up1(h)))
        return F.sigmoid(self.up2(h))


class _Discriminator(Module):
    def __init__(self, width, n_classes, rng, pack=1):
        super().__init__()
        self.width, self.n_classes = width, n_classes
        if n_classes:
            self.label_map = Embedding(n_classes, 28 * 28, random_state=rng)
        # input channels: the pack's images (PacGAN), or the image and its label map
        self.conv1 = Conv2d(pack + (1 if n_classes else 0), width, 4, 2, 1, random_state=rng)
        self.conv2 = Conv2d(width, 2 * width, 4, 2, 1, random_state=rng)
        self.bn2 = BatchNorm2d(2 * width)
        self.act = LeakyReLU(0.2)
        self.fc = Linear(2 * width * 49, 1, random_state=rng)

    def features(self, x, y=None):
        """The last hidden layer f(x), of shape (n, 2·width·7·7), that the logit reads."""
        if self.n_classes:
            m = self.label_map(y).reshape(len(x), 1, 28, 28)
            x = F.concatenate([x, m], axis=1)
        h = self.act(self.conv1(x))
        h = self.act(self.bn2(self.conv2(h)))
        return h.reshape(len(x), 2 * self.width * 49)

    def forward(self, x, y=None):
        return self.fc(self.features(x, y))


class DCGAN(GAN):
    """A DCGAN (or, with ``conditional=True``, a conditional DCGAN) for 28 × 28 images in [0, 1].

    Parameters
    ----------
    n_latent : int, default 64
    width : int, default 64
        w: G's last hidden layer and D's first have w channels, the next 2w.
    conditional : bool, default False
        Condition both networks on a label in 0 … n_classes − 1.
    n_classes : int, default 10
    objective, k, instance_noise, noise_anneal_steps : see :class:`~tinygen.models.GAN`
    pack : int, default 1
        PacGAN's m (Lin et al., 2018): D's first convolution takes m images as m channels
        and judges them together. Unconditional only.
    ema_decay : float in (0, 1) or None
        β of the averaged generator that ``sample`` uses (see :class:`~tinygen.models.GAN`).
    random_state : int, Generator or None

    Shapes: images (n, 1, 28, 28) (also accepted as (n, 784) or (n, 28, 28)), values in
    [0, 1]; samples (n, 1, 28, 28); labels (n,) ints.
    """

    def __init__(
        self,
        n_latent=64,
        width=64,
        conditional=False,
        n_classes=10,
        objective="non_saturating",
        k=1,
        instance_noise=0.0,
        noise_anneal_steps=None,
        pack=1,
        ema_decay=None,
        random_state=None,
        **_ignored,  # data_range / data_shape of a saved config: fixed by the architecture
    ):
        if int(width) < 1 or int(n_latent) < 1:
            raise ValueError(f"width and n_latent must be positive, got {width}, {n_latent}")
        rng = as_generator(random_state)
        nc = int(n_classes) if conditional else None
        super().__init__(
            _Generator(int(n_latent), int(width), nc, rng),
            _Discriminator(int(width), nc, rng, pack=_check_pack(pack, nc)),
            n_latent=n_latent,
            objective=objective,
            k=k,
            instance_noise=instance_noise,
            noise_anneal_steps=noise_anneal_steps,
            data_range=(0.0, 1.0),
            n_classes=nc,
            data_shape=(1, 28, 28),
            pack=pack,
            ema_decay=ema_decay,
        )
        self.width, self.conditional = int(width), bool(conditional)
        self.n_classes_total = int(n_classes)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(width=self.width, conditional=self.conditional, n_classes=self.n_classes_total)
        return cfg
