"""``python -m tinygen`` is the ``tinygen`` command."""

import sys

from .cli import main

sys.exit(main())
