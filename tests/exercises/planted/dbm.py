BUGS = {
    "p_h1_given_v_h2": ("c1 + v @ W1 + h2 @ W2.T", "c1 + v @ W1"),  # h² ignored: the RBM's P(h|v)
    "mean_field_sweep": ("np.exp(-(c2 + new1 @ W2))", "np.exp(-(c2 + mu1 @ W2))"),  # μ² from the old μ¹
    "mean_field_bound": ("+ entropy(mu1) + entropy(mu2)", "+ entropy(mu1)"),  # H(μ²) dropped
    "log_partition": (  # h² not summed out: its softplus forgotten
        "a = a + np.logaddexp(0, H1 @ W2 + c2).sum(axis=1)  # h² summed out",
        "# (h² forgotten)",
    ),
    "log_p_hat": (" - np.log(len(log_w))", ""),  # the 1/k forgotten
}
