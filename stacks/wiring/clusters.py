"""The cluster: an existing one, EKS or GKE, behind the common contract."""

from __future__ import annotations

from typing import Any

import pulumi

from kube_platform.components.cluster import (
    Cluster,
    ExistingCluster,
    ExistingClusterArgs,
    Taint,
)
from kube_platform.components.cluster.eks import EksCluster, EksClusterArgs, EksNodeGroupArgs
from kube_platform.components.cluster.eks_deploy_runner import EksDeployRunnerArgs
from kube_platform.components.cluster.eks_deployer import ForeignDeployerError
from kube_platform.components.cluster.gke import GkeCluster, GkeClusterArgs
from kube_platform.components.cluster.gke_network import GkeNetworkArgs
from kube_platform.components.cluster.gke_node_pools import GkeNodePoolArgs
from kube_platform.components.errors import ConfigurationError
from kube_platform.stacks import footprint
from kube_platform.stacks.config import NodePoolConfig, StackConfig, Tier


def make_cluster(cfg: StackConfig, stack: str) -> Cluster:
    name = cfg.cluster_name(stack)
    kind = cfg.cluster.kind
    if kind == "existing":
        return _existing(cfg, name)
    if kind == "eks":
        return _eks(cfg, name, stack)
    if kind == "gke":
        return _gke(cfg, name)
    raise ConfigurationError(f"platform:cluster.kind '{kind}' is not supported")


def outputs(cluster: Cluster) -> dict[str, Any]:
    """Stack outputs of a cluster beyond the common contract."""
    if isinstance(cluster, EksCluster) and cluster.deploy_runner_label is not None:
        # The runner's label as the workflows take it (repository variable PULUMI_RUNNER_PROD);
        # they append the `-<run id>-<attempt>` suffix CodeBuild requires.
        return {"deployRunnerLabel": cluster.deploy_runner_label}
    return {}


def _existing(cfg: StackConfig, name: str) -> Cluster:
    cluster = cfg.cluster
    existing = cluster.existing_or_default
    return ExistingCluster(
        name,
        ExistingClusterArgs(
            kubernetes_version=cluster.kubernetes_version,
            context=existing.context,
            kubeconfig_path=existing.kubeconfig_path,
            kubeconfig=(
                pulumi.Output.secret(existing.kubeconfig.get_secret_value())
                if existing.kubeconfig is not None
                else None
            ),
            zones=tuple(existing.zones),
            database_storage_class=existing.database_storage_class,
        ),
    )


def _protect(cfg: StackConfig) -> bool:
    """Cluster protection: `cluster.protect` when set, else the tier's."""
    return cfg.cluster.protect if cfg.cluster.protect is not None else cfg.protect_stateful


def _eks(cfg: StackConfig, name: str, stack: str) -> Cluster:
    try:
        return EksCluster(name, _eks_args(cfg, name))
    except ForeignDeployerError as exc:
        runner = (
            " On the deploy runner, assume the CI deploy role first (the runner's own role "
            "is no admin)."
            if cfg.cluster.eks.deploy_runner
            else ""
        )
        raise ConfigurationError(
            f"Pulumi.{stack}.yaml: platform:cluster.eks.adminPrincipals: this `pulumi up` runs "
            f"as {exc.identity}, which is not in this list; the cluster grants its creator no "
            "implicit admin, so the deployment could not reach the Kubernetes API. Run it as "
            "one of the listed principals (an assumed role counts as its role), or add "
            f"{exc.identity} to the list.{runner}"
        ) from None


