"""Output formats of `hardbake limits`: one module per format, dispatched in interface.py."""
