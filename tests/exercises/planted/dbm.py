BUGS = {
    "p_h1_given_v_h2": ("c1 + v @ W1 + h2 @ W2.T", "c1 + v @ W1"),  # h² ignored: the RBM's P(h|v)
    "mean_field_sweep": ("np.exp(-(c2 + mu1 @ W2))", "np.exp(-(mu1 @ W2))"),  # c² forgotten
    "mean_field_bound": ("+ entropy(mu1) + entropy(mu2)", "+ entropy(mu1)"),  # H(μ²) dropped
    "log_p_hat": ("m + np.log(np.mean(", "m + np.log(np.sum("),  # the 1/k forgotten
}
