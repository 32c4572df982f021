package deprecation

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// lifecycle is what k8s.io/api generates for every beta type from its
// prerelease-lifecycle tags: the releases that deprecate and remove it.
type lifecycle interface {
	APILifecycleDeprecated() (major, minor int)
	APILifecycleRemoved() (major, minor int)
}

// notApplied are beta kinds nobody writes in a manifest: requests and subresources.
var notApplied = map[string]bool{
	"AdmissionReview": true, "Scale": true, "DeploymentRollback": true, "Eviction": true,
}

// TestTableMatchesAPILifecycle holds the table to the lifecycle k8s.io/api (the module
// go.mod pins) declares for each beta kind a manifest can use, both ways: every such
// kind that is deprecated by now is in the table, and every row of a kind k8s.io/api
// still has agrees with it on both releases. A newer k8s.io/api pin shows what to add.
func TestTableMatchesAPILifecycle(t *testing.T) {
	const newestServed = 37 // the newest minor the pinned k8s.io/api serves
	seen := map[schema.GroupVersionKind]bool{}
	for gvk, typ := range scheme.Scheme.AllKnownTypes() {
		if !strings.Contains(gvk.Version, "beta") || strings.HasSuffix(gvk.Kind, "List") || notApplied[gvk.Kind] {
			continue
		}
		lc, ok := reflectNew(typ).(lifecycle)
		if !ok {
			continue
		}
		seen[gvk] = true
		_, dep := lc.APILifecycleDeprecated()
		_, rem := lc.APILifecycleRemoved()
		apiVersion := gvk.GroupVersion().String()
		a, inTable := Lookup(apiVersion, gvk.Kind)
		switch {
		case !inTable && dep <= newestServed:
			t.Errorf("%s %s: k8s.io/api deprecates it in v1.%d and removes it in v1.%d, but the table lacks it", apiVersion, gvk.Kind, dep, rem)
		case inTable && (int(a.Deprecated.Minor) != dep || int(a.Removed.Minor) != rem):
			t.Errorf("%s %s: the table says deprecated %s, removed %s; k8s.io/api says v1.%d and v1.%d", apiVersion, gvk.Kind, a.Deprecated, a.Removed, dep, rem)
		}
	}
	if len(seen) < 20 {
		t.Fatalf("only %d beta kinds with a lifecycle in client-go's scheme: the test reads nothing", len(seen))
	}
}

func reflectNew(typ reflect.Type) any { return reflect.New(typ).Interface() }
