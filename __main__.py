"""The Pulumi program: load this stack's configuration, build the platform, export outputs."""

import pulumi

from kube_platform.stacks import loader, platform

config = loader.from_pulumi()
for name, value in platform.build(config, pulumi.get_stack()).items():
    pulumi.export(name, value)
