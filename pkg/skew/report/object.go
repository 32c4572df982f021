// Package report holds the typed, versioned objects that kubectl-skew prints with
// -o json and -o yaml. Their field names are a public interface: add, never rename.
package report

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group and Version of every report kind.
const (
	Group   = "kubectl-skew.io"
	Version = "v1alpha1"
)

// APIVersion is the apiVersion field of every report.
var APIVersion = schema.GroupVersion{Group: Group, Version: Version}.String()

// typeMeta is the apiVersion/kind header of a report of the given kind.
func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: APIVersion, Kind: kind}
}

// deepCopyJSON copies a report through its JSON form. Reports are printed once and
// never mutated concurrently, so generated deep-copy code would only add weight.
func deepCopyJSON[T any](in *T) *T {
	out := new(T)
	b, err := json.Marshal(in)
	if err == nil {
		err = json.Unmarshal(b, out)
	}
	if err != nil {
		panic("report: deep copy: " + err.Error())
	}
	return out
}

// Object is what the printers take.
type Object = runtime.Object
