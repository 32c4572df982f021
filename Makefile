# kubectl-skew: every entry point a developer or CI needs.
#   make demo   the whole story against a local real control plane (first run builds tools: minutes)
#   make test   every test: unit, golden, fuzz seeds, and end-to-end against a real apiserver
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Always a v-prefixed semver (krew needs one): a tag, or v0.0.0-g<hash> for an untagged checkout.
GIT_DESCRIBE := $(shell git describe --tags --always --dirty 2>/dev/null)
VERSION ?= $(if $(filter v%,$(GIT_DESCRIBE)),$(GIT_DESCRIBE),v0.0.0-g$(or $(GIT_DESCRIBE),dev))
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
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

# ---- release: archives, krew manifests, pinned krew (issue 6) ----
DIST      := $(CURDIR)/dist
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
KREW_TOOLS   := $(CACHE)/bin/krew $(CACHE)/bin/validate-krew-manifest

.PHONY: dist
dist: ## release archives and checksums.txt in dist/ (the same commit gives the same bytes)
	go run ./hack/archives -version '$(VERSION)' -ldflags '$(LDFLAGS)' -date '$(DATE)' -out '$(DIST)' -platforms '$(PLATFORMS)'

.PHONY: krew-manifest
krew-manifest: ## render .krew.yaml for the archives in dist/ into plugins/skew.yaml
	go run ./hack/krew/manifest -template .krew.yaml -dist '$(DIST)' -o plugins/skew.yaml

.PHONY: krew-manifest-refresh
krew-manifest-refresh: ## after editing .krew.yaml between releases: re-render plugins/skew.yaml, same version and sha256s
	go run ./hack/krew/manifest -template .krew.yaml -published plugins/skew.yaml -o plugins/skew.yaml

.PHONY: tools-krew
tools-krew: $(KREW_TOOLS) ## pinned krew and validate-krew-manifest in .cache/bin

# Rebuilt only when the pin changes. Left a development build on purpose: krew then never
# phones GitHub for its own upgrade check, which keeps the install tests offline.
$(KREW_TOOLS): tools/krew/go.mod tools/krew/go.sum
	cd tools/krew && CGO_ENABLED=0 go build -trimpath -o $@ sigs.k8s.io/krew/cmd/$(notdir $@)

.PHONY: tools
tools: tools-krew

# The krew tests open the archives and run the pinned krew.
test: dist tools-krew

# ---- sandbox: a real control plane on this machine (issue 3) ----
SCENARIO ?= k3s-skewed

.PHONY: tools-sandbox
tools-sandbox: ## pinned kube-apiserver, kubectl, system-upgrade-controller in .cache/bin; etcd from Debian
	bash hack/tools.sh

tools: tools-sandbox

.PHONY: sandbox
sandbox: tools-sandbox build ## run the sandbox until Ctrl-C: make sandbox SCENARIO=rke2-etcd
	go run ./test/cmd/sandbox up --scenario '$(SCENARIO)' --suc --channels

.PHONY: demo
demo: ## the story against a local real control plane (the first run builds the tools: minutes)
	bash hack/demo.sh

.PHONY: bench
bench: ## time check against kubectl get nodes on 5,000 nodes (ROUNDS=7)
	bash hack/bench.sh

# The end-to-end tests run the sandbox: a fresh clone builds the tools first.
test: tools
