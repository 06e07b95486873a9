"""Kubernetes plumbing every component shares: Helm releases, namespaces and scheduling."""
