# Gridlink's front door. `make up` runs the stack; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help up down test lint fmt openapi infra bench-load bench soak k8s-check fuzz client-flow new-service

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

up: ## Build and run the whole stack on this machine (PROFILE=debug for a quicker build)
	@deploy/local/up.sh

down: ## Stop what `make up` started
	@deploy/local/down.sh

infra: ## Start (or install) PostgreSQL, RabbitMQ and Redis if they are not running; install Node if missing
	@deploy/local/infra.sh

test: infra ## Run every test: unit, integration (real PostgreSQL/RabbitMQ), end to end, manifests
	@deploy/local/databases.sh --sweep-tests
	@rm -rf target/reliability
	cargo build --workspace --bins --locked
	cargo test --workspace --tests --locked
	@deploy/local/openapi-lint.sh
	@deploy/local/k8s-check.sh
	@deploy/scaffold/check.sh
	@deploy/local/reliability-figures.sh

k8s-check: ## Render every Kustomize overlay and validate it offline; lint the compose file
	@deploy/local/k8s-check.sh

lint: ## rustfmt and clippy, warnings denied
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

fmt: ## Format the code
	cargo fmt --all

openapi: ## Regenerate the OpenAPI documents in proto-docs/ from the code
	UPDATE_OPENAPI=1 cargo test --workspace --tests -- proto_docs the_served_document

new-service: ## Scaffold services/NAME on the service kit (make new-service NAME=x)
	@test -n "$(NAME)" || { echo "usage: make new-service NAME=x"; exit 2; }
	@deploy/scaffold/new-service.sh $(NAME)

bench-load: ## Load the seed-scale dataset (10,000 users, 1,000,000 links) into the running stack
	@deploy/bench/load.sh

bench: bench-load ## Every scenario at concurrency 1 and 32, 20 s each; writes target/bench/report.json
	@deploy/bench/run.sh $(BENCH_ARGS)

soak: bench-load ## Ten minutes of mixed load with account churn; checks 5xx, memory, queues, connections
	@deploy/bench/soak.sh

fuzz: ## schemathesis, every check, against the running gateway (make up first)
	@deploy/local/fuzz.sh

client-flow: ## A client generated from the served OpenAPI document runs a whole session (make up first)
	@deploy/client/flow.sh
