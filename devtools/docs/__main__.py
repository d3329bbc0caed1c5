"""``python -m devtools.docs [--check]``: regenerate (or check) every generated doc."""

import sys

from devtools.docs import main

sys.exit(main())
