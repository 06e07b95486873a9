"""Reusable Pulumi components for a production Kubernetes platform.

Components take a `Cluster` (see `kube_platform.components.cluster`) and typed args; they never
read Pulumi config or the stack name. `kube_platform.stacks` wires them from a stack's
configuration. One folder per concern: `cluster`, `traffic`, `data`, `security`, `gitops`,
`ci`; `kubernetes` holds the plumbing they share (Helm releases, namespaces, scheduling) and
`validation` the value types every argument model checks its inputs with.
"""
