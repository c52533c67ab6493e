"""PixelRNN: LSTMs over the rows of binary images (van den Oord et al. 2016a).

    tinygen train pixelrnn --data binarized_mnist --channels 32 --layers 2
    tinygen sample pixelrnn --checkpoint runs/<name> --n 64 --out samples.npy
    tinygen complete pixelrnn --checkpoint runs/<name> --top-half --n 8 --out pixelrnn.png

Needs ``tinygen.models.PixelRNN`` (looked up when a command runs; a clear error without it).
Options and outputs: :mod:`tinygen.cli.models._autoregressive`.
"""

from ._autoregressive import Flag, Plugin

PLUGIN = Plugin(
    "pixelrnn",
    "PixelRNN",
    Flag("--channels", "channels", int, "hidden state width (default: PixelRNN's own)"),
    Flag("--layers", "n_layers", int, "LSTM layers (default: PixelRNN's own)"),
    images=True,
)
add_train_args, train = PLUGIN.add_train_args, PLUGIN.train
add_sample_args, sample, load_model = PLUGIN.add_sample_args, PLUGIN.sample, PLUGIN.load
