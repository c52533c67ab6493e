BUGS = {
    "Tanh": ("1 - self.z * self.z", "1 + self.z * self.z"),  # a sign
    "unbroadcast": ("keepdims=True", "keepdims=False"),  # loses the size-1 axes
    "matmul_backward": ("X.T @ G", "G.T @ X"),  # transposed
    "logsumexp": ("np.exp(x - m)", "np.exp(x) * np.exp(-m)"),  # overflows
}
