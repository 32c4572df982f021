package main

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// The tables below are made up for the tests, in the shape of the distributions'
// release-notes files; no row is a real release's.

const k3sHeader = "| Version | Release date | Kubernetes | Kine | SQLite | Etcd | Containerd | Runc | Flannel | Metrics-server | Traefik | CoreDNS | Helm-controller | Local-path-provisioner  |\n" +
	"| ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | -----  |\n"

// k3sRow is a K3s row: patch n of v1.40 with etcd v3.9.<etcd>.
func k3sRow(n, rev, etcd int, date string) string {
	return fmt.Sprintf("| [v1.40.%d+k3s%d](v1.40.X.md#release-v140%dk3s%d) | %s| [v1.40.%d](https://example.com/k8s) | [v0.20.%d](https://example.com/kine) | [3.60.%d](https://example.com/sqlite) | [v3.9.%d-k3s1](https://example.com/etcd) | [v3.1.%d-k3s1.40](https://example.com/ctr) | [v1.9.0](https://example.com/runc) | [v0.40.0](https://example.com/flannel) | [v0.10.0](https://example.com/ms) | [v4.1.%d](https://example.com/traefik) | [v1.20.0](https://example.com/coredns) | [v0.30.0](https://example.com/hc) | [v0.1.0](https://example.com/lpp)  |\n",
		n, rev, n, rev, date, n, n, n, etcd, n, n)
}

const rke2Table = `---
title: v1.40.X
---

:::warning Upgrade Notice
Read the [notes](https://example.com/notes).
:::

<div className="wide-table-container">

| Version | Release date | Kubernetes | Etcd | Containerd | Runc | Metrics-server | CoreDNS | Ingress-Nginx | Helm-controller | Traefik | Canal (Default) | Calico | Cilium | Multus |   
| ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ----- |
| [v1.40.2+rke2r1](v1.40.X.md#release-v1402rke2r1) | Sept 5 2030|  [v1.40.2](https://example.com/k8s)  |  [v3.9.2-k3s1](https://example.com/etcd)  |  [v3.1.2-k3s1](https://example.com/ctr)  |  [v1.9.1](https://example.com/runc)  |  [v0.10.1](https://example.com/ms)  |  [v1.20.1](https://example.com/coredns)  |  [v1.20.2-hardened1](https://example.com/nginx)  |  [v0.30.1](https://example.com/hc)  |  [v4.1.2](https://example.com/traefik)  | [Flannel v0.40.2](https://example.com/flannel)<br/>[Calico v3.50.2](https://example.com/calico) | [v3.50.2    ](https://example.com/calico ) | [v1.30.2](https://example.com/cilium) | [v5.0.2](https://example.com/multus) |
| [v1.40.1+rke2r1](v1.40.X.md#release-v1401rke2r1) | August 4, 2030| [v1.40.1](https://example.com/k8s) | [v3.9.1-k3s1](https://example.com/etcd) | [v3.1.1-k3s1](https://example.com/ctr) | [v1.9.1](https://example.com/runc) | [v0.10.1](https://example.com/ms) | [v1.20.1](https://example.com/coredns) | [nginx-1.20.1-hardened1](https://example.com/nginx) | [v0.30.1](https://example.com/hc) | Version | [Flannel v0.40.1](https://example.com/flannel)<br/>[Calico v3.50.1](https://example.com/calico) | [v3.50.1](https://example.com/calico) | [v1.30.1](https://example.com/cilium) | [v5.0.1](https://example.com/multus) |

</div>

## Release [v1.40.2+rke2r1](https://example.com/release)

| Component | Version |
| --- | --- |
| Kubernetes | v9.9.9 |
`

var testSource = release.Source{Repo: "example/docs", Path: "docs/release-notes/v1.40.X.md", Commit: strings.Repeat("ab", 20)}

