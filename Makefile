# Everything installs itself into .venv on first use.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
STACK  ?= bedrock-batch

.PHONY: install demo test lint bench build validate deploy delete clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
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

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/cfn-lint template.yaml

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

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

deploy: build $(STAMP)
	$(SAM) deploy --stack-name $(STACK)
	$(BIN)/bedrock-batch publish-prompts --stack-name $(STACK)

delete: $(SAM)
	$(SAM) delete --stack-name $(STACK)

clean:
	rm -rf out .aws-sam .pytest_cache
