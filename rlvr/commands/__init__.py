"""One module per `rlvr` sub-command; each exposes `add_arguments(parser)` and `run(args) -> int`."""
