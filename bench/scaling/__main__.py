"""``python -m bench.scaling``: see :mod:`bench.scaling`."""

import sys

from bench.scaling.run import main

sys.exit(main())
