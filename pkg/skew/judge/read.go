package judge

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
)

// Source is where Read reads. Everything is read-only.
type Source struct {
	// ScanAPIs reads the removed-API sources (ScanAPIs, with the clients the caller
	// chose); nil reads none and judges an empty scan.
	ScanAPIs func(context.Context) (*deprecation.Scan, error)
	// Hazards are the clients the hazard facts are listed with.
	Hazards hazard.Clients
}

// Facts is what Read read for the judging.
type Facts struct {
	// APIs is the removed-API scan; nil when it did not run.
	APIs *deprecation.Scan
	// Hazards are the facts the hops' hazards read; nil when no hop is judged.
	Hazards *hazard.Facts
}

// Read reads what hops need, once and concurrently: the removed-API scan (only from a
// known control plane, as nothing can be judged without one) and the facts the
// hazards need; nodes are the nodes the caller listed already. Only the scan fails,
// when ctx ends: a source it may not read is Skipped, and so is a hazard fact.
func Read(ctx context.Context, src Source, nodes []corev1.Node, hops Hops) (*Facts, error) {
	f := &Facts{}
	read := make(chan struct{})
	go func() {
		defer close(read)
		f.Hazards = ReadHazards(ctx, src.Hazards, nodes, hops.Hazards)
	}()
	var err error
	if hops.Scan && hops.From != nil {
		f.APIs = &deprecation.Scan{}
		if src.ScanAPIs != nil {
			f.APIs, err = src.ScanAPIs(ctx)
		}
	}
	<-read
	if err != nil {
		// Not wrapped: the scan's own errors say what failed, and a cancelled run
		// reads as before.
		return nil, err
	}
	return f, nil
}

// ReadHazards lists the facts the hops' hazards need, each once; nil without hops.
func ReadHazards(ctx context.Context, c hazard.Clients, nodes []corev1.Node, hops []hazard.Hop) *hazard.Facts {
	if len(hops) == 0 {
		return nil
	}
	return hazard.Read(ctx, c, nodes, hazard.Needs(hops))
}

// ScanAPIs reads the removed-API sources cfg chooses: the cluster's, through src
// (unless cfg.Cluster is off), and the -f manifests read already.
func ScanAPIs(ctx context.Context, src deprecation.ClusterSource, cfg APIs) (*deprecation.Scan, error) {
	s := &deprecation.Scan{}
	if cfg.Cluster {
		read, err := deprecation.Read(ctx, src, deprecation.ReadOptions{MaxReleaseBytes: cfg.MaxReleaseBytes})
		if err != nil {
			return nil, err
		}
		s = read
	}
	if cfg.Manifests != nil {
		s.Add(cfg.Manifests)
	}
	return s, nil
}
