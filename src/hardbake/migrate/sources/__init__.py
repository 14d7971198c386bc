"""The kinds of file a migration reads: one module per kind, dispatched in `hardbake.migrate.scan`."""