func parseTest(t *testing.T, text string, d version.Distro) ([]row, []string, error) {
	t.Helper()
	return parseTable(tableInput{
		Text: []byte(text), Where: "v1.40.X.md", Distro: d, Min: version.MinorVersion{Major: 1, Minor: 28},
		Minor: version.MinorVersion{Major: 1, Minor: 40}, Source: testSource,
	})
}

func TestParseTable(t *testing.T) {
	type want struct {
		date  string
		comps map[string]string // only these are checked, "" meaning absent
	}
	cases := []struct {
		name   string
		text   string
		distro version.Distro
		rows   map[string]want // by version
		warns  []string        // substrings, each in some warning
		nwarns int             // -1: not checked
		err    string
	}{{
		name: "k3s", distro: version.K3s, nwarns: 0,
		text: "---\ntitle: v1.40.X\n---\n\n" + k3sHeader + k3sRow(2, 1, 2, "Dec 19 2030") + k3sRow(1, 1, 1, "Aug 04 2030") + "\n## Release v1.40.2+k3s1\n",
		rows: map[string]want{
			"v1.40.2+k3s1": {"2030-12-19", map[string]string{release.Kubernetes: "v1.40.2", release.SQLite: "3.60.2", release.Etcd: "v3.9.2-k3s1", release.Containerd: "v3.1.2-k3s1.40", release.LocalPathProvisioner: "v0.1.0"}},
			"v1.40.1+k3s1": {"2030-08-04", map[string]string{release.Etcd: "v3.9.1-k3s1", release.Traefik: "v4.1.1"}},
		},
	}, {
		name: "rke2: Canal double cell, placeholder, stray spaces, tag, second table ignored", distro: version.RKE2, nwarns: 2,
		text: rke2Table,
		rows: map[string]want{
			"v1.40.2+rke2r1": {"2030-09-05", map[string]string{release.CanalFlannel: "v0.40.2", release.CanalCalico: "v3.50.2", release.Calico: "v3.50.2", release.Traefik: "v4.1.2", release.IngressNginx: "v1.20.2-hardened1", release.Kubernetes: "v1.40.2"}},
			"v1.40.1+rke2r1": {"2030-08-04", map[string]string{release.CanalFlannel: "v0.40.1", release.CanalCalico: "v3.50.1", release.Traefik: "", release.IngressNginx: "v1.20.1-hardened1"}},
		},
		warns: []string{`column "Traefik": 1 of 2 rows have no traefik version (e.g. "Version")`, `column "Ingress-Nginx": 1 cells name a release tag`},
	}, {
		name: "placeholders of every kind, one warning per column", distro: version.K3s, nwarns: 4,
		text: "| Version | Release date | Etcd | Traefik | Canal (Default) |\n|---|---|---|---|---|\n" +
			"| v1.40.4+k3s1 | Jan 3 2031 | - | v4.1.4 | - |\n" +
			"| v1.40.3+k3s1 | Jan 2 2031 | - | N/A | |\n" +
			"| v1.40.2+k3s1 | Jan 1 2031 | | v4.1.2 | [Flannel v0.1.0](x) |\n" +
			"| v1.40.1+k3s1 | Dec 1 2030 | v3.9.1 | N/A | [Flannel v0.1.0](x)<br/>[Calico v3.1.0](x) |\n",
		rows: map[string]want{
			"v1.40.4+k3s1": {"2031-01-03", map[string]string{release.Etcd: "", release.Traefik: "v4.1.4", release.CanalFlannel: ""}},
			"v1.40.2+k3s1": {"2031-01-01", map[string]string{release.Etcd: "", release.Traefik: "v4.1.2", release.CanalFlannel: "v0.1.0", release.CanalCalico: ""}},
			"v1.40.1+k3s1": {"2030-12-01", map[string]string{release.Etcd: "v3.9.1", release.Traefik: "", release.CanalCalico: "v3.1.0"}},
		},
		warns: []string{"line 4: v1.40.3+k3s1 has no component versions; row skipped", `column "Etcd": 2 of 3 rows have no etcd version (e.g. "-")`,
			`column "Traefik": 1 of 3 rows have no traefik version (e.g. "N/A")`,
			`column "Canal (Default)": 2 of 3 rows have no canal-flannel or canal-calico version (e.g. "-")`},
	}, {
		name: "bad date left empty", distro: version.K3s, nwarns: 1,
		text:  "| Version | Release date | Etcd |\n| - | - | - |\n| v1.40.1+k3s1 | Feb 30 2030 | v3.9.1 |\n",
		rows:  map[string]want{"v1.40.1+k3s1": {"", map[string]string{release.Etcd: "v3.9.1"}}},
		warns: []string{`line 3: v1.40.1+k3s1: release date "Feb 30 2030" is not a date; left empty`},
	}, {
		name: "columns by name, not position; unknown columns", distro: version.K3s, nwarns: 4,
		text: "| Etcd | Spegel  Mirror | Notes | Release date | VERSION |  ☃  |\n|--|--|--|--|--|--|\n" +
			"| v3.9.1 | [v0.9.1](x) | see below | Mar 3 2031 | [v1.40.1+k3s1](x) | x |\n| v3.9.0 | - | n/a | Mar 1 2031 | [v1.40.0+k3s1](x) | y |\n",
		rows: map[string]want{
			"v1.40.1+k3s1": {"2031-03-03", map[string]string{release.Etcd: "v3.9.1", "spegel-mirror": "v0.9.1", "notes": ""}},
			"v1.40.0+k3s1": {"2031-03-01", map[string]string{release.Etcd: "v3.9.0", "spegel-mirror": ""}},
		},
		warns: []string{`column "Spegel Mirror" is no known column; its versions are read as component "spegel-mirror"`,
			`column "☃" is no known column and not usable as a component name; ignored`,
			`column "Notes" is no known column and none of its cells is a version; ignored`,
			`column "Spegel Mirror": 1 of 2 rows have no spegel-mirror version`},
	}, {
		name: "rows that are no release of the file's distribution, or too old", distro: version.K3s, nwarns: 6,
		text: "| Version | Release date | Etcd |\n| - | - | - |\n| v1.40.1 | Jan 1 2031 | v3.9.1 |\n| v1.40.1+rke2r1 | Jan 1 2031 | v3.9.1 |\n" +
			"| v1.27.9+k3s1 | Jan 1 2031 | v3.9.1 |\n| v2.0.0+k3s1 | Jan 1 2031 | v3.9.1 |\n| | Jan 1 2031 | v3.9.1 |\n| 1.39.2+k3s1 | Jan 1 2031 | v3.9.2 |\n",
		rows: map[string]want{"v1.39.2+k3s1": {"2031-01-01", map[string]string{release.Etcd: "v3.9.2"}}},
		warns: []string{"line 3: v1.40.1 is not a K3s release", "line 4: v1.40.1+rke2r1 is not a K3s release", "line 5: v1.27.9+k3s1 is older than -min v1.28",
			"line 6: v2.0.0+k3s1 is not a K3s release", "line 7: no version; row skipped", "line 8: v1.39.2+k3s1 is listed in the v1.40 notes"},
	}, {
		name: "a Kubernetes cell that contradicts the row is left out", distro: version.K3s,
		text:  "| Version | Kubernetes | Etcd |\n|-|-|-|\n| v1.40.1+k3s1 | v1.40.2 | v3.9.1 |\n",
		rows:  map[string]want{"v1.40.1+k3s1": {"", map[string]string{release.Kubernetes: "", release.Etcd: "v3.9.1"}}},
		warns: []string{"its Kubernetes cell v1.40.2 contradicts it", "no Release date column"}, nwarns: 2,
	}, {
		name: "a row without any component version is skipped", distro: version.K3s, nwarns: -1,
		text:  "| Version | Release date | Etcd |\n|-|-|-|\n| v1.40.1+k3s1 | Jan 1 2031 | - |\n",
		rows:  map[string]want{},
		warns: []string{"v1.40.1+k3s1 has no component versions; row skipped", "no usable rows"},
	}, {
		name: "no table", distro: version.K3s, text: "# v1.40.X\n\nNo releases yet.\n| Version |\n", err: "no release table",
	}, {
		name: "a table without a Version column is passed over", distro: version.K3s,
		text: "| Etcd | Date |\n|-|-|\n| v3.9.1 | Jan 1 2031 |\n", err: "no release table",
	}, {
		name: "the same column twice", distro: version.K3s,
		text: "| Version | Etcd | etcd |\n|-|-|-|\n| v1.40.1+k3s1 | v3.9.1 | v3.9.2 |\n", err: `columns "Etcd" and "etcd" are the same column`,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, warns, err := parseTest(t, c.text, c.distro)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), "v1.40.X.md") {
					t.Fatalf("error %v, want one naming the file and %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]*release.Release{}
			for _, r := range rows {
				got[r.R.Version.String()] = r.R
				if r.R.Source != testSource {
					t.Errorf("%s: source %+v", r.R.Version, r.R.Source)
				}
			}
			if len(got) != len(c.rows) {
				t.Errorf("releases %v, want %d", slicesKeys(got), len(c.rows))
			}
			for v, w := range c.rows {
				r, ok := got[v]
				if !ok {
					t.Errorf("%s missing", v)
					continue
				}
				if r.Date != w.date {
					t.Errorf("%s: date %q, want %q", v, r.Date, w.date)
				}
				for name, cv := range w.comps {
					if r.Components[name] != cv {
						t.Errorf("%s: %s is %q, want %q", v, name, r.Components[name], cv)
					}
				}
			}
			for _, w := range c.warns {
				if !containsSub(warns, w) {
					t.Errorf("no warning with %q in\n%s", w, strings.Join(warns, "\n"))
				}
			}
			if c.nwarns >= 0 && len(warns) != c.nwarns {
				t.Errorf("%d warnings, want %d:\n%s", len(warns), c.nwarns, strings.Join(warns, "\n"))
			}
		})
	}
}

