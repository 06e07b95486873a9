# One command per job. `make up` deploys the dev stack to a local kind cluster with a local
# state backend; `make test` runs the test suite. Both create .venv from requirements.txt.

PYTHON ?= python3
UV_VERSION ?= 0.13.9
VENV ?= .venv
STACK ?= dev
STATE_DIR ?= $(CURDIR)/.pulumi-state
KIND_CLUSTER ?= platform

export PULUMI_BACKEND_URL ?= file://$(STATE_DIR)
export PULUMI_CONFIG_PASSPHRASE_FILE ?= $(STATE_DIR)/passphrase

.PHONY: venv test plan up preview destroy kind reference schemas _pulumi_cli _pulumi_stack

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
	$(VENV)/bin/python -m kube_platform.stacks plan $(STACK)

reference: venv
	$(VENV)/bin/python -m kube_platform.stacks reference --write

# The upstream CRDs and chart values the conformance tests read, into ../shared/schemas.
schemas: venv
	$(VENV)/bin/python -m tests.schema_sources --fetch

kind:
	@command -v kind >/dev/null || { echo "kind is not installed: https://kind.sigs.k8s.io/docs/user/quick-start/#installation"; exit 1; }
	@kind get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)' || kind create cluster --name $(KIND_CLUSTER)

_pulumi_cli:
	@command -v pulumi >/dev/null || { \
	  echo "The Pulumi CLI is not installed. Install it with 'curl -fsSL https://get.pulumi.com | sh'"; \
	  echo "(or see https://www.pulumi.com/docs/iac/download-install/), then run 'make $(MAKECMDGOALS)' again."; \
	  exit 1; }

# Local file backend and a generated passphrase: no Pulumi account and no cloud needed.
_pulumi_stack: _pulumi_cli venv
	@mkdir -p $(STATE_DIR)
	@test -s $(PULUMI_CONFIG_PASSPHRASE_FILE) || { umask 077; $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(32))' > $(PULUMI_CONFIG_PASSPHRASE_FILE); }
	@pulumi stack select $(STACK) 2>/dev/null || pulumi stack init $(STACK) --secrets-provider passphrase

up: _pulumi_stack $(if $(filter dev,$(STACK)),kind)
	pulumi up --stack $(STACK) $(PULUMI_FLAGS)

preview: _pulumi_stack
	pulumi preview --stack $(STACK) $(PULUMI_FLAGS)

destroy: _pulumi_stack
	pulumi destroy --stack $(STACK) $(PULUMI_FLAGS)
