"""Gated PixelCNN: vertical and horizontal stacks, no blind spot (van den Oord et al. 2016b).

    tinygen train gated_pixelcnn --data binarized_mnist --channels 32 --layers 8
    tinygen sample gated_pixelcnn --checkpoint runs/<name> --n 64 --out samples.npy
    tinygen complete gated_pixelcnn --checkpoint runs/<name> --top-half --n 8 --out gated.png

Options and outputs: :mod:`tinygen.cli.models._autoregressive`.
"""

from ._autoregressive import Flag, Plugin

PLUGIN = Plugin(
    "gated_pixelcnn",
    "GatedPixelCNN",
    Flag("--channels", "channels", int, "p: feature maps of each stack (default 32)"),
    Flag("--layers", "n_layers", int, "gated layers (default 8)"),
    images=True,
)
add_train_args, train = PLUGIN.add_train_args, PLUGIN.train
add_sample_args, sample, load_model = PLUGIN.add_sample_args, PLUGIN.sample, PLUGIN.load
