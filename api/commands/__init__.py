"""Subcommands of ``aanhuis``: each module has ``register(subparsers)``.

A command's handler is set with ``parser.set_defaults(handler=fn)``; ``fn(args) -> int`` returns the
exit code.
"""
