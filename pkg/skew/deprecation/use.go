package deprecation

// Source names where a use of an API was found; each has its own finding IDs.
type Source string

const (
	// SourceHelm is a Helm v3 release's rendered manifest.
	SourceHelm Source = "helm"
	// SourceObject is a live object's last-applied-configuration annotation.
	SourceObject Source = "object"
	// SourceFile is a manifest file given with -f.
	SourceFile Source = "file"
)

// Use is one document that names an apiVersion and kind.
type Use struct {
	Source     Source `json:"source"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Namespace and Name are the object the document describes (Name may be empty).
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// Release is the Helm release, for SourceHelm.
	Release *ReleaseRef `json:"release,omitempty"`
	// File and Document locate a document of a file: SourceFile, and the template
	// (from Helm's "# Source:" comment) for SourceHelm. Document counts from 1.
	File     string `json:"file,omitempty"`
	Document int    `json:"document,omitempty"`
}

// ReleaseRef names one revision of a Helm release.
type ReleaseRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Revision  int    `json:"revision"`
	// Chart is "name-version".
	Chart string `json:"chart,omitempty"`
	// Storage is where Helm keeps it: secret or configmap, with the object's name.
	Storage string `json:"storage,omitempty"`
}

// Problem is something a source holds that could not be read: a release too large
// or corrupt, a document that is not YAML. It gets a finding of its own, since
// whatever it uses stays unknown.
type Problem struct {
	Source  Source      `json:"source"`
	Release *ReleaseRef `json:"release,omitempty"`
	File    string      `json:"file,omitempty"`
	// Document counts from 1; 0 when the whole file or release is concerned.
	Document int    `json:"document,omitempty"`
	Reason   string `json:"reason"`
}

// Skipped is a source that could not be read at all, such as Secrets the user may not list.
type Skipped struct {
	What   string `json:"what"`
	Reason string `json:"reason"`
}

// Chart is a deployed release's chart kubeVersion constraint.
type Chart struct {
	Release     ReleaseRef `json:"release"`
	KubeVersion string     `json:"kubeVersion"`
}

// Scan is everything read about API use: what Judge works from.
type Scan struct {
	Uses     []Use     `json:"uses"`
	Charts   []Chart   `json:"charts,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
	Skipped  []Skipped `json:"skipped,omitempty"`
	// Metrics is the apiserver's deprecated-API gauge; nil when it was not read.
	Metrics *Metrics `json:"-"`
	// ReleasesRead and ObjectsRead say whether any Helm storage, and any resource with
	// last-applied configurations, could be read: a count of 0 means none then.
	ReleasesRead bool `json:"-"`
	ObjectsRead  bool `json:"-"`
	// Releases, Objects and Files count what was scanned, for the summary.
	Releases int `json:"releases"`
	Objects  int `json:"objects"`
	Files    int `json:"files"`
}

// Add merges another scan into s (files read locally into a cluster scan).
func (s *Scan) Add(o *Scan) {
	s.Uses = append(s.Uses, o.Uses...)
	s.Charts = append(s.Charts, o.Charts...)
	s.Problems = append(s.Problems, o.Problems...)
	s.Skipped = append(s.Skipped, o.Skipped...)
	if o.Metrics != nil {
		s.Metrics = o.Metrics
	}
	s.ReleasesRead = s.ReleasesRead || o.ReleasesRead
	s.ObjectsRead = s.ObjectsRead || o.ObjectsRead
	s.Releases += o.Releases
	s.Objects += o.Objects
	s.Files += o.Files
}
