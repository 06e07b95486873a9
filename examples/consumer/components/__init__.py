"""This project's own components, next to the ones kube-platform provides."""
