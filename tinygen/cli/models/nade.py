"""NADE: the neural autoregressive distribution estimator (Larochelle & Murray 2011).

    tinygen train nade --data binarized_mnist --hidden 500 --epochs 10 --lr 1e-3
    tinygen sample nade --checkpoint runs/<name> --n 64 --out samples.npy
    tinygen complete nade --checkpoint runs/<name> --top-half --n 8 --out nade.png

Options and outputs: :mod:`tinygen.cli.models._autoregressive`.
"""

from ._autoregressive import Flag, Plugin

PLUGIN = Plugin("nade", "NADE", Flag("--hidden", "n_hidden", int, "hidden units H (default 500)"))
add_train_args, train = PLUGIN.add_train_args, PLUGIN.train
add_sample_args, sample, load_model = PLUGIN.add_sample_args, PLUGIN.sample, PLUGIN.load
