"""``python -m metastasim.cli``: the same as the ``metastasim`` command."""

import sys

from metastasim.cli import main

sys.exit(main())
