BUGS = {
    "optimal_discriminator": ("p_data[seen] / total", "p_g[seen] / total"),  # the two swapped
    "js_divergence": ("m = 0.5 * (p + q)", "m = p + q"),  # the mixture without its ½
    "discriminator_loss": ("np.logaddexp(0, fake_logits)", "np.logaddexp(0, -fake_logits)"),  # label 1 on the samples
    "generator_grads": ("-(1 - s)", "-s * (1 - s)"),  # σ'(a) in place of ∂(−log σ(a))/∂a
}
