"""Per-concern wiring: each module maps its part of a StackConfig to component arguments."""
