"""FVSBN: the fully visible sigmoid belief net, logistic regression on the past (Frey 1998).

    tinygen train fvsbn --data binarized_mnist --epochs 10 --lr 1e-3
    tinygen sample fvsbn --checkpoint runs/<name> --n 64 --out samples.npy
    tinygen complete fvsbn --checkpoint runs/<name> --top-half --n 8 --out fvsbn.png

Options and outputs: :mod:`tinygen.cli.models._autoregressive`.
"""

from ._autoregressive import Plugin

PLUGIN = Plugin("fvsbn", "FVSBN")
add_train_args, train = PLUGIN.add_train_args, PLUGIN.train
add_sample_args, sample, load_model = PLUGIN.add_sample_args, PLUGIN.sample, PLUGIN.load
