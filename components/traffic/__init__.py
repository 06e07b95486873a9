"""Traffic into the cluster: Gateway API, the ingress controller, cloud load balancers,
certificates and DNS."""
