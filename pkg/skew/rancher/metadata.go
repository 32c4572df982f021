package rancher

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
)

// The key of a snapshot's metadata that holds the Cluster spec it was taken with.
const metadataClusterSpec = "provisioning-cluster-spec"

// maxSpecBytes bounds a decompressed Cluster spec: metadata is outside input.
const maxSpecBytes = 4 << 20

// specVersion reads the Cluster's kubernetesVersion from a snapshot's metadata: base64
// JSON whose provisioning-cluster-spec is base64 of the gzipped Cluster spec. A
// kubernetesVersion restore takes the version from there. Anything unreadable gives "".
func specVersion(metadata string) string {
	raw, err := base64.StdEncoding.DecodeString(metadata)
	if err != nil {
		return ""
	}
	var m map[string]string
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	gz, err := base64.StdEncoding.DecodeString(m[metadataClusterSpec])
	if err != nil {
		return ""
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return ""
	}
	spec, err := io.ReadAll(io.LimitReader(zr, maxSpecBytes))
	if err != nil {
		return ""
	}
	var s struct {
		KubernetesVersion string `json:"kubernetesVersion"`
	}
	if json.Unmarshal(spec, &s) != nil {
		return ""
	}
	return s.KubernetesVersion
}

// SnapshotMetadata encodes a Cluster spec as Rancher stores it with a snapshot; the
// simulator writes snapshots with it.
func SnapshotMetadata(spec map[string]any) (string, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	m, err := json.Marshal(map[string]string{metadataClusterSpec: base64.StdEncoding.EncodeToString(buf.Bytes())})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(m), nil
}
