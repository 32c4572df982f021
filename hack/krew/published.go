package krew

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// Published reads a rendered manifest's version and sha256s, so that .krew.yaml can be
// rendered again for a release that is already out (after editing its text between releases)
// without touching what users download.
func Published(manifest []byte) (tag string, sha SHA256Func, err error) {
	var m struct {
		Spec struct {
			Version   string `json:"version"`
			Platforms []struct {
				URI    string `json:"uri"`
				Sha256 string `json:"sha256"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(manifest, &m); err != nil {
		return "", nil, fmt.Errorf("read manifest: %w", err)
	}
	if m.Spec.Version == "" {
		return "", nil, fmt.Errorf("manifest has no spec.version")
	}
	sums := map[string]string{}
	for _, p := range m.Spec.Platforms {
		sums[p.URI] = p.Sha256
	}
	return m.Spec.Version, func(uri string) (string, error) {
		if s, ok := sums[uri]; ok {
			return s, nil
		}
		return "", fmt.Errorf("%s was not published with %s: a new platform needs a new release", uri, m.Spec.Version)
	}, nil
}
