package hazard

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// K3s and RKE2 bundle the upstream Traefik chart and install it with the values of the
// HelmChartConfig kube-system/traefik (rke2-traefik on RKE2) merged over their own. Two
// chart majors reject values older charts accepted, so the helm-install Job fails at
// the hop (SKEW912):
//
//   - chart v38 gives every ports.<name> entry and every providers.<provider> a closed
//     JSON schema: a key the chart does not know fails the install ("Additional
//     property ... is not allowed");
//   - chart v39 closes the root as well, and v40 renames providers.kubernetesIngressNginx
//     to providers.kubernetesIngressNGINX and drops some keys (podSecurityPolicy,
//     ports.<name>.tls, redirections, middlewares).
//
// The key lists below are the "properties" of the charts' values.schema.json at tags
// v38.0.0 and v40.0.0 (traefik/traefik-helm-chart).
//
// The release notes' tables list the Traefik a release ships, not its chart; the
// Traefik marks the chart. Both distributions moved to chart 38 with Traefik 3.6
// (February 2026: K3s v1.35.0+k3s3 went from 3.5.1 with chart 37 to 3.6.7 with chart
// 38.0.201; RKE2 v1.33.7+rke2r3, v1.34.3+rke2r3 and v1.35.0+rke2r3 with chart 38.0.201)
// and to chart 40 with Traefik 3.7 (June 2026: RKE2 v1.33.13+rke2r1, v1.34.9+rke2r1,
// v1.35.6+rke2r1 and v1.36.2+rke2r1 with chart 40.1.003 and Traefik 3.7.4, each with the
// notes' warning about the kubernetesIngressNGINX rename; K3s v1.36.2+k3s1 likewise).
var (
	traefikOfChart38 = version.MustParse("v3.6.0")
	traefikOfChart40 = version.MustParse("v3.7.0")

	traefikSchema38 = traefikSchema{
		chart: 38,
		ports: keys("allowACMEByPass appProtocol asDefault containerPort expose exposedPort forwardedHeaders hostIP hostPort " +
			"http http3 middlewares nodePort observability port protocol proxyProtocol redirections targetPort tls transport"),
		providers: map[string]map[string]bool{
			"file":                   keys("content enabled watch"),
			"knative":                keys("enabled labelSelector namespaces"),
			"kubernetesCRD":          keys("allowCrossNamespace allowEmptyServices allowExternalNameServices enabled ingressClass labelSelector namespaces nativeLBByDefault"),
			"kubernetesGateway":      keys("enabled experimentalChannel labelSelector namespaces nativeLBByDefault statusAddress"),
			"kubernetesIngress":      keys("allowEmptyServices allowExternalNameServices disableIngressClassLookup enabled ingressClass labelSelector namespaces nativeLBByDefault publishedService strictPrefixMatching"),
			"kubernetesIngressNginx": keys("certAuthFilePath controllerClass defaultBackendService disableSvcExternalName enabled endpoint ingressClass ingressClassByName publishService publishStatusAddress throttleDuration token watchIngressWithoutClass watchNamespace watchNamespaceSelector"),
		},
	}
	traefikSchema40 = traefikSchema{
		chart: 40,
		root: keys("additionalArguments additionalVolumeMounts affinity api autoscaling certificatesResolvers commonLabels core " +
			"deployment enabled env envFrom experimental extraObjects fullnameOverride gateway gatewayClass global hostNetwork hub " +
			"image ingressClass ingressRoute instanceLabelOverride livenessProbe logs metrics nameOverride namespaceOverride " +
			"nodeSelector oci_meta ocsp offering_version persistence podDisruptionBudget podSecurityContext ports " +
			"priorityClassName providers rbac readinessProbe resources securityContext service serviceAccount " +
			"serviceAccountAnnotations startupProbe tlsOptions tlsStore tolerations topologySpreadConstraints tracing " +
			"updateStrategy versionOverride volumes"),
		ports: keys("allowACMEByPass appProtocol asDefault containerPort expose exposedPort forwardedHeaders hostIP hostPort " +
			"http http3 nodePort observability port protocol proxyProtocol targetPort transport uplink"),
		providers: map[string]map[string]bool{
			"file":              keys("content enabled watch"),
			"knative":           keys("enabled labelSelector namespaces"),
			"kubernetesCRD":     keys("allowCrossNamespace allowEmptyServices allowExternalNameServices enabled ingressClass labelSelector namespaces nativeLBByDefault"),
			"kubernetesGateway": keys("enabled experimentalChannel labelSelector namespaces nativeLBByDefault statusAddress"),
			"kubernetesIngress": keys("allowEmptyServices allowExternalNameServices disableIngressClassLookup enabled ingressClass ingressEndpoint labelSelector namespaces nativeLBByDefault publishedService strictPrefixMatching"),
			"kubernetesIngressNGINX": keys("allowCrossNamespaceResources allowSnippetAnnotations certAuthFilePath clientBodyBufferSize " +
				"controllerClass customHTTPErrors defaultBackendService disableSvcExternalName enabled endpoint " +
				"globalAllowedResponseHeaders globalAuthUrl httpEntryPoint httpsEntryPoint ingressClass ingressClassByName " +
				"ipAllowListStrategy modsec proxyBodySize proxyBufferSize proxyBuffering proxyBuffersNumber " +
				"proxyConnectTimeout proxyNextUpstream proxyNextUpstreamTimeout proxyNextUpstreamTries proxyReadTimeout " +
				"proxyRequestBuffering proxySendTimeout publishService publishStatusAddress strictValidatePathType " +
				"throttleDuration token upstreamKeepaliveTimeout watchIngressWithoutClass watchNamespace watchNamespaceSelector"),
			"precedence": {},
		},
	}
)

