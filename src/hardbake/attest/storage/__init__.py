"""Where signatures and attestations are stored: one interface, one module per backend."""
