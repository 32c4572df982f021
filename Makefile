# kubectl-skew: every entry point a developer or CI needs.
#   make demo   the whole story against a local real control plane (first run builds tools: minutes)
#   make test   every test: unit, golden, fuzz seeds, and end-to-end against a real apiserver
SHELL := /bin/bash
.DEFAULT_GOAL := build

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# The commit time, not the wall clock, so the same commit builds the same bytes.
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null || echo unknown)
PKG     := github.com/kubectl-skew/kubectl-skew/pkg/plugin
LDFLAGS := -s -w -X $(PKG).buildVersion=$(VERSION) -X $(PKG).buildCommit=$(COMMIT) -X $(PKG).buildDate=$(DATE)
CACHE   := $(CURDIR)/.cache
BIN     := $(CURDIR)/bin

.PHONY: build
build: ## build bin/kubectl-skew
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/kubectl-skew ./cmd/kubectl-skew

.PHONY: lint
lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	go vet ./...

.PHONY: unit
unit: ## unit and golden tests only (no cluster)
	go test -short ./...

.PHONY: test
test: lint build ## every test, end-to-end included
	go test -count=1 -timeout 45m ./...

.PHONY: help
help:
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'
