"""``python -m spinefairbench``: the same command table as the console script."""

import sys

from spinefairbench.cli import main

sys.exit(main())
