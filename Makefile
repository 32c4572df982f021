# kubectl-skew: every entry point a developer or CI needs.
#   make demo   the whole story against a local real control plane (first run builds tools: minutes)
#   make test   every test: lint, unit, golden, fuzz seeds, and end-to-end against a real apiserver
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Always a v-prefixed semver (krew needs one): a tag, or v0.0.0-g<hash> for an untagged checkout.
GIT_DESCRIBE := $(shell git describe --tags --always --dirty 2>/dev/null)
VERSION ?= $(if $(filter v%,$(GIT_DESCRIBE)),$(GIT_DESCRIBE),v0.0.0-g$(or $(GIT_DESCRIBE),dev))
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# The commit time, not the wall clock, so the same commit builds the same bytes.
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null || echo unknown)
PKG     := github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil
LDFLAGS := -s -w -X $(PKG).BuildVersion=$(VERSION) -X $(PKG).BuildCommit=$(COMMIT) -X $(PKG).BuildDate=$(DATE)
CACHE   := $(CURDIR)/.cache
BIN     := $(CURDIR)/bin
DIST    := $(CURDIR)/dist
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
KREW_TOOLS := $(CACHE)/bin/krew $(CACHE)/bin/validate-krew-manifest
LINT_TOOLS := $(CACHE)/bin/staticcheck $(CACHE)/bin/goimports
SCENARIO ?= k3s-skewed
# One build configuration for go build, go vet, go test and this machine's release archive
# (which needs -trimpath to be reproducible), so that they share the build cache: a cold CI
# compiles the plugin's dependencies once for all of them.
export CGO_ENABLED := 0
ifeq ($(filter -trimpath,$(GOFLAGS)),)
GOFLAGS += -trimpath
endif
export GOFLAGS
# make test's sample of the release platforms: this machine's, one darwin and one windows
# (every binary format and archive kind); each further one is a cold compile of minutes.
TEST_PLATFORMS := $(sort $(shell go env GOOS)/$(shell go env GOARCH) darwin/arm64 windows/amd64)

.PHONY: build lint unit test e2e test-v1.28 docs release-data help dist krew-manifest krew-manifest-refresh tools tools-krew tools-lint tools-sandbox sandbox demo bench

build: ## build bin/kubectl-skew
	go build -ldflags '$(LDFLAGS)' -o $(BIN)/kubectl-skew ./cmd/kubectl-skew

lint: tools-lint ## gofmt, goimports, go vet and staticcheck (pinned in tools/lint)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	@out=$$($(CACHE)/bin/goimports -local github.com/kubectl-skew/kubectl-skew -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "goimports needed: $$out"; exit 1; fi
	go vet ./...
	$(CACHE)/bin/staticcheck ./...

unit: ## the fast tests: no cluster, no tools (go test -short)
	go test -short ./...

# The end-to-end tests' core, which also runs against the oldest control plane of the
# version matrix: check on every scenario, plan, K3s and RKE2 upgrades with --wait, the
# removed-API scan and abort.
E2E_CORE := ^(TestPluginDiscovery|TestVersionShowsTheAPIServer|TestCheckGolden|TestCheckEveryScenarioIsCovered|TestCheckTargetFindsRemovedAPIs|TestPlanAndUpgradeNameRemovedAPIs|TestPlan.*|TestUpgradeK3sHAToStable|TestUpgradeRKE2WithEtcdOnlyServer|TestAbort)$$

# What the tests need is built first, side by side (one build waiting on a download or a
# link leaves a core to the others). The lint and the oldest control plane's tools are
# built beside the tests at the lowest priority: the end-to-end tests mostly wait on the
# sandbox, and leave most of two cores idle. Then the e2e core on the oldest control plane.
test: ## every test, end-to-end included, then the e2e core on the oldest control plane: what CI runs
	$(MAKE) --no-print-directory -j3 --output-sync=target build dist tools-krew tools-newest PLATFORMS='$(TEST_PLATFORMS)'
	$(MAKE) --no-print-directory -j3 --output-sync=target test-all-go test-faults test-beside
	$(MAKE) --no-print-directory test-v1.28

# The fault matrix (docs/reliability.md) runs beside the other tests, in a sandbox of
# its own: its upgrades mostly wait on the simulated kubelets and controllers, and one
# after the other the two would double the end-to-end time.
FAULTS := ^TestFault
.PHONY: test-all-go test-faults test-beside tools-newest
test-all-go:
	go test -count=1 -timeout 45m -skip '$(FAULTS)' ./...

