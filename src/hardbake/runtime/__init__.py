"""Runtime tools: resource-limit profiles, config generation, `run`, monitor, alerts, diagnose, cost."""
