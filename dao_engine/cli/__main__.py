"""``python -m dao_engine.cli ...``: the same as ``dao ...``."""

import sys

from dao_engine.cli import main

sys.exit(main())