test-faults:
	go test -count=1 -timeout 45m -run '$(FAULTS)' ./test/e2e/

test-beside:
	nice -n 19 $(MAKE) --no-print-directory lint tools-sandbox

e2e: build tools-sandbox ## every end-to-end test against the newest control plane (kube-apiserver v1.37)
	go test -count=1 -timeout 30m ./test/e2e/

test-v1.28: build tools-sandbox ## the end-to-end core against the oldest control plane (kube-apiserver v1.28)
	KUBECTL_SKEW_CONTROL_PLANE=v1.28 go test -count=1 -timeout 20m -run '$(E2E_CORE)' ./test/e2e/

docs: ## regenerate docs/reference from the commands, and docs/hazards.md and the generated tables in docs/ from the code
	go run ./hack/docs -out docs/reference

# Checkouts (work tree or bare git dir) of k3s-io/docs and rancher/rke2-docs, and a directory
# of release pages; each flag is passed only when its variable is set.
K3S_DOCS ?=
RKE2_DOCS ?=
RELEASE_PAGES ?=
release-data: ## regenerate pkg/skew/release/data/releases.json: K3S_DOCS=checkout of k3s-io/docs RKE2_DOCS=checkout of rancher/rke2-docs [RELEASE_PAGES=dir]
	go run ./hack/releasedata $(if $(K3S_DOCS),-k3s-docs '$(K3S_DOCS)') $(if $(RKE2_DOCS),-rke2-docs '$(RKE2_DOCS)') $(if $(RELEASE_PAGES),-pages '$(RELEASE_PAGES)') -o pkg/skew/release/data/releases.json

help:
	@grep -E '^[a-z0-9.-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

# ---- release: archives, krew manifests, pinned krew ----
dist: ## release archives and checksums.txt in dist/ (the same commit gives the same bytes)
	go run ./hack/archives -version '$(VERSION)' -ldflags '$(LDFLAGS)' -date '$(DATE)' -out '$(DIST)' -platforms '$(PLATFORMS)'

krew-manifest: ## render .krew.yaml for the archives in dist/ into plugins/skew.yaml
	go run ./hack/krew/manifest -template .krew.yaml -dist '$(DIST)' -o plugins/skew.yaml

krew-manifest-refresh: ## after editing .krew.yaml between releases: re-render plugins/skew.yaml, same version and sha256s
	go run ./hack/krew/manifest -template .krew.yaml -published plugins/skew.yaml -o plugins/skew.yaml

# ---- pinned tools in .cache/bin, each rebuilt only when its pins change ----
tools: tools-krew tools-lint tools-sandbox ## every pinned tool

tools-krew: $(KREW_TOOLS) ## pinned krew and validate-krew-manifest

# Left a development build on purpose: krew then never phones GitHub for its own upgrade
# check, which keeps the install tests offline.
$(KREW_TOOLS): tools/krew/go.mod tools/krew/go.sum
	cd tools/krew && CGO_ENABLED=0 go build -trimpath -o $@ sigs.k8s.io/krew/cmd/$(notdir $@)

tools-lint: $(LINT_TOOLS) ## pinned staticcheck and goimports

$(CACHE)/bin/staticcheck: tools/lint/go.mod tools/lint/go.sum
	cd tools/lint && CGO_ENABLED=0 go build -trimpath -o $@ honnef.co/go/tools/cmd/staticcheck

$(CACHE)/bin/goimports: tools/lint/go.mod tools/lint/go.sum
	cd tools/lint && CGO_ENABLED=0 go build -trimpath -o $@ golang.org/x/tools/cmd/goimports

tools-newest: ## the sandbox's tools for the newest control plane only (what make demo needs)
	bash hack/tools.sh --newest

tools-sandbox: ## pinned kube-apiserver, kube-controller-manager, kube-scheduler (v1.37 and v1.28), kubectl, system-upgrade-controller; etcd from Debian
	bash hack/tools.sh

# ---- the sandbox: a real control plane on this machine ----
sandbox: tools-sandbox build ## run the sandbox until Ctrl-C: make sandbox SCENARIO=rke2-etcd
	go run ./test/cmd/sandbox up --scenario '$(SCENARIO)' --suc --channels

demo: ## the story against a local real control plane (the first run builds the tools: minutes)
	bash hack/demo.sh

bench: ## time check against kubectl get nodes and the raw list on 5,000 nodes (ROUNDS=7)
	bash hack/bench.sh
