"""Bad ingress, certificate and DNS configuration is rejected with a clear message."""

from __future__ import annotations

import pytest

from tests.test_config_errors import EKS, GKE, assert_rejected, base, cloud, errors_of

DOMAIN = {"domain": "apps.example.com"}
EMAIL = {"acmeEmail": "ops@example.com"}
R53 = {"hostedZoneId": "Z0123456789ABC"}
KEYS = {"accessKeyId": "AKIAEXAMPLE", "secretAccessKey": {"secure": "v1:AAAA"}}

CASES = {
    "Let's Encrypt without an e-mail": (
        base(ingress=DOMAIN, certificates={"issuer": "letsencrypt"}),
        "platform:certificates.acmeEmail: the platform certificate is issued by 'letsencrypt' "
        "(Let's Encrypt), which needs an ACME account e-mail; set certificates.acmeEmail, or "
        "set certificates.issuer to 'private-ca'",
    ),
    "prod tier default issuer without an e-mail": (
        cloud(EKS, tier="prod", ingress=DOMAIN),
        "platform:certificates.acmeEmail: the platform certificate is issued by 'letsencrypt'",
    ),
    "invalid DNS zone": (
        base(dns={"zone": "example..com"}),
        "platform:dns.zone: 'example..com' is not a valid DNS domain",
    ),
    "wildcard without DNS-01": (
        base(ingress=DOMAIN, certificates={**EMAIL, "issuer": "letsencrypt", "wildcard": True}),
        "platform:certificates.wildcard: a wildcard certificate from 'letsencrypt' needs the "
        "DNS-01 challenge, which needs a DNS zone; set dns.zone (with dns.route53 or "
        "dns.cloudDns), or set certificates.wildcard to false",
    ),
    "DNS on an existing cluster without credentials": (
        base(ingress=DOMAIN, dns={"zone": "example.com", "route53": R53}),
        "platform:dns.route53: DNS-01 and external-dns on an existing cluster need credentials "
        "(it has no cloud workload identity); set dns.route53.accessKeyId and "
        "dns.route53.secretAccessKey (secret), or remove dns.zone",
    ),
    "Cloud DNS on an existing cluster without a key": (
        base(dns={"zone": "example.com", "cloudDns": {"managedZone": "z", "project": "acme-1"}}),
        "platform:dns.cloudDns: DNS-01 and external-dns on an existing cluster need credentials "
        "(it has no cloud workload identity); set dns.cloudDns.serviceAccountKey (secret), or "
        "remove dns.zone",
    ),
    "DNS zone on an existing cluster without a provider": (
        base(dns={"zone": "example.com"}),
        "platform:dns: dns.zone is set on an existing cluster; say where the zone is hosted",
    ),
    "zone not containing the domain": (
        base(ingress=DOMAIN, dns={"zone": "example.org", "route53": {**R53, **KEYS}}),
        "platform:dns.zone: zone 'example.org' does not contain ingress.domain "
        "'apps.example.com'; use the zone the domain belongs to",
    ),
    "Route53 hosted zone id missing on EKS": (
        cloud(EKS, dns={"zone": "example.com"}),
        "platform:dns.route53: dns.zone is set and the cluster runs on EKS, which manages the "
        "zone through dns.route53; set dns.route53.hostedZoneId",
    ),
    "Cloud DNS managed zone missing on GKE": (
        cloud(GKE, dns={"zone": "example.com", "route53": R53}),
        "platform:dns.cloudDns: dns.zone is set and the cluster runs on GKE, which manages the "
        "zone through dns.cloudDns; set dns.cloudDns.managedZone and remove dns.route53",
    ),
    "malformed hosted zone id": (
        cloud(EKS, dns={"zone": "example.com", "route53": {"hostedZoneId": "/hostedzone/Z1"}}),
        "platform:dns.route53.hostedZoneId: '/hostedzone/Z1' is not a Route53 hosted zone id",
    ),
    "static credentials on EKS": (
        cloud(EKS, dns={"zone": "example.com", "route53": {**R53, **KEYS}}),
        "platform:dns.route53: static DNS credentials are for existing clusters; on EKS "
        "cert-manager and external-dns use workload identity, so remove them",
    ),
    "half an access key": (
        base(dns={"zone": "example.com", "route53": {**R53, "accessKeyId": "AKIAEXAMPLE"}}),
        "platform:dns.route53: accessKeyId and secretAccessKey go together",
    ),
    "provider without a zone": (
        base(dns={"route53": R53}),
        "platform:dns.route53: dns.route53 is set without dns.zone",
    ),
    "NodePort on a cloud cluster": (
        cloud(GKE, ingress={"serviceType": "NodePort"}),
        "platform:ingress.serviceType: NodePort applies to existing clusters only",
    ),
    "one ingress replica with HA": (
        base(highAvailability=True, ingress={"replicas": 1}),
        "platform:ingress.replicas: high availability needs at least 2 ingress replicas",
    ),
    "GKE older than the Gateway API bundle Traefik needs": (
        cloud({**GKE, "kubernetesVersion": "1.35"}),
        "platform:cluster.kubernetesVersion: GKE owns the Gateway API CRDs and pins them per "
        "version; the Traefik chart 41.3.0 needs TLSRoute v1 (Gateway API v1.5), which GKE "
        'ships from 1.36 on; set cluster.kubernetesVersion to "1.36"',
    ),
    "hostnames without a domain": (
        base(access={"namespaces": [{"name": "shop", "hostnames": ["shop.example.com"]}]}),
        "platform:access.namespaces[0].hostnames: hostnames are served over HTTPS under "
        "ingress.domain; set ingress.domain",
    ),
    "hostname outside the domain": (
        base(ingress=DOMAIN, access={"namespaces": [{"name": "shop", "hostnames": ["shop.io"]}]}),
        "platform:access.namespaces[0].hostnames: 'shop.io' is outside ingress.domain "
        "'apps.example.com'; list names under it, such as 'shop.apps.example.com'",
    ),
    "a hostname that is not one": (
        base(ingress=DOMAIN, access={"namespaces": [{"name": "a", "hostnames": ["a.*.b.com"]}]}),
        "platform:access.namespaces[0].hostnames[0]: 'a.*.b.com' is not a hostname; use a DNS "
        "name such as 'shop.apps.example.com', optionally with a leading '*.' label such as "
        "'*.shop.apps.example.com'",
    ),
    "one hostname in two namespaces": (
        base(
            ingress=DOMAIN,
            access={
                "namespaces": [
                    {"name": "a", "hostnames": ["*.apps.example.com"]},
                    {"name": "b", "hostnames": ["b.apps.example.com"]},
                ]
            },
        ),
        "platform:access.namespaces[1].hostnames: 'b.apps.example.com' overlaps "
        "'*.apps.example.com' of namespace 'a' (platform:access.namespaces[0].hostnames); give "
        "each name to one namespace only",
    ),
    "a hostname listed twice": (
        base(
            ingress=DOMAIN,
            access={"namespaces": [{"name": "a", "hostnames": ["a.apps.example.com"] * 2}]},
        ),
        "platform:access.namespaces[0].hostnames: 'a.apps.example.com' is listed twice; list "
        "it once",
    ),
    "a wildcard and the name its listener is spelled as": (
        base(
            ingress=DOMAIN,
            access={
                "namespaces": [
                    {
                        "name": "a",
                        "hostnames": ["*.a.apps.example.com", "wildcard.a.apps.example.com"],
                    }
                ]
            },
        ),
        "platform:access.namespaces[0].hostnames: 'wildcard.a.apps.example.com' and "
        "'*.a.apps.example.com' would both get the HTTPS listener 'wildcard.a.apps.example.com' "
        "(a listener name spells '*' as 'wildcard'); list only one of them",
    ),
    "a wildcard hostname from Let's Encrypt without DNS-01": (
        cloud(
            EKS,
            ingress=DOMAIN,
            certificates=EMAIL,
            access={"namespaces": [{"name": "a", "hostnames": ["*.a.apps.example.com"]}]},
        ),
        "platform:access.namespaces[0].hostnames: '*.a.apps.example.com' needs a wildcard "
        "certificate from 'letsencrypt-staging', which needs the DNS-01 challenge; set dns.zone, "
        "or list exact hostnames",
    ),
    "more hostnames than listeners": (
        base(
            ingress=DOMAIN,
            access={
                "namespaces": [
                    {"name": "a", "hostnames": [f"a{i}.apps.example.com" for i in range(64)]}
                ]
            },
        ),
        "platform:access.namespaces: 65 hostnames (with grafana.apps.example.com of platform "
        "services) need an HTTPS listener each; the Gateway holds at most 63; use wildcards "
        "for application hostnames",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_traffic_config_is_rejected_with_a_clear_message(case):
    assert_rejected(*CASES[case])


def test_credentials_never_appear_in_messages():
    config = base(dns={"zone": "example.com", "route53": {**R53, **KEYS}}, tier="qa")
    assert not any("AAAA" in line for line in errors_of(config))
