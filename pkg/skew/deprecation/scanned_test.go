package deprecation

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	fakediscovery "k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"
)

// TestScannedResources: a kind is listed at its preferred version, unless that version
// is deprecated for good (v1 Endpoints); a preferred version still to be removed is the
// only way to see the objects (FlowSchemas on v1.28) and is listed.
func TestScannedResources(t *testing.T) {
	list := []string{"list", "get"}
	tests := []struct {
		name      string
		resources []*metav1.APIResourceList
		want      []string
	}{
		{"v1.28: flowcontrol served at v1beta3 only", []*metav1.APIResourceList{
			{GroupVersion: "flowcontrol.apiserver.k8s.io/v1beta3", APIResources: []metav1.APIResource{{Name: "flowschemas", Kind: "FlowSchema", Verbs: list}}},
		}, []string{"flowcontrol.apiserver.k8s.io/v1beta3, Resource=flowschemas"}},
		{"v1.29 and later: flowcontrol v1", []*metav1.APIResourceList{
			{GroupVersion: "flowcontrol.apiserver.k8s.io/v1", APIResources: []metav1.APIResource{{Name: "flowschemas", Kind: "FlowSchema", Verbs: list}}},
		}, []string{"flowcontrol.apiserver.k8s.io/v1, Resource=flowschemas"}},
		{"v1 Endpoints, deprecated and never removed, is not listed", []*metav1.APIResourceList{
			{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "endpoints", Kind: "Endpoints", Verbs: list}}},
		}, nil},
		{"subresources and unlistable resources are not listed", []*metav1.APIResourceList{
			{GroupVersion: "flowcontrol.apiserver.k8s.io/v1", APIResources: []metav1.APIResource{
				{Name: "flowschemas/status", Kind: "FlowSchema", Verbs: list},
				{Name: "flowschemas", Kind: "FlowSchema", Verbs: []string{"get"}},
			}},
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			disc := preferred{&fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{Resources: tc.resources}}}
			got, err := ScannedResources(disc)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range got {
				names = append(names, r.GVR.String())
			}
			if len(names) != len(tc.want) {
				t.Fatalf("got %v, want %v", names, tc.want)
			}
			for i := range names {
				if names[i] != tc.want[i] {
					t.Errorf("got %v, want %v", names, tc.want)
				}
			}
		})
	}
}

// preferred answers ServerPreferredResources with the fake's lists, which the fake
// itself leaves empty.
type preferred struct{ *fakediscovery.FakeDiscovery }

func (p preferred) ServerPreferredResources() ([]*metav1.APIResourceList, error) {
	return p.Resources, nil
}