// traefikSchema is the part of a chart's values schema that rejects unknown keys.
type traefikSchema struct {
	chart     int
	root      map[string]bool // nil: the root accepts any key
	ports     map[string]bool
	providers map[string]map[string]bool
}

func keys(s string) map[string]bool {
	out := map[string]bool{}
	for _, k := range strings.Fields(s) {
		out[k] = true
	}
	return out
}

// ParseChartValues reads a HelmChartConfig's valuesContent (YAML) into a map. Empty
// content is an empty map; content that is not a YAML mapping is an error.
func ParseChartValues(content string) (map[string]any, error) {
	if strings.TrimSpace(content) == "" {
		return map[string]any{}, nil
	}
	var v map[string]any
	if err := yaml.Unmarshal([]byte(content), &v); err != nil {
		return nil, fmt.Errorf("valuesContent is not a YAML mapping: %w", err)
	}
	if v == nil {
		v = map[string]any{}
	}
	return v, nil
}

// rejected lists the value paths the schema would refuse, sorted.
func (s traefikSchema) rejected(values map[string]any) []string {
	var out []string
	if s.root != nil {
		for k := range values {
			if !s.root[k] {
				out = append(out, k)
			}
		}
	}
	if ports, ok := values["ports"].(map[string]any); ok {
		for name, p := range ports {
			entry, ok := p.(map[string]any)
			if !ok {
				continue
			}
			for k := range entry {
				if !s.ports[k] {
					out = append(out, "ports."+name+"."+k)
				}
			}
		}
	}
	if providers, ok := values["providers"].(map[string]any); ok {
		for name, p := range providers {
			allowed, known := s.providers[name]
			if !known {
				out = append(out, "providers."+name)
				continue
			}
			entry, ok := p.(map[string]any)
			if !ok || len(allowed) == 0 {
				continue // a scalar, or a provider whose schema lists no keys
			}
			for k := range entry {
				if !allowed[k] {
					out = append(out, "providers."+name+"."+k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// traefikSchemaFor is the newest chart schema the hop may bring, from the Traefik the
// releases ship (release data), if it brings one.
func traefikSchemaFor(h Hop) (traefikSchema, bool) {
	x := h.data()
	switch {
	case crosses(x, h.From, h.To, release.Traefik, traefikOfChart40) != No:
		return traefikSchema40, true
	case crosses(x, h.From, h.To, release.Traefik, traefikOfChart38) != No:
		return traefikSchema38, true
	}
	return traefikSchema{}, false
}

// traefikConfigName is the HelmChartConfig that carries the Traefik values.
func traefikConfigName(d version.Distro) string {
	if d == version.RKE2 {
		return "rke2-traefik"
	}
	return "traefik"
}

// judgeTraefikValues checks the HelmChartConfig kube-system/traefik (rke2-traefik)
// against the chart the hop installs. A valuesContent that is not YAML is an Unknown
// hit: not checked.
func judgeTraefikValues(h Hop, f *Facts) []Hit {
	schema, ok := traefikSchemaFor(h)
	if !ok {
		return nil
	}
	var out []Hit
	for _, o := range f.HelmCharts {
		if o.Kind != "helmchartconfig" || o.Name != traefikConfigName(h.To.Distro) || o.Namespace != "kube-system" {
			continue
		}
		values, err := ParseChartValues(o.Detail)
		if err != nil {
			out = append(out, Hit{Subject: o.Ref(), Unknown: true, Message: "values not checked: " + err.Error()})
			continue
		}
		for _, path := range schema.rejected(values) {
			msg := fmt.Sprintf("sets %s, which Traefik chart v%d's values schema rejects: the helm-install Job will fail", path, schema.chart)
			if path == "providers.kubernetesIngressNginx" {
				msg = fmt.Sprintf("sets providers.kubernetesIngressNginx, renamed kubernetesIngressNGINX in Traefik chart v%d: the helm-install Job will fail", schema.chart)
			}
			out = append(out, Hit{Subject: o.Ref(), Message: msg})
		}
	}
	return out
}
