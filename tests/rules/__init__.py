"""Rules learned from upstream behaviour: a chart template, an operator's code, a provider's
docs, an issue thread. Schema conformance cannot see these.

Each rule is a named test whose docstring cites its upstream source. Rules check the program's
behaviour, not literal values, on every shipped and customised stack (the `every_stack`
fixture), so they keep holding when a team edits its stack files. A rule that concerns only
some stacks (EKS, GKE, backups on, ...) returns early on the others; its module also shows the
rule firing on a violating input, so it can fail.
"""
