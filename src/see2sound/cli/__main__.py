"""``python -m see2sound.cli``."""

import sys

from . import main

sys.exit(main())
