"""``python -m graphmask.catalog.build``: regenerate (or ``--check``) layers.json."""

import sys

from graphmask.catalog.build.generate import main

sys.exit(main())
