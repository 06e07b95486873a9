"""Reusable Pulumi components for a production Kubernetes platform.

Components take a `Cluster` (see `components.cluster`) and typed args; they never read Pulumi
config or the stack name. `stacks/` wires them from a stack's configuration.
"""
