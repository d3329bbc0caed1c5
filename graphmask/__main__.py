import sys

from graphmask.cli import main

sys.exit(main())
