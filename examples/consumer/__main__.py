"""An EKS cluster and a Postgres cluster from kube-platform, and a team namespace from this
project's own `components` package."""

import pulumi
from kube_platform.components.cluster import EksCluster, EksClusterArgs, EksNodeGroupArgs
from kube_platform.components.data.postgres import PostgresCluster, PostgresClusterArgs
from kube_platform.components.data.postgres_operator import (
    PostgresOperator,
    PostgresOperatorArgs,
)

from components.team_space import TeamSpace, TeamSpaceArgs

config = pulumi.Config()

cluster = EksCluster(
    "shared",
    EksClusterArgs(
        cluster_name=f"shared-{pulumi.get_stack()}",
        region="eu-west-1",
        zones=("eu-west-1a", "eu-west-1b", "eu-west-1c"),
        admin_principals=tuple(config.require_object("adminPrincipals")),
        node_groups=(
            EksNodeGroupArgs(
                name="general",
                instance_types=("m7i.large",),
                min_size=3,
                max_size=6,
                initial_size=3,
            ),
        ),
    ),
)
orders_team = TeamSpace("orders", cluster, TeamSpaceArgs(namespace="orders", cpu="8"))
operator = PostgresOperator(
    "postgres-operator", cluster, PostgresOperatorArgs(install_plugin=False)
)
orders_db = PostgresCluster(
    "orders",
    cluster,
    PostgresClusterArgs(
        namespace="orders",
        instances=3,
        anti_affinity="required",
        storage_size="50Gi",
        operator=operator,
        namespace_resource=orders_team.namespace,
    ),
)

pulumi.export("endpoint", cluster.endpoint)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("ordersConnectionSecret", orders_db.connection_secret)
