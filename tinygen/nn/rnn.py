"""Long short-term memory cell.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd import Tensor
from ..autograd.ops import Linear as _LinearOp
from ..rng import as_generator
from . import init
from .module import Module, Parameter

__all__ = ["LSTMCell"]


class LSTMCell(Module):
    """One step of an LSTM: (x, (h, c)) ↦ (h', c').

    .. math::

        i &= \\sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi})\\\\
        f &= \\sigma(W_{if} x + b_{if} + W_{hf} h + b_{hf})\\\\
        g &= \\tanh(W_{ig} x + b_{ig} + W_{hg} h + b_{hg})\\\\
        o &= \\sigma(W_{io} x + b_{io} + W_{ho} h + b_{ho})\\\\
        c' &= f \\odot c + i \\odot g\\\\
        h' &= o \\odot \\tanh(c')

    The four gates' weights are stacked in the order (i, f, g, o), as in PyTorch:
    ``weight_ih`` of shape (4·hidden_size, input_size), ``weight_hh`` of shape
    (4·hidden_size, hidden_size), ``bias_ih`` and ``bias_hh`` of shape (4·hidden_size,);
    all initialised U(−1/√hidden_size, 1/√hidden_size).

    Parameters
    ----------
    input_size, hidden_size : int
    bias : bool, default True
    random_state : int, Generator or None

    Shapes: x (batch, input_size), h and c (batch, hidden_size); the state defaults to
    zeros. Returns ``(h', c')``.

    References
    ----------
    Hochreiter & Schmidhuber (1997), "Long short-term memory", Neural Computation 9(8);
    Gers, Schmidhuber & Cummins (2000), "Learning to forget: continual prediction with
    LSTM", Neural Computation 12(10).
    """

    def __init__(self, input_size, hidden_size, bias=True, *, random_state=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        H = self.hidden_size
        rng = as_generator(random_state)
        k = 1.0 / math.sqrt(H)

        def u(shape):
            return Parameter(init.uniform(shape, -k, k, random_state=rng, dtype=dtype))

        self.weight_ih = u((4 * H, self.input_size))
        self.weight_hh = u((4 * H, H))
        if bias:
            self.bias_ih = u((4 * H,))
            self.bias_hh = u((4 * H,))
        else:
            self.bias_ih = None
            self.bias_hh = None

    def forward(self, x, state=None):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        H = self.hidden_size
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(
                f"LSTMCell({self.input_size}, {H}): input must have shape (batch, "
                f"{self.input_size}), got {tuple(x.shape)}"
            )
        if state is None:
            zeros = backend.xp().zeros((x.shape[0], H), dtype=x.dtype)
            h, c = Tensor(zeros), Tensor(zeros)
        else:
            h, c = state
            h = h if isinstance(h, Tensor) else Tensor(h)
            c = c if isinstance(c, Tensor) else Tensor(c)
        if self.bias_ih is not None:
            gates = _LinearOp.apply(x, self.weight_ih, self.bias_ih) + _LinearOp.apply(
                h, self.weight_hh, self.bias_hh
            )
        else:
            gates = _LinearOp.apply(x, self.weight_ih) + _LinearOp.apply(h, self.weight_hh)
        i = gates[:, 0:H].sigmoid()
        f = gates[:, H : 2 * H].sigmoid()
        g = gates[:, 2 * H : 3 * H].tanh()
        o = gates[:, 3 * H : 4 * H].sigmoid()
        c_new = f * c + i * g
        h_new = o * c_new.tanh()
        return h_new, c_new

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}"