// A release listed twice: kept once when the rows agree, an error naming both rows when
// they do not; a page adds what the notes lack and loses to them, with a warning.
func TestMerge(t *testing.T) {
	text := k3sHeader + k3sRow(2, 1, 2, "Dec 19 2030") + k3sRow(1, 1, 1, "Aug 04 2030") + k3sRow(1, 1, 1, "Aug 04 2030")
	rows, _, err := parseTest(t, text, version.K3s)
	if err != nil {
		t.Fatal(err)
	}
	rs, warns, err := merge(rows, nil)
	if err != nil || len(rs) != 2 || len(warns) != 0 {
		t.Fatalf("identical rows: %d releases, warnings %q, error %v; want 2, none, nil", len(rs), warns, err)
	}

	rows, _, err = parseTest(t, text+k3sRow(1, 1, 7, "Aug 04 2030"), version.K3s)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = merge(rows, nil)
	if err == nil || !strings.Contains(err.Error(), "v1.40.1+k3s1 is listed twice with different components: v1.40.X.md line 4 and v1.40.X.md line 6 (etcd v3.9.1-k3s1 vs v3.9.7-k3s1)") {
		t.Fatalf("different rows: error %v", err)
	}

	page := func(v string, etcd string) row {
		r := &release.Release{Version: version.MustParse(v), Components: map[string]string{release.Etcd: etcd}, Source: release.Source{URL: "https://example.com/" + v}}
		return row{R: r, Where: "pages/k3s/" + v + ".md"}
	}
	rows, _, _ = parseTest(t, k3sHeader+k3sRow(1, 1, 1, "Aug 04 2030"), version.K3s)
	rs, warns, err = merge(rows, []row{page("v1.40.1+k3s1", "v3.9.5-k3s1"), page("v1.40.3+k3s1", "v3.9.3-k3s1")})
	if err != nil || len(rs) != 2 {
		t.Fatalf("pages: %d releases, error %v", len(rs), err)
	}
	if rs[0].Components[release.Etcd] != "v3.9.1-k3s1" || rs[1].Source.URL != "https://example.com/v1.40.3+k3s1" {
		t.Errorf("the notes must win and the page add its release: %+v %+v", rs[0], rs[1])
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "etcd v3.9.5-k3s1, but v1.40.X.md line 3 says v3.9.1-k3s1; the notes win") {
		t.Errorf("warnings %q", warns)
	}
}

