from graphmask.cli import entry

entry()
