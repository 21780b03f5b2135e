"""Entry point of ``dao-studio`` / ``python -m dao_app``."""

from __future__ import annotations

import sys


def main() -> int:
    from dao_app.app import run

    return run(sys.argv)


if __name__ == "__main__":
    sys.exit(main())
