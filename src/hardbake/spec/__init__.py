"""The typed image spec: model, YAML loading with positions, JSON Schema, the shipped catalog."""
