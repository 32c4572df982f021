package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/test/channelserver"
)

// k3sChannels and rke2Channels are the sandbox's channel lists: the plugin never
// reaches update.k3s.io or update.rke2.io from a test.
func k3sChannels() string  { return env.sb.K3sChannels.URL + channelserver.ListPath }
func rke2Channels() string { return env.sb.RKE2Channels.URL + channelserver.ListPath }

// channelsReport is the part of ChannelsReport these tests read.
type channelsReport struct {
	Kind            string
	Distro          string
	Server          string
	ClusterVersions []string
	Channels        []struct {
		Name, Latest, Minor string
		Default, Cluster    bool
		Newer               bool
	}
}

func TestChannelsK3sCluster(t *testing.T) {
	seed(t, "k3s-healthy-ha")
	r := skew(t, "channels", "--channel-server", k3sChannels())
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	golden(t, "channels-k3s.txt", normalize(r.stdout)+"--- stderr\n"+normalize(r.stderr))

	j := skew(t, "channels", "--channel-server", k3sChannels(), "-o", "json")
	var rep channelsReport
	if err := json.Unmarshal([]byte(j.stdout), &rep); err != nil || j.code != 0 {
		t.Fatalf("-o json: %v\n%s", err, j)
	}
	if rep.Kind != "ChannelsReport" || rep.Distro != "k3s" || len(rep.ClusterVersions) != 1 || rep.ClusterVersions[0] != "v1.30.14+k3s1" {
		t.Errorf("report header: %+v", rep)
	}
	marks := map[string]string{}
	for _, c := range rep.Channels {
		if c.Default || c.Cluster {
			marks[c.Name] = c.Latest
		}
	}
	// stable is the default; v1.30 is the cluster's minor, and its channel has moved on to k3s2.
	if marks["stable"] != "v1.36.4+k3s1" || marks["v1.30"] != "v1.30.14+k3s2" || len(marks) != 2 {
		t.Errorf("marked channels = %v", marks)
	}
}

func TestChannelsRKE2WithoutCluster(t *testing.T) {
	// --distro needs no cluster: a kubeconfig pointing nowhere must not matter.
	r := kubectl(t, "/nonexistent/kubeconfig", "skew", "channels", "--distro", "rke2", "--channel-server", rke2Channels(), "-o", "yaml")
	if r.code != 0 || !strings.Contains(r.stdout, "kind: ChannelsReport") || !strings.Contains(r.stdout, "latest: v1.36.4+rke2r1") {
		t.Fatalf("%s", r)
	}
	if strings.Contains(r.stdout, "clusterVersions") {
		t.Errorf("no cluster was read, yet the report has cluster versions:\n%s", r.stdout)
	}
}

// TestChannelsServerFaults: every way a channel server can misbehave ends in exit 1
// and one line that names the URL, never a hang or a stack trace.
func TestChannelsServerFaults(t *testing.T) {
	seed(t, "k3s-healthy-ha") // holds the sandbox: no other test uses the channel server meanwhile
	cases := []struct {
		fault channelserver.Fault
		want  string
	}{
		{channelserver.ServerError, "500 Internal Server Error"},
		{channelserver.Garbage, "not JSON"},
		{channelserver.HTML, "HTML page"},
		{channelserver.Huge, "larger than the limit"},
		{channelserver.Slow, "no complete answer within the timeout"},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			env.sb.K3sChannels.SetFault(tc.fault)
			defer env.sb.K3sChannels.SetFault(channelserver.None)
			r := skew(t, "channels", "--channel-server", k3sChannels(), "--channel-timeout", "2s")
			stderr := normalize(r.stderr)
			if r.code != 1 || r.stdout != "" || len(lines(stderr)) != 1 {
				t.Fatalf("want exit 1 and one line on stderr\n%s", r)
			}
			if !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "http://127.0.0.1:PORT/v1-release/channels") {
				t.Errorf("stderr %q should name the URL and say %q", stderr, tc.want)
			}
			if r.took > 10*time.Second {
				t.Errorf("took %v: the timeout did not hold", r.took)
			}
		})
	}
	// And the server really is back to normal for whoever comes next.
	resp, err := http.Get(k3sChannels())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("channel server after the faults: %s", resp.Status)
	}
}
