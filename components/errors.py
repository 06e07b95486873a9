"""Errors a user fixes by changing configuration, not code."""

from __future__ import annotations

import pulumi


class ConfigurationError(pulumi.RunError):
    """A configuration problem. The Pulumi CLI prints the message without a Python traceback."""
