BUGS = {
    "gaussian_kl": ("0.5 * np.sum", "np.sum"),  # forgot the ½
    "reparameterize_grad": ("0.5 * sigma * eps", "sigma * eps"),  # d exp(½ v)/dv without the ½
    "elbo": ("- log_q", "+ log_q"),  # the entropy term with the wrong sign
    "iwae_bound": ("np.exp(log_w - m)", "np.exp(log_w) * np.exp(-m)"),  # no max-subtraction
}
