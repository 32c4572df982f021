package channel

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Path is where a channel server serves its list.
const Path = "/v1-release/channels"

// Upstream channel servers of each distribution.
const (
	K3sURL  = "https://update.k3s.io" + Path
	RKE2URL = "https://update.rke2.io" + Path
)

// DefaultURL is the upstream channel list of a distribution.
func DefaultURL(d version.Distro) (string, error) {
	switch d {
	case version.K3s:
		return K3sURL, nil
	case version.RKE2:
		return RKE2URL, nil
	}
	return "", fmt.Errorf("%s has no release channels: channels exist for K3s and RKE2 only", d.Name())
}

// NormalizeURL checks a channel server URL and completes a bare host
// ("https://mirror.example") with the list's path. Plain HTTP is accepted only to
// this machine (a local mirror or test server): anyone on the path could otherwise
// choose the version the cluster upgrades to.
func NormalizeURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("channel server %q is not an http(s) URL such as %s", raw, K3sURL)
	}
	if u.User != nil {
		return "", fmt.Errorf("channel server %q carries credentials in the URL; serve the mirror without them", u.Redacted())
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", &Error{Op: "list channels", URL: s, Kind: ErrInsecure,
			Fix: "serve the mirror over HTTPS (plain HTTP is accepted only to localhost)"}
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = Path
	}
	u.Fragment = ""
	return u.String(), nil
}

// checkURL is NormalizeURL for a document other than the channel list: the same rules
// (https, or http to this machine only; no credentials), the path as given.
func checkURL(raw, document string) (string, error) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%s URL %q is not an http(s) URL", document, raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("%s URL %q carries credentials; serve it without them", document, u.Redacted())
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", &Error{Op: "read " + document, URL: s, Kind: ErrInsecure,
			Fix: "serve it over HTTPS (plain HTTP is accepted only to localhost)"}
	}
	u.Fragment = ""
	return u.String(), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