func TestDowngrades(t *testing.T) {
	text := k3sHeader + k3sRow(3, 1, 4, "Jan 1 2031") + k3sRow(2, 1, 5, "Jan 1 2031") + k3sRow(1, 1, 5, "Jan 1 2031")
	rows, _, err := parseTest(t, text, version.K3s)
	if err != nil {
		t.Fatal(err)
	}
	rs, _, _ := merge(rows, nil)
	got := downgrades(rs)
	if len(got) != 1 || got[0] != "k3s v1.40: etcd goes down from v3.9.5-k3s1 in v1.40.2+k3s1 to v3.9.4-k3s1 in v1.40.3+k3s1" {
		t.Errorf("downgrades %q", got)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"Aug 04 2026": "2026-08-04", "Dec 19 2025": "2025-12-19", "Sept 5 2025": "2025-09-05",
		"August 4, 2026": "2026-08-04", "Sep 30 2026 ": "2026-09-30", "4 Aug 2026": "2026-08-04",
		"Aug 4th 2026": "2026-08-04", "2026-08-04": "2026-08-04", "june 1 2024": "2024-06-01",
		"Feb 29 2024": "2024-02-29", "**Mar 3 2025**": "2025-03-03",
		"Feb 29 2025": "", "Aug 32 2026": "", "Au 4 2026": "", "Aug 2026": "", "": "", "TBD": "",
		"Aug 4 26": "", "Aug 4 2026 12:00": "", "2026-13-01": "", "Mayo 4 2026": "",
	} {
		got, ok := parseDate(in)
		if got != want || ok != (want != "") {
			t.Errorf("parseDate(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestCells(t *testing.T) {
	canal := map[string]map[string]string{
		"[Flannel v0.28.8](https://x/f)<br/>[Calico v3.32.1](https://x/c)": {release.CanalFlannel: "v0.28.8", release.CanalCalico: "v3.32.1"},
		"Flannel [v0.28.8](x) <br> Calico [v3.32.1  ](x)":                  {release.CanalFlannel: "v0.28.8", release.CanalCalico: "v3.32.1"},
		"Flannel: v0.28.8, Calico: v3.32.1":                                {release.CanalFlannel: "v0.28.8", release.CanalCalico: "v3.32.1"},
		"[Calico v3.32.1](x)":                                              {release.CanalCalico: "v3.32.1"},
		"[v3.32.1](x)":                                                     {},
		"Flannel Calico v3.1.0":                                            {release.CanalCalico: "v3.1.0"},
		"-":                                                                {},
	}
	for in, want := range canal {
		if got := canalCell(in); !maps.Equal(got, want) {
			t.Errorf("canalCell(%q) = %v, want %v", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"[v3.30.3    ](https://x/y )": "v3.30.3", " [3.50.4](x) ": "3.50.4", "`v1.2.3`": "v1.2.3",
		"[nginx-1.9.3-hardened1](x)": "v1.9.3-hardened1", "Version": "", "-": "", "N/A": "", "": "",
		"[v1.1.](x)": "", "v1 v2": "", "[v1.1.12-](x)": "",
	} {
		got, ok, _ := versionCell(in)
		if ok != (want != "") || (ok && got != want) {
			t.Errorf("versionCell(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for in, want := range map[string]string{
		"Canal (Default)": "canal", " Release date ": "release-date", "Metrics Server": "metrics-server",
		"Local-path-provisioner  ": "local-path-provisioner", "**Ingress-Nginx**": "ingress-nginx", "Spegel  Mirror": "spegel-mirror",
	} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func containsSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func slicesKeys[V any](m map[string]V) []string { return sortedKeys(m) }
