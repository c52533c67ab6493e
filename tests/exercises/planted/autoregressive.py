BUGS = {
    "raster_mask": ("(u == 0) & (v < 0)", "(u == 0) & (v <= 0)"),  # mask A keeps the centre
    "fvsbn_log_prob": ("np.tril(W, -1)", "np.tril(W)"),  # the diagonal: x_i predicts itself
    "nade_log_prob": (  # the hidden layer of step i already sees x_i
        "h = 1 / (1 + np.exp(-a))",
        "h = 1 / (1 + np.exp(-(a + np.outer(X[:, i], W[:, i]))))",
    ),
}
