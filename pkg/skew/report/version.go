package report

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// VersionInfo is printed by "kubectl skew version".
type VersionInfo struct {
	metav1.TypeMeta `json:",inline"`
	Client          BuildInfo      `json:"client"`
	Server          *ServerVersion `json:"server,omitempty"`
}

// BuildInfo identifies a build of the plugin.
type BuildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// ServerVersion is what the apiserver's /version answered.
type ServerVersion struct {
	GitVersion string `json:"gitVersion"`
	Platform   string `json:"platform,omitempty"`
}

// NewVersionInfo returns an empty VersionInfo with its type set.
func NewVersionInfo() *VersionInfo { return &VersionInfo{TypeMeta: typeMeta("VersionInfo")} }

// DeepCopyObject implements runtime.Object.
func (v *VersionInfo) DeepCopyObject() Object { return deepCopyJSON(v) }
