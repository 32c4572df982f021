package main

import (
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// FuzzParseTable: on any text the table parser never panics, and every release it
// returns (and the merge of them, when it succeeds) decodes through release.Encode and
// release.Decode.
func FuzzParseTable(f *testing.F) {
	f.Add(k3sHeader+k3sRow(2, 1, 2, "Dec 19 2030")+k3sRow(1, 1, 1, "Aug 04 2030"), true)
	f.Add(rke2Table, false)
	f.Add("| Version | Release date | Etcd | Traefik |\n|---|---|---|---|\n| v1.40.3+k3s1 | Jan 2 2031 | - | N/A |\n| v1.40.2+k3s1 | Feb 30 2031 | | v4.1.2 |\n", true)
	f.Add("| Etcd | Spegel  Mirror | Notes | VERSION | ☃ |\n|--|--|--|--|--|\n| v3.9.1 | [v0.9.1](x) | see | [v1.40.1+k3s1](x) | x |\n", true)
	f.Add("| Version | Kubernetes | Etcd |\n|-|-|-|\n| v1.40.1+k3s1 | v1.40.2 | v3.9.1 |\n| v1.40.1+k3s1 | v1.40.1 | v3.9.2 |\n", true)
	f.Add("| Version | Canal |\n|-|-|\n| v1.40.1+rke2r1 | [Flannel v0.1.0](x)<br/>Calico [v3.1.0 ](y) |\n| 1.40.0+rke2r1 | \\| |\n", false)
	f.Add("```\n| Version |\n|-|\n```\n| Version | Date |\n|:-:|--|\n| v1.28.0-rc.1+k3s1 | 2030-01-01 |\n", true)
	f.Fuzz(func(t *testing.T, text string, k3s bool) {
		d := version.RKE2
		if k3s {
			d = version.K3s
		}
		rows, _, err := parseTable(tableInput{
			Text: []byte(text), Where: "fuzz.md", Distro: d, Min: version.MinorVersion{Major: 1, Minor: 28},
			Minor: version.MinorVersion{Major: 1, Minor: 40}, Source: testSource,
		})
		if err != nil {
			return
		}
		for _, r := range rows {
			if _, err := release.Decode(release.Encode([]*release.Release{r.R})); err != nil {
				t.Fatalf("%s: row does not decode: %v", r.Where, err)
			}
		}
		rs, _, err := merge(rows, nil)
		if err != nil || len(rs) == 0 {
			return
		}
		if back, err := release.Decode(release.Encode(rs)); err != nil || len(back) != len(rs) {
			t.Fatalf("the merged rows do not decode: %v", err)
		}
		downgrades(rs)
		summary(rs)
	})
}
