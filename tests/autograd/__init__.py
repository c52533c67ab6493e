"""Tests of tinygen.autograd (Tensor, primitive ops), tinygen.functional and check_grads."""
