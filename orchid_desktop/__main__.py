"""``python -m orchid_desktop`` is the same as the ``orchid-desktop`` command."""

import sys

from orchid_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