def _eks_args(cfg: StackConfig, name: str) -> EksClusterArgs:
    eks = cfg.cluster.eks
    assert eks is not None  # the config model guarantees the section for kind eks
    net = eks.network
    runner = eks.deploy_runner
    return EksClusterArgs(
        cluster_name=name,
        region=eks.region,
        zones=tuple(eks.zones),
        kubernetes_version=cfg.cluster.kubernetes_version,
        vpc_cidr=str(net.vpc_cidr),
        service_cidr=str(net.service_cidr),
        vpc_id=net.vpc_id,
        private_subnet_ids=tuple(net.private_subnet_ids),
        public_subnet_ids=tuple(net.public_subnet_ids),
        # A zone outage must not cut the other zones off the internet where HA matters.
        nat_per_zone=cfg.ha,
        public_access_cidrs=tuple(str(c) for c in eks.public_access_cidrs),
        private_access_cidrs=(
            tuple(str(c) for c in net.private_access_cidrs) if net.private_access_cidrs else None
        ),
        transit_gateway_id=net.transit_gateway_id,
        vpn_gateway_id=net.vpn_gateway_id,
        admin_principals=tuple(eks.admin_principals),
        support_type=eks.support_type,
        deploy_runner=(
            EksDeployRunnerArgs(
                connection_arn=runner.connection_arn,
                repository=runner.repository,
                workflow=runner.workflow,
                compute_type=runner.compute_type,
            )
            if runner is not None
            else None
        ),
        in_cluster=cfg.bootstrap_phase == "full",
        log_retention_days=eks.log_retention_days,
        kms_deletion_window_days=7 if cfg.tier is Tier.dev else 30,
        protect=_protect(cfg),
        node_groups=tuple(_eks_node_group(p) for p in cfg.node_pools),
        autoscaler_replicas=2 if cfg.ha else 1,
        autoscaler_resources=footprint.requests(cfg.tier, "cluster-autoscaler"),
        tags={"platform.io/cluster": name, "platform.io/tier": cfg.tier.value},
    )


def _eks_node_group(pool: NodePoolConfig) -> EksNodeGroupArgs:
    return EksNodeGroupArgs(
        name=pool.name,
        instance_types=tuple(pool.instance_types),
        ami_type=pool.ami_type,
        spot=pool.capacity == "spot",
        min_size=pool.min_size,
        max_size=pool.max_size,
        initial_size=pool.initial_size,
        disk_size_gb=pool.disk_size_gb,
        labels=dict(pool.labels),
        taints=_taints(pool),
    )


def _gke(cfg: StackConfig, name: str) -> Cluster:
    gke = cfg.cluster.gke
    assert gke is not None  # the config model guarantees the section for kind gke
    net = gke.network
    return GkeCluster(
        name,
        GkeClusterArgs(
            project=gke.project,
            region=gke.region,
            zones=tuple(gke.zones),
            kubernetes_version=cfg.cluster.kubernetes_version,
            release_channel=gke.release_channel,
            network=GkeNetworkArgs(
                node_cidr=str(net.node_cidr),
                pod_cidr=str(net.pod_cidr),
                service_cidr=str(net.service_cidr),
                network=net.network,
                subnetwork=net.subnetwork,
                pod_range_name=net.pod_range_name,
                service_range_name=net.service_range_name,
            ),
            authorized_networks=tuple(str(c) for c in gke.authorized_networks),
            node_pools=tuple(_gke_node_pool(p) for p in cfg.node_pools),
            secrets_key_rotation_days=gke.secrets_key_rotation_days,
            database_disk_type=gke.database_disk_type,
            enable_services=gke.enable_services,
            protect=_protect(cfg),
        ),
    )


def _gke_node_pool(pool: NodePoolConfig) -> GkeNodePoolArgs:
    # One machine type per pool on GKE; StackConfig rejects more before this runs.
    return GkeNodePoolArgs(
        name=pool.name,
        machine_type=pool.instance_types[0],
        spot=pool.capacity == "spot",
        min_size=pool.min_size,
        max_size=pool.max_size,
        initial_size=pool.initial_size,
        disk_size_gb=pool.disk_size_gb,
        labels=dict(pool.labels),
        taints=_taints(pool),
    )


def _taints(pool: NodePoolConfig) -> tuple[Taint, ...]:
    return tuple(Taint(key=t.key, value=t.value, effect=t.effect) for t in pool.taints)
