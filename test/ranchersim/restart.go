package ranchersim

import "time"

// Restart plays a restart of Rancher's controllers (the rancher pod rescheduled, or
// upgraded): nothing is reconciled for down, and what they held in memory only (the
// operations in progress, the nodes announced and not yet moved) is lost; they pick up
// from the objects in the cluster, as Rancher's do. The log of versions set stays: it
// is the test's record, not Rancher's.
func (s *Simulator) Restart(down time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.downUntil = time.Now().Add(down)
	s.ops = map[string]*op{}
	s.imported = map[string]*importedOp{}
}

// SetStep changes how long each node and phase takes from now on, and returns the
// step it replaced: a test slows the simulator down to strike between its steps.
func (s *Simulator) SetStep(step time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.step
	s.step = step
	return old
}

func (s *Simulator) stepNow() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.step
}
