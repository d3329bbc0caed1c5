"""One module per subcommand: ``register(subparsers) -> parser`` and ``run(args) -> int``."""
