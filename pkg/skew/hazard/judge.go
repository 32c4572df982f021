package hazard

import (
	"fmt"
	"regexp"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// The judgements: pure functions from a hop and the facts to hits.

func judgeTraefikV2(h Hop, f *Facts) []Hit {
	if !f.TraefikV2Served {
		return nil
	}
	x := h.data()
	note := unknownNote(x, crosses(x, h.From, h.To, release.Traefik, traefik3), release.Traefik, h.From, h.To)
	var out []Hit
	for _, o := range f.TraefikV2 {
		out = append(out, Hit{Subject: o.Ref(), Message: fmt.Sprintf("uses traefik.containo.us, which Traefik v3 no longer serves (%s -> %s)%s%s",
			componentOf(x, h.From, release.Traefik), componentOf(x, h.To, release.Traefik), detail(o), note)})
	}
	return out
}

func judgeNodeAuthz(h Hop, f *Facts) []Hit {
	var out []Hit
	for _, n := range f.Nodes {
		kubelet := h.kubelet(n)
		v, err := version.Parse(kubelet)
		if err != nil || (nodeAuthzMinimum{Releases: h.Releases}).Meets(v) {
			continue // unparsable versions are the skew policy's SKEW501
		}
		out = append(out, Hit{Subject: "node/" + n.Name,
			Message: fmt.Sprintf("runs %s, older than the v1.%d patch that lets it list nodes under v1.32's node authorizer", kubelet, minimumFor(v, NodeAuthzMinimums))})
	}
	return out
}

// minimumFor names the minor whose minimum applies: v's own, or the oldest listed.
func minimumFor(v version.Version, mins []version.Version) uint64 {
	for _, m := range mins {
		if m.Minor == v.Minor {
			return m.Minor
		}
	}
	return mins[0].Minor
}

func judgeMasterLabel(_ Hop, f *Facts) []Hit {
	var out []Hit
	for _, o := range f.MasterLabelUsers {
		out = append(out, Hit{Subject: o.Ref(), Message: "keys on node-role.kubernetes.io/master" + detail(o)})
	}
	return out
}

func judgeRemovedFlags(h Hop, f *Facts) []Hit {
	var out []Hit
	gone, gates := removedFlagsOn(h), gatesOn(h)
	for _, n := range f.Nodes {
		if n.ArgsError != "" {
			out = append(out, Hit{Subject: "node/" + n.Name, Unknown: true, Message: "node-args unreadable, flags not checked: " + n.ArgsError})
			continue
		}
		for _, r := range gone {
			if _, ok := n.passThrough(r.Component)[r.Flag]; ok {
				out = append(out, Hit{Subject: "node/" + n.Name, Message: fmt.Sprintf("passes --%s-arg=%s, removed from %s in v1.%d: %s", r.Component, r.Flag, r.Component, r.Removed, r.Replacement)})
			}
		}
		out = append(out, gateHits(h, gates, &n)...)
	}
	return out
}

// removedFlagsOn lists the flag removals (of RemovedFlags) the hop lands on.
func removedFlagsOn(h Hop) []RemovedFlag {
	var out []RemovedFlag
	for _, r := range RemovedFlags {
		if uint64(r.Removed) > h.From.Minor && uint64(r.Removed) <= h.To.Minor {
			out = append(out, r)
		}
	}
	return out
}

func judgeStuckHelm(_ Hop, f *Facts) []Hit {
	var out []Hit
	for _, o := range f.FailedHelmJobs {
		out = append(out, Hit{Subject: o.Ref(), Message: "the helm-controller's install Job failed" + detail(o)})
	}
	for _, o := range f.PendingReleases {
		out = append(out, Hit{Subject: o.Ref(), Message: "the Helm release is stuck" + detail(o)})
	}
	return out
}

func judgeRKE2Ingress(_ Hop, f *Facts) []Hit {
	// Existing clusters keep ingress-nginx (RKE2 detects the deployed HelmChart); what
	// changes for them is the airgap image tarball, which no longer carries it.
	for _, n := range f.Nodes {
		if _, ok := Value(n.Args, "ingress-controller"); ok {
			return nil // chosen explicitly: the default does not apply
		}
	}
	for _, o := range f.HelmCharts {
		if o.Kind == "helmchart" && o.Name == "rke2-ingress-nginx" {
			return []Hit{{Subject: o.Ref(), Message: "the cluster runs ingress-nginx by default: v1.36 keeps it for this cluster, but its core airgap image tarball carries Traefik instead, and new clusters get Traefik"}}
		}
	}
	return nil
}

func judgeSnippets(h Hop, f *Facts) []Hit {
	for _, o := range f.HelmCharts {
		if o.Kind == "helmchartconfig" && o.Name == "rke2-ingress-nginx" && criticalRiskAllowed(o.Detail) {
			return nil
		}
	}
	x := h.data()
	note := unknownNote(x, crosses(x, h.From, h.To, release.IngressNginx, nginx112), release.IngressNginx, h.From, h.To)
	var out []Hit
	for _, o := range f.SnippetIngresses {
		out = append(out, Hit{Subject: o.Ref(), Message: "has a snippet annotation" + detail(o) + "; the hop brings " + componentOf(x, h.To, release.IngressNginx) + note})
	}
	return out
}

// criticalRiskAllowed reports whether rke2-ingress-nginx values keep Critical annotations
// (snippets) admissible: controller.config.annotations-risk-level set to Critical.
func criticalRiskAllowed(content string) bool {
	values, err := ParseChartValues(content)
	if err != nil {
		return false
	}
	controller, _ := values["controller"].(map[string]any)
	config, _ := controller["config"].(map[string]any)
	level, _ := config["annotations-risk-level"].(string)
	return level == "Critical"
}

func judgeIPVS(_ Hop, f *Facts) []Hit {
	var out []Hit
	for _, n := range f.Nodes {
		if n.passThrough("kube-proxy")["proxy-mode"] == "ipvs" {
			out = append(out, Hit{Subject: "node/" + n.Name, Message: "runs kube-proxy with proxy-mode=ipvs"})
		}
	}
	return out
}

func detail(o Object) string {
	if o.Detail == "" {
		return ""
	}
	return " (" + o.Detail + ")"
}

// versionedCIS is a CIS profile name RKE2 accepted before v1.30 ("cis-1.23", "cis-1.6").
var versionedCIS = regexp.MustCompile(`^cis-1\.\d+$`)

func judgeCISProfile(_ Hop, f *Facts) []Hit {
	var out []Hit
	for _, n := range f.Nodes {
		if p, ok := Value(n.Args, "profile"); ok && versionedCIS.MatchString(p) {
			out = append(out, Hit{Subject: "node/" + n.Name, Message: fmt.Sprintf("passes --profile %s; from v1.30 RKE2 accepts only cis (and etcd): the server will not start", p)})
		}
	}
	return out
}
