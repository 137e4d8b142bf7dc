# Everything installs itself into .venv on first use.
# The newest of Python 3.13, 3.12 and 3.11 that runs (on PATH, or installed by pyenv) unless PYTHON is given.
PYTHON ?= $(shell for v in 3.13 3.12 3.11; do \
	for p in python$$v $$(ls -d $$(pyenv root 2>/dev/null)/versions/$$v*/bin/python$$v 2>/dev/null | sort -V | tail -1); do \
	$$p -c '' 2>/dev/null && { echo $$p; exit 0; }; done; done; echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
# Stack name and Region: those of samconfig.toml (what `sam deploy` and `sam deploy --guided` use) unless given,
# as in `make deploy STACK=reviews-prod REGION=eu-west-1`.
STACK  ?=
REGION ?=
STACK_ARGS := $(if $(STACK),--stack-name $(STACK)) $(if $(REGION),--region $(REGION))

.PHONY: install demo test lint security bench bench-10m build validate deploy deploy-guided publish-prompts delete clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The whole pipeline offline on the bundled sample reviews.
demo: $(STAMP)
	$(BIN)/bedrock-batch demo --input samples/reviews.csv --out out --parameter ResultsToDynamoDB=true

## Tests (runtime conformance, workflows, functions), lint, and the checks on the ASL.
test: $(STAMP) lint
	$(BIN)/pytest -q

## ruff, and cfn-lint with the Serverless Rules (cfn-lint-serverless). Suppressions sit in the template's Metadata.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules

# checkov pins its own boto3 and more, so it lives in a venv of its own (not part of `make test`).
CHECKOV_VENV := .venv-checkov
CHECKOV      := $(CHECKOV_VENV)/bin/checkov

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==3.3.30

## Security scan of the template; each skipped check has its reason in the resource's Metadata.
security: $(CHECKOV)
	$(CHECKOV) -f template.yaml --framework cloudformation serverless --compact --quiet --skip-download

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

## Ten million rows through the offline pipeline (sink off), alone: hours, not part of `make bench`; one JSON line.
bench-10m: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.pipeline 10000000

# aws-sam-cli pins its own boto3, so it lives in a venv of its own.
SAM_VENV := .venv-sam
SAM      := $(SAM_VENV)/bin/sam
# The Lambda runtime is python3.12 (pyarrow 26 has no wheel for the python3.11 runtime); sam build needs a
# python3.12 on PATH. With pyenv, SAM_PYENV makes it visible beside the project's 3.11, for sam build only.
SAM_PYENV := $(shell pyenv versions --bare 2>/dev/null | grep -E '^3\.12' | head -1)

$(SAM): 
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==1.170.0

## sam build / validate / deploy / delete.
build: $(SAM)
	PYENV_VERSION=$(SAM_PYENV) $(SAM) build

validate: $(SAM)
	$(SAM) validate --lint --region us-east-1

## One command deploys a working stack: sam deploy, then prompts/templates.json into its bucket (every text run
## reads config/prompt-templates.json there). First time: `make deploy-guided` asks for the stack name, Region and
## parameters and saves them in samconfig.toml, which later `make deploy` runs read.
deploy: build $(STAMP)
	$(SAM) deploy $(STACK_ARGS)
	$(BIN)/bedrock-batch publish-prompts $(STACK_ARGS)

deploy-guided: build $(STAMP)
	$(SAM) deploy --guided $(STACK_ARGS)
	$(BIN)/bedrock-batch publish-prompts $(STACK_ARGS)

## After editing prompts/templates.json, or after a bare `sam deploy`.
publish-prompts: $(STAMP)
	$(BIN)/bedrock-batch publish-prompts $(STACK_ARGS)

# sam delete reads [default.delete.parameters] and [default.global.parameters] only, not the stack name a guided
# deploy saved under [default.deploy.parameters]: pass the one publish-prompts would use.
DEPLOYED_ARGS = $(shell $(BIN)/python -c "from pathlib import Path; from bedrock_batch.stack.samconfig import \
	deploy_target; t = deploy_target(Path('samconfig.toml')); print('--stack-name', t.stack_name, \
	*(['--region', t.region] if t.region else []))")

delete: $(SAM) $(STAMP)
	$(SAM) delete $(if $(STACK),$(STACK_ARGS),$(DEPLOYED_ARGS))

clean:
	rm -rf out .aws-sam .pytest_cache
