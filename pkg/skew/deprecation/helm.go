package deprecation

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxReleaseBytes bounds a Helm release, stored and expanded. Helm keeps a
// release in one Secret, which etcd caps near 1.5 MiB compressed; a chart that
// expands beyond this is hostile or broken, and reading it would only exhaust memory.
const DefaultMaxReleaseBytes = 32 << 20

// ErrTooLarge is returned for a release beyond the limit.
var ErrTooLarge = errors.New("release too large")

// Release is the part of a Helm v3 release we read.
type Release struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Version   int    `json:"version"`
	Info      struct {
		Status string `json:"status"`
	} `json:"info"`
	Chart struct {
		Metadata struct {
			Name        string `json:"name"`
			Version     string `json:"version"`
			KubeVersion string `json:"kubeVersion"`
		} `json:"metadata"`
	} `json:"chart"`
	Manifest string `json:"manifest"`
}

var gzipMagic = []byte{0x1f, 0x8b, 0x08}

// DecodeRelease reads the "release" value Helm stores: base64 text of gzipped JSON
// (Helm also accepts plain JSON inside the base64, and so do we). Neither the stored
// value nor its expansion may exceed limit bytes.
func DecodeRelease(stored []byte, limit int64) (*Release, error) {
	if limit <= 0 {
		limit = DefaultMaxReleaseBytes
	}
	if int64(len(stored)) > limit {
		return nil, fmt.Errorf("%w: %d bytes stored, over the limit of %d", ErrTooLarge, len(stored), limit)
	}
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(stored)))
	n, err := base64.StdEncoding.Decode(raw, bytes.TrimSpace(stored))
	if err != nil {
		return nil, fmt.Errorf("the release is not base64: %w", err)
	}
	raw = raw[:n]
	if bytes.HasPrefix(raw, gzipMagic) {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("the release is not gzip: %w", err)
		}
		raw, err = io.ReadAll(io.LimitReader(zr, limit+1))
		if err != nil {
			return nil, fmt.Errorf("the release does not decompress: %w", err)
		}
		if int64(len(raw)) > limit {
			return nil, fmt.Errorf("%w: it expands beyond the limit of %d bytes", ErrTooLarge, limit)
		}
	}
	var r Release
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("the release is not JSON: %w", err)
	}
	return &r, nil
}

// EncodeRelease stores a release the way Helm does; the tests and the sandbox use it
// to write releases exactly as Helm would.
func EncodeRelease(release any) ([]byte, error) {
	b, err := json.Marshal(release)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return []byte(base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

// Ref names the release.
func (r *Release) Ref() ReleaseRef {
	ref := ReleaseRef{Namespace: r.Namespace, Name: r.Name, Revision: r.Version}
	if m := r.Chart.Metadata; m.Name != "" {
		ref.Chart = m.Name + "-" + m.Version
	}
	return ref
}

// Scan lists the documents of the release's manifest and its chart's kubeVersion.
func (r *Release) Scan(storage string) *Scan {
	ref := r.Ref()
	ref.Storage = storage
	s := &Scan{Releases: 1}
	docs, problems := ReadManifest([]byte(r.Manifest))
	for _, d := range docs {
		rr := ref
		s.Uses = append(s.Uses, Use{Source: SourceHelm, APIVersion: d.APIVersion, Kind: d.Kind,
			Namespace: d.Namespace, Name: d.Name, Release: &rr, File: d.Template, Document: d.Index})
	}
	for _, p := range problems {
		rr := ref
		s.Problems = append(s.Problems, Problem{Source: SourceHelm, Release: &rr, File: p.Template, Document: p.Index, Reason: p.Reason})
	}
	if kv := r.Chart.Metadata.KubeVersion; kv != "" {
		s.Charts = append(s.Charts, Chart{Release: ref, KubeVersion: kv})
	}
	return s
}
