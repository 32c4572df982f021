package rancher

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The string fields a decision rests on: the version asked for and applied, and
// which node each Machine is and what its kubelet runs. Reading them tolerates
// anything (a wrong type reads as empty), so read checks them first.
var (
	clusterFields      = [][]string{{"spec", "kubernetesVersion"}, {"status", "clusterName"}}
	controlPlaneFields = [][]string{{"status", "appliedSpec", "kubernetesVersion"}}
	machineFields      = [][]string{{"status", "nodeRef", "name"}, {"status", "nodeInfo", "kubeletVersion"}}
)

// oddFields is one line naming the object and the first of fields that is present
// but not a string (Rancher, or whoever edited the object, wrote another type), or
// nil. A missing field is not odd: Rancher fills status in later.
func oddFields(what string, u *unstructured.Unstructured, fields ...[]string) error {
	for _, path := range fields {
		v, found, err := unstructured.NestedFieldNoCopy(u.Object, path...)
		if err != nil {
			// A parent on the path is not an object.
			return fmt.Errorf("%s %s: %s cannot be read, a field on its path is not an object; check the object with kubectl get -o yaml", what, ref(u), strings.Join(path, "."))
		}
		if _, ok := v.(string); found && v != nil && !ok {
			return fmt.Errorf("%s %s: %s is a JSON %s, not a string; check the object with kubectl get -o yaml", what, ref(u), strings.Join(path, "."), jsonType(v))
		}
	}
	return nil
}

func ref(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetName()
	}
	return u.GetNamespace() + "/" + u.GetName()
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case int64, float64, int, int32:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "list"
	}
	return fmt.Sprintf("%T", v)
}
