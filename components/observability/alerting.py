"""Alert routing: Alertmanager receivers for Slack, Discord and PagerDuty.

The whole Alertmanager configuration is one `AlertmanagerConfig` (monitoring.coreos.com/
v1alpha1) that the Alertmanager uses as its top-level configuration
(`spec.alertmanagerConfiguration`). Receivers reference keys of one Kubernetes Secret for their
webhook URL or routing key (the CRD's `SecretKeySelector` fields `apiURL` and `routingKey`), so
no URL or key ever appears in Helm values, in the AlertmanagerConfig, or in plaintext in state:
the Secret is created from encrypted stack config, or synced by External Secrets from the cloud
secret manager.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components.security.secrets import SecretStoreRef, external_secret

RECEIVERS_SECRET = "alertmanager-receivers"
CONFIG_NAME = "platform"
# Keys of the receivers Secret (and of the JSON object a cloud secret holds).
SLACK_KEY = "slack"
DISCORD_KEY = "discord"
PAGERDUTY_KEY = "pagerduty"
# Receives what no chat or pager should: the always-firing Watchdog and InfoInhibitor.
BLACKHOLE = "blackhole"


class SlackReceiver(BaseModel):
    """Slack: an incoming webhook (its URL in the receivers Secret) and the channel."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str | None = Field(
        None, description="Channel to post to; None: the incoming webhook's own channel."
    )


class ReceiversArgs(BaseModel):
    """Where alerts go. Chat receivers (Slack, Discord) get warnings and critical alerts;
    PagerDuty gets critical ones only, so nobody is paged for what can wait."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    slack: SlackReceiver | None = Field(None, description="Post to Slack.")
    discord: bool = Field(False, description="Post to Discord.")
    pagerduty: bool = Field(False, description="Page through PagerDuty (Events API v2).")
    # Secret Outputs from config, keyed by SLACK_KEY / DISCORD_KEY / PAGERDUTY_KEY.
    secret_values: dict[str, Any] = Field(
        {}, description="Webhook URLs and routing key as secret Outputs, by receiver."
    )
    # A SecretStoreRef; typed loosely because pydantic cannot validate its Output fields.
    from_store: Any = Field(None, description="Store to read the values from instead.")
    store_key: str | None = Field(
        None, description="Remote key of a JSON object with one field per receiver."
    )

    @property
    def enabled(self) -> list[str]:
        return [
            key
            for key, on in (
                (SLACK_KEY, self.slack is not None),
                (DISCORD_KEY, self.discord),
                (PAGERDUTY_KEY, self.pagerduty),
            )
            if on
        ]

    @model_validator(mode="after")
    def _one_source(self) -> ReceiversArgs:
        if self.from_store is not None and not isinstance(self.from_store, SecretStoreRef):
            raise ValueError("from_store must be a SecretStoreRef")
        from_store = self.from_store is not None and self.store_key is not None
        if from_store and self.secret_values:
            raise ValueError("give receiver secrets either as secret_values or from a store")
        missing = [k for k in self.enabled if not from_store and k not in self.secret_values]
        if missing:
            raise ValueError(f"receivers {missing} have no secret value and no store")
        return self


def receivers_secret(
    cluster: Any,
    name: str,
    args: ReceiversArgs,
    *,
    namespace: str,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> pulumi.Resource:
    """The Secret the receivers read: synced from the cloud store, or created from config."""
    opts = cluster.child_opts(parent, depends_on=depends_on)
    if args.from_store is not None and args.store_key is not None:
        return external_secret(
            f"{name}-alert-receivers",
            store=args.from_store,
            namespace=namespace,
            target=RECEIVERS_SECRET,
            data={key: (args.store_key, key) for key in args.enabled},
            opts=opts,
        )
    return k8s.core.v1.Secret(
        f"{name}-alert-receivers",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=RECEIVERS_SECRET, namespace=namespace),
        type="Opaque",
        string_data={key: pulumi.Output.secret(args.secret_values[key]) for key in args.enabled},
        opts=opts,
    )


def _ref(key: str) -> dict[str, str]:
    return {"name": RECEIVERS_SECRET, "key": key}


def _receiver(key: str, args: ReceiversArgs) -> dict[str, Any]:
    if key == SLACK_KEY:
        slack: dict[str, Any] = {
            "apiURL": _ref(SLACK_KEY),
            "sendResolved": True,
            "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
            "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n"
            "{{ .Annotations.description }}\nWhat to do: {{ .Annotations.runbook }}\n"
            "{{ end }}",
        }
        if args.slack is not None and args.slack.channel:
            slack["channel"] = args.slack.channel
        return {"name": SLACK_KEY, "slackConfigs": [slack]}
    if key == DISCORD_KEY:
        return {
            "name": DISCORD_KEY,
            "discordConfigs": [
                {
                    "apiURL": _ref(DISCORD_KEY),
                    "sendResolved": True,
                    "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
                    "message": "{{ range .Alerts }}{{ .Annotations.summary }}\n"
                    "What to do: {{ .Annotations.runbook }}\n{{ end }}",
                }
            ],
        }
    return {
        "name": PAGERDUTY_KEY,
        "pagerdutyConfigs": [
            {
                "routingKey": _ref(PAGERDUTY_KEY),
                "sendResolved": True,
                "severity": "critical",
                "description": "{{ .CommonAnnotations.summary }}",
            }
        ],
    }


def _matcher(name: str, value: str, match_type: str = "=") -> dict[str, str]:
    return {"name": name, "value": value, "matchType": match_type}


def alertmanager_config_spec(args: ReceiversArgs | None) -> dict[str, Any]:
    """The top-level route, receivers and inhibitions.

    Alerts are grouped by name and namespace and wait 30s for their group to fill; a group
    is repeated every 4 hours while it fires. The Watchdog (always firing, a dead man's
    switch for the alerting pipeline itself) and InfoInhibitor go nowhere. A critical alert
    silences warnings of the same name and namespace, and an expiring certificate's critical
    alert its warning."""
    enabled = args.enabled if args is not None else []
    chat = [k for k in enabled if k != PAGERDUTY_KEY]
    routes: list[dict[str, Any]] = [
        {
            "receiver": BLACKHOLE,
            "matchers": [_matcher("alertname", "Watchdog|InfoInhibitor", "=~")],
        }
    ]
    if PAGERDUTY_KEY in enabled:
        routes.append(
            {
                "receiver": PAGERDUTY_KEY,
                "matchers": [_matcher("severity", "critical")],
                "continue": True,
                "repeatInterval": "1h",
            }
        )
    routes += [
        {
            "receiver": key,
            "matchers": [_matcher("severity", "critical|warning", "=~")],
            "continue": True,
        }
        for key in chat
    ]
    receivers = [{"name": BLACKHOLE}] + [_receiver(k, args) for k in enabled if args]
    return {
        "route": {
            "receiver": BLACKHOLE,
            "groupBy": ["alertname", "namespace"],
            "groupWait": "30s",
            "groupInterval": "5m",
            "repeatInterval": "4h",
            "routes": routes,
        },
        "receivers": receivers,
        "inhibitRules": [
            {
                "sourceMatch": [_matcher("severity", "critical")],
                "targetMatch": [_matcher("severity", "warning")],
                "equal": ["alertname", "namespace"],
            },
            {
                "sourceMatch": [_matcher("alertname", "CertificateAboutToExpire")],
                "targetMatch": [_matcher("alertname", "CertificateExpiringSoon")],
                "equal": ["exported_namespace", "name"],
            },
        ],
    }
