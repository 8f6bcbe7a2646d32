"""One module per command family.  Each command is a pure core (frozen
dataclass results, no printing) plus a thin ``run(args) -> int``."""
