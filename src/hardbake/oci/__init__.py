"""OCI images: value types, deterministic layers, and sources/sinks named for where bytes live."""
