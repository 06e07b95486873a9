"""GitOps engines: Flux through the Flux operator, or Argo CD, each syncing this cluster's
path of a fleet repository, with the platform facts published for Git."""

from kube_platform.components.gitops.argocd import ArgoCd, ArgoCdArgs, ArgoCdRoute
from kube_platform.components.gitops.credentials import RepositoryCredentials, SecretSource
from kube_platform.components.gitops.facts import CONFIG_MAP, DATABASE_FACTS, FACTS, Fact
from kube_platform.components.gitops.flux import (
    Flux,
    FluxArgs,
    FluxNotifications,
    FluxSource,
    SopsDecryption,
)

__all__ = [
    "CONFIG_MAP",
    "DATABASE_FACTS",
    "FACTS",
    "ArgoCd",
    "ArgoCdArgs",
    "ArgoCdRoute",
    "Fact",
    "Flux",
    "FluxArgs",
    "FluxNotifications",
    "FluxSource",
    "RepositoryCredentials",
    "SecretSource",
    "SopsDecryption",
]
