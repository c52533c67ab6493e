BUGS = {
    "p_h_given_v": ("-(v @ W + c)", "-(v @ W - c)"),  # the hidden bias with the wrong sign
    "p_v_given_h": ("h @ W.T + b", "h @ W + b"),  # W not transposed
    "free_energy": ("-(v @ b) - softplus", "-softplus"),  # dropped the visible-bias term
    "cd_gradient": ("v_data.T @ ph_data / len(v_data)", "v_data.T @ ph_data"),  # no 1/N
}
