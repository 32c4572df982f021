// Package hazard knows what breaks a K3s, RKE2 or Kubernetes hop besides the skew
// policy and removed APIs: distribution changes (Traefik v3, containerd 2.0, the default
// ingress), Kubernetes changes that are not API removals (node authorization by
// selectors, the master label, cgroup v1) and stuck bundled charts.
//
// The knowledge is one table (Table), each entry with a stable SKEW9xx ID, the hop it
// concerns to patch precision, the facts it reads and a pure judgement over them. Facts
// are read once (Read), only the lists some hop of the path needs; a list that is
// forbidden or not served makes the entries that need it "skipped", never a pass.
// docs/hazards.md is generated from the table and the data beside it by hack/docs/hazards
// (make docs) and drift-checked by a test there.
package hazard
