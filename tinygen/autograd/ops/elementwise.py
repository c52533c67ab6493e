"""Element-wise primitives: each op's forward and backward side by side.

Binary ops broadcast like NumPy; the base class sums gradients back to each input's shape.
"""

from __future__ import annotations

from ...backend import get_array_module
from ...numerics import sigmoid
from ..function import Function


class Add(Function):
    """z = x + y;  ∂z/∂x = 1, ∂z/∂y = 1."""

    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g, g


class Sub(Function):
    """z = x − y;  ∂z/∂x = 1, ∂z/∂y = −1."""

    def forward(self, x, y):
        return x - y

    def backward(self, g):
        return g, -g


class Mul(Function):
    """z = x · y;  ∂z/∂x = y, ∂z/∂y = x."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, g):
        a, b = self.parents
        return (g * self.y if a.requires_grad else None, g * self.x if b.requires_grad else None)


class Div(Function):
    """z = x / y;  ∂z/∂x = 1/y, ∂z/∂y = −x/y²."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x / y

    def backward(self, g):
        a, b = self.parents
        gx = g / self.y
        return (gx if a.requires_grad else None, -gx * self.x / self.y if b.requires_grad else None)


class Neg(Function):
    """z = −x."""

    def forward(self, x):
        return -x

    def backward(self, g):
        return (-g,)


class PowConst(Function):
    """z = xᵖ for a constant p;  ∂z/∂x = p xᵖ⁻¹."""

    def forward(self, x, p):
        self.x, self.p = x, p
        return x**p

    def backward(self, g):
        p = self.p
        return (g * (p * self.x ** (p - 1)).astype(g.dtype, copy=False),)


class Pow(Function):
    """z = xʸ;  ∂z/∂x = y xʸ⁻¹, ∂z/∂y = xʸ log x."""

    def forward(self, x, y):
        self.x, self.y = x, y
        self.z = x**y
        return self.z

    def backward(self, g):
        xp = get_array_module(g)
        a, b = self.parents
        gx = g * self.y * self.x ** (self.y - 1) if a.requires_grad else None
        gy = None
        if b.requires_grad:
            with_log = xp.log(xp.where(self.x > 0, self.x, 1))
            gy = g * self.z * with_log
        return gx, gy


class Exp(Function):
    """z = exp(x);  ∂z/∂x = exp(x) = z."""

    def forward(self, x):
        self.z = get_array_module(x).exp(x)
        return self.z

    def backward(self, g):
        return (g * self.z,)


class Expm1(Function):
    """z = eˣ − 1, accurate for small x;  ∂z/∂x = eˣ = z + 1."""

    def forward(self, x):
        self.z = get_array_module(x).expm1(x)
        return self.z

    def backward(self, g):
        return (g * (self.z + 1),)


class Log(Function):
    """z = log(x);  ∂z/∂x = 1/x."""

    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, g):
        return (g / self.x,)


class Log1p(Function):
    """z = log(1 + x), accurate for small x;  ∂z/∂x = 1/(1 + x)."""

    def forward(self, x):
        self.x = x
        return get_array_module(x).log1p(x)

    def backward(self, g):
        return (g / (1 + self.x),)


class Sqrt(Function):
    """z = √x;  ∂z/∂x = 1/(2√x)."""

    def forward(self, x):
        self.z = get_array_module(x).sqrt(x)
        return self.z

    def backward(self, g):
        return (g / (2 * self.z),)


class Tanh(Function):
    """z = tanh(x);  ∂z/∂x = 1 − z²."""

    def forward(self, x):
        self.z = get_array_module(x).tanh(x)
        return self.z

    def backward(self, g):
        return (g * (1 - self.z * self.z),)


class Sigmoid(Function):
    """z = σ(x) = 1/(1 + e⁻ˣ);  ∂z/∂x = z(1 − z).

    Computed as ½(1 + tanh(x/2)) (:func:`tinygen.numerics.sigmoid`), which never overflows.
    """

    def forward(self, x):
        self.z = sigmoid(x)
        return self.z

    def backward(self, g):
        return (g * self.z * (1 - self.z),)


class ReLU(Function):
    """z = max(x, 0);  ∂z/∂x = 1[x > 0] = 1[z > 0] (so only z is kept)."""

    def forward(self, x):
        self.z = get_array_module(x).maximum(x, 0)
        return self.z

    def backward(self, g):
        return (g * (self.z > 0),)


class LeakyReLU(Function):
    """z = x if x > 0 else a·x;  ∂z/∂x = 1 or a."""

    def forward(self, x, negative_slope=0.01):
        xp = get_array_module(x)
        self.slope = xp.where(x > 0, x.dtype.type(1), x.dtype.type(negative_slope))
        return x * self.slope

    def backward(self, g):
        return (g * self.slope,)


class Abs(Function):
    """z = |x|;  ∂z/∂x = sign(x) (0 at 0)."""

    def forward(self, x):
        xp = get_array_module(x)
        self.sign = xp.sign(x)
        return xp.abs(x)

    def backward(self, g):
        return (g * self.sign,)


class Maximum(Function):
    """z = max(x, y) elementwise; the gradient goes to the larger input (x on ties)."""

    def forward(self, x, y):
        self.mask = x >= y
        return get_array_module(x).maximum(x, y)

    def backward(self, g):
        return g * self.mask, g * ~self.mask


class Where(Function):
    """z = x where cond else y;  ∂z/∂x = 1[cond], ∂z/∂y = 1[¬cond]."""

    def forward(self, x, y, cond):
        self.cond = cond
        return get_array_module(x).where(cond, x, y)

    def backward(self, g):
        zero = g.dtype.type(0)
        xp = get_array_module(g)
        return xp.where(self.cond, g, zero), xp.where(self.cond, zero, g)


class Clip(Function):
    """z = min(max(x, lo), hi);  ∂z/∂x = 1[lo ≤ x ≤ hi]."""

    def forward(self, x, lo=None, hi=None):
        xp = get_array_module(x)
        z = x if lo is None else xp.maximum(x, lo)
        if hi is not None:
            z = xp.minimum(z, hi)
        self.x = x
        self.z = z = x.copy() if z is x else z.astype(x.dtype, copy=False)
        return z

    def backward(self, g):
        return (g * (self.z == self.x),)  # 1 where x was inside [lo, hi] (z = x there)


class Cast(Function):
    """z = x cast to another dtype; the gradient is cast back."""

    def forward(self, x, dtype):
        self.src = x.dtype
        return x.astype(dtype)

    def backward(self, g):
        return (g.astype(self.src),)
