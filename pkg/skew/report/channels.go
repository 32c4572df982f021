package report

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ChannelsReport is printed by "kubectl skew channels".
type ChannelsReport struct {
	metav1.TypeMeta `json:",inline"`
	Distro          string `json:"distro"`
	// Server is the channel list's URL.
	Server string `json:"server"`
	// Default is the channel the installers use when none is given.
	Default string `json:"default"`
	// ClusterVersions are the servers' versions, lowest first; empty with --distro.
	ClusterVersions []string      `json:"clusterVersions,omitempty"`
	Channels        []ChannelInfo `json:"channels"`
}

// ChannelInfo is one channel.
type ChannelInfo struct {
	Name string `json:"name"`
	// Latest is the release the channel points at; empty when it has none.
	Latest string `json:"latest,omitempty"`
	// Minor is Latest's minor ("v1.33").
	Minor string `json:"minor,omitempty"`
	// Default marks the installers' default channel.
	Default bool `json:"default,omitempty"`
	// Cluster marks the channel of a minor the cluster's servers run.
	Cluster bool `json:"cluster,omitempty"`
	// Newer is true on a Cluster channel whose Latest is newer than the servers.
	Newer bool `json:"newer,omitempty"`
	// Error says why Latest is not a version.
	Error string `json:"error,omitempty"`
}

// NewChannelsReport returns an empty ChannelsReport with its type set.
func NewChannelsReport() *ChannelsReport {
	return &ChannelsReport{TypeMeta: typeMeta("ChannelsReport"), Channels: []ChannelInfo{}}
}

// DeepCopyObject implements runtime.Object.
func (r *ChannelsReport) DeepCopyObject() Object { return deepCopyJSON(r) }
