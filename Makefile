# Everything installs itself into .venv on first use.
PYTHON ?= python3
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
	$(BIN)/bedrock-batch demo --input samples/reviews.csv --out out

## Tests (runtime conformance, workflows, functions), lint, and the checks on the ASL.
test: $(STAMP) lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/cfn-lint template.yaml

bench: $(STAMP)
	$(BIN)/python -m bench

$(VENV)/.installed-sam: $(STAMP)
	$(BIN)/pip install --quiet -e '.[sam]'
	touch $@

## sam build / validate / deploy / delete use aws-sam-cli from .venv.
build: $(VENV)/.installed-sam
	$(BIN)/sam build

validate: $(VENV)/.installed-sam
	$(BIN)/sam validate --lint --region us-east-1

deploy: build
	$(BIN)/sam deploy --stack-name $(STACK)
	$(BIN)/bedrock-batch publish-prompts --stack-name $(STACK)

delete: $(VENV)/.installed-sam
	$(BIN)/sam delete --stack-name $(STACK)

clean:
	rm -rf out .aws-sam .pytest_cache
