"""``python -m tests.emulator`` still starts the emulator for one release: use ``python -m emulator``."""

import sys

from emulator.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
