"""Observability: the prometheus-operator CRDs, kube-prometheus-stack (Prometheus, Alertmanager,
Grafana, kube-state-metrics, node-exporter), the platform's alerts, alert routing to chat and
paging services, dashboards, and remote write to a managed Prometheus service."""
