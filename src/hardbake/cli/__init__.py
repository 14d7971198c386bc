"""The command line: one module per verb, thin. Nothing imports this package."""
