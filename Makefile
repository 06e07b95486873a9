# One command per job: `make init` prepares the local state backend, `make up` deploys the dev
# stack, `make test` runs the test suite, `make plan` prints a stack's offline plan. Targets that
# run Python create .venv from requirements.txt first.

PYTHON ?= python3
UV_VERSION ?= 0.13.9
VENV ?= .venv
STACK ?= dev
PLATFORM = $(VENV)/bin/python -m kube_platform.stacks

# The state backend is Pulumi.yaml's `backend.url` (.pulumi-state/); this file holds the
# passphrase that encrypts the stacks' secrets. Plain `pulumi` commands need the same export.
STATE_DIR := .pulumi-state
PASSPHRASE_FILE := $(STATE_DIR)/passphrase
export PULUMI_CONFIG_PASSPHRASE_FILE ?= $(CURDIR)/$(PASSPHRASE_FILE)

.PHONY: venv test plan reference schemas init cluster up preview destroy _pulumi_cli _pulumi_stack

# uv installs the pinned requirements in seconds; if it cannot be installed, pip does the same.
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@echo "Installing requirements.txt into $(VENV) (uv $(UV_VERSION), pip as the fallback)..."
	@$(VENV)/bin/python -m pip install --disable-pip-version-check --quiet uv==$(UV_VERSION) \
	  && $(VENV)/bin/python -m uv pip install --python $(VENV)/bin/python -r requirements.txt \
	  || $(VENV)/bin/python -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(VENV)/.installed

test: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest

plan: venv
	$(PLATFORM) plan $(STACK) $(PLAN_FLAGS)

reference: venv
	$(PLATFORM) reference --write

# The upstream CRDs and chart values the conformance tests read, into ../shared/schemas.
schemas: venv
	$(VENV)/bin/python -m tests.schema_sources --fetch

# The local state backend and its passphrase (readable only by you); nothing else touches a
# stack before this. No Pulumi account and no cloud account are needed.
init:
	@mkdir -p $(STATE_DIR)
	@test -s $(PASSPHRASE_FILE) || { umask 077; \
	  $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(32))' > $(PASSPHRASE_FILE); \
	  echo "Created $(PASSPHRASE_FILE); keep it: it decrypts the secrets in $(STATE_DIR)/."; }
	@echo "State backend: $(STATE_DIR)/ (Pulumi.yaml). For pulumi commands in your shell, run once:"
	@echo "  export PULUMI_CONFIG_PASSPHRASE_FILE=$(CURDIR)/$(PASSPHRASE_FILE)"

_pulumi_cli:
	@command -v pulumi >/dev/null || { \
	  echo "The Pulumi CLI is not installed. Install it with 'curl -fsSL https://get.pulumi.com | sh'"; \
	  echo "(or see https://www.pulumi.com/docs/iac/download-install/), then run 'make $(MAKECMDGOALS)' again."; \
	  exit 1; }

_pulumi_stack: _pulumi_cli init venv
	@pulumi stack select $(STACK) 2>/dev/null || pulumi stack init $(STACK) --secrets-provider passphrase

# An existing cluster is reached through a kubeconfig context, which must exist before
# `pulumi up`. A kind context (kind-<name>) gets its kind cluster created when missing; any
# other context is only checked. EKS and GKE stacks create their cluster themselves.
cluster: venv
	@$(PLATFORM) check-context $(STACK) --create-kind

up: _pulumi_stack cluster
	pulumi up --stack $(STACK) $(PULUMI_FLAGS)

preview: _pulumi_stack
	pulumi preview --stack $(STACK) $(PULUMI_FLAGS)

destroy: _pulumi_stack
	pulumi destroy --stack $(STACK) $(PULUMI_FLAGS)
