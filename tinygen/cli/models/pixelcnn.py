"""PixelCNN: masked convolutions over binary images (van den Oord et al. 2016a).

    tinygen train pixelcnn --data binarized_mnist --channels 32 --layers 7 --time-budget 3600
    tinygen sample pixelcnn --checkpoint runs/<name> --n 64 --out samples.npy
    tinygen complete pixelcnn --checkpoint runs/<name> --top-half --n 8 --out pixelcnn.png

Options and outputs: :mod:`tinygen.cli.models._autoregressive`.
"""

from ._autoregressive import Flag, Plugin

PLUGIN = Plugin(
    "pixelcnn",
    "PixelCNN",
    Flag("--channels", "channels", int, "h: 2h feature maps in the residual stream (default 32)"),
    Flag("--layers", "n_blocks", int, "residual blocks (default 7)"),
    images=True,
)
add_train_args, train = PLUGIN.add_train_args, PLUGIN.train
add_sample_args, sample, load_model = PLUGIN.add_sample_args, PLUGIN.sample, PLUGIN.load
