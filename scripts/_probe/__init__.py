"""Building blocks of scripts/probe.py: the throw-away world, the loopback server and client,
and the three checks (fuzz, cross-tenant, concurrency). See `scripts/probe.py --help`."""
