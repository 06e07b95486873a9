"""The kube-platform policy pack: `pulumi preview --policy-pack policy`.

The policies themselves are plain functions in `platform_policies.py`, testable without the CLI.
"""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

sys.path.insert(0, str(Path(__file__).resolve().parent))

from platform_policies import POLICIES

PolicyPack(
    name="kube-platform",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
