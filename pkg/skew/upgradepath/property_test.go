package upgradepath

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// world is one generated cluster, channel list and request.
type world struct {
	req  Request
	desc []string
}

func releaseString(d version.Distro, minor, patch, rev int) string {
	sfx := "k3s"
	if d == version.RKE2 {
		sfx = "rke2r"
	}
	return fmt.Sprintf("v1.%d.%d+%s%d", minor, patch, sfx, rev)
}

// etcdOf is the etcd the worlds' releases bundle, shaped like the real data: 3.5 up to
// v1.32 (3.5.26 from patch 11, revision 3), 3.6 from v1.34, and inside v1.33 3.5.21,
// then 3.5.26 (patches 8 to 10), then 3.6 (patch 11 on).
func etcdOf(minor, patch, rev int) string {
	switch {
	case minor >= 34, minor == 33 && patch >= 11:
		return "v3.6.7-k3s1"
	case minor == 33 && patch >= 8, minor == 32 && (patch > 11 || patch == 11 && rev >= 3):
		return "v3.5.26-k3s1"
	}
	return "v3.5.21-k3s1"
}

// worldReleases is the release data of every release a world names.
func worldReleases(t testing.TB, d version.Distro, names []string) *release.Index {
	var specs []string
	for _, s := range names {
		var minor, patch, rev int
		if _, err := fmt.Sscanf(strings.NewReplacer("+k3s", " ", "+rke2r", " ").Replace(s), "v1.%d.%d %d", &minor, &patch, &rev); err != nil {
			continue // the malformed targets a world tries
		}
		specs = append(specs, fmt.Sprintf("%s etcd=%s", releaseString(d, minor, patch, rev), etcdOf(minor, patch, rev)))
	}
	slices.Sort(specs)
	return testworld.Releases(t, slices.Compact(specs)...)
}

// generate builds a random but plausible world: channels for most minors, servers on
// one minor or half way to the next, agents up to five minors behind (some newer),
// and a target that is sometimes unknown, older, unlisted or of the wrong shape.
func generate(t testing.TB, r *rand.Rand) world {
	d := version.K3s
	if r.IntN(2) == 0 {
		d = version.RKE2
	}
	base := 22 + r.IntN(12)
	var data []string
	newest := map[int]string{}
	for m := 20; m <= 36; m++ {
		if r.IntN(10) == 0 {
			continue // a minor the server does not list
		}
		newest[m] = releaseString(d, m, 5+r.IntN(15), 1+r.IntN(3))
		data = append(data, fmt.Sprintf(`{"name":"v1.%d","latest":%q}`, m, newest[m]))
	}
	pick := func() string {
		for {
			if v, ok := newest[base+r.IntN(6)]; ok {
				return v
			}
		}
	}
	data = append(data, fmt.Sprintf(`{"name":"stable","latest":%q}`, pick()), `{"name":"testing"}`)
	list, err := channel.Decode("https://mirror.test/v1-release/channels", "", []byte(`{"data":[`+strings.Join(data, ",")+`]}`))
	if err != nil {
		t.Fatal(err)
	}

	var specs []string
	for i := range 1 + r.IntN(5) {
		minor, role := base, "server"
		if r.IntN(5) == 0 {
			minor++ // a hop half done
		}
		if i > 0 && r.IntN(4) == 0 {
			role = "etcd" // etcd-only servers, next to at least one control-plane server
		}
		specs = append(specs, fmt.Sprintf("%s s%d %s", role, i, releaseString(d, minor, r.IntN(20), 1+r.IntN(3))))
	}
	for i := range r.IntN(9) {
		minor := base - r.IntN(6)
		if r.IntN(12) == 0 {
			minor = base + 1
		}
		specs = append(specs, fmt.Sprintf("agent a%d %s", i, releaseString(d, minor, r.IntN(20), 1+r.IntN(3))))
	}

	var names []string
	for _, sp := range specs {
		names = append(names, strings.Fields(sp)[2])
	}
	for _, v := range newest {
		names = append(names, v)
	}
	w := world{req: Request{Inventory: testworld.Inventory(t, specs...), Channels: list}, desc: specs}
	if r.IntN(3) == 0 {
		w.req.Agents = AgentsFinal
	}
	switch r.IntN(10) {
	case 0, 1, 2:
		w.req.Channel = "stable"
	case 3:
		w.req.Channel = fmt.Sprintf("v1.%d", base+r.IntN(5))
	case 4:
		w.req.Channel = []string{"testing", "nope"}[r.IntN(2)]
	default:
		minor := base + r.IntN(6)
		s := releaseString(d, minor, r.IntN(25), 1+r.IntN(3))
		if r.IntN(3) == 0 {
			if v, ok := newest[minor]; ok {
				s = v
			}
		}
		if r.IntN(20) == 0 {
			s = fmt.Sprintf("v1.%d.%d", minor, r.IntN(9)) // no distro suffix
		}
		w.req.Version = testworld.Target(t, s)
		if r.IntN(5) == 0 {
			w.req.Channels = nil // air-gapped
		}
	}
	if w.req.Version != nil {
		names = append(names, w.req.Version.String())
	}
	// Now and then the data lacks the target: a release newer than it.
	if r.IntN(8) == 0 && w.req.Version != nil {
		names = names[:len(names)-1]
	}
	w.req.Releases = worldReleases(t, d, names)
	w.desc = append(w.desc, fmt.Sprintf("channel=%q version=%v agents=%q channels=%v", w.req.Channel, w.req.Version, w.req.Agents, w.req.Channels != nil))
	return w
}

var knownErrors = []error{
	ErrUnsupportedDistro, ErrNoServers, ErrUnreadableNode, ErrNoTarget, ErrInexactTarget, ErrWrongDistro,
	ErrNotListed, ErrNeedChannels, ErrDowngrade, ErrAgentsFinal, channel.ErrUnknownChannel, channel.ErrNoLatest,
	ErrPatchMinimum,
}

func TestPathProperties(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 400
	}
	outcomes := map[string]int{}
	for seed := range uint64(n) {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		w := generate(t, r)
		p, err := Find(w.req)
		if err != nil {
			known := false
			for _, k := range knownErrors {
				if errors.Is(err, k) {
					outcomes["refused: "+k.Error()]++
					known = true
					break
				}
			}
			if !known {
				t.Fatalf("seed %d: unexpected error %v\n%s", seed, err, strings.Join(w.desc, "\n"))
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("seed %d: multi-line error %q", seed, err)
			}
			continue
		}
		outcomes[fmt.Sprintf("planned %d hops, blocked=%v", len(p.Hops), p.Blocked())]++
		if msg := checkPath(w.req, p); msg != "" {
			t.Fatalf("seed %d: %s\n%s\nhops: %q", seed, msg, strings.Join(w.desc, "\n"), hopLines(p))
		}
	}
	planned := 0
	for k, v := range outcomes {
		if strings.HasPrefix(k, "planned") {
			planned += v
		}
	}
	if planned < n/4 {
		t.Errorf("only %d of %d worlds planned: the generator tests refusals, not paths: %v", planned, n, outcomes)
	}
	t.Logf("outcomes over %d worlds: %v", n, outcomes)
}

// checkPath walks the path over the cluster and returns what breaks a property, or "".
func checkPath(req Request, p *Path) string {
	inv := req.Inventory
	state := map[string]version.Version{}
	role := map[string]cluster.Role{}
	for _, n := range inv.Nodes {
		state[n.Name], role[n.Name] = *n.Kubelet, n.Role
	}
	if len(p.Hops) > 0 && !p.Hops[len(p.Hops)-1].To.Equal(p.Target) {
		return fmt.Sprintf("the last hop goes to %s, not the target %s", p.Hops[len(p.Hops)-1].To, p.Target)
	}
	var prev *version.Version
	for hi, h := range p.Hops {
		if h.To.Distro != inv.Distro || h.To.Major != 1 {
			return fmt.Sprintf("hop %d goes to %s, not one exact %s release", hi+1, h.To, inv.Distro)
		}
		if prev != nil && h.To.Compare(*prev) <= 0 {
			return fmt.Sprintf("hop %d goes to %s, not beyond hop %d's %s", hi+1, h.To, hi, prev)
		}
		prev = &h.To
		if len(h.Servers)+len(h.Agents) == 0 {
			return fmt.Sprintf("hop %d upgrades nothing", hi+1)
		}
		if msg := belowMinimum(req.Releases, h, hi, state, role); msg != "" {
			return msg
		}
		seen := map[string]bool{}
		for _, s := range h.Servers {
			cur := state[s.Name]
			switch {
			case seen[s.Name] || !role[s.Name].IsServer():
				return fmt.Sprintf("hop %d lists %s twice or as a server", hi+1, s.Name)
			case !s.From.Equal(cur):
				return fmt.Sprintf("hop %d says %s is at %s, it is at %s", hi+1, s.Name, s.From, cur)
			case h.To.Compare(cur) <= 0:
				return fmt.Sprintf("hop %d downgrades server %s from %s to %s", hi+1, s.Name, cur, h.To)
			case h.To.MinorsAhead(cur) > 1:
				return fmt.Sprintf("hop %d skips a minor on server %s: %s to %s", hi+1, s.Name, cur, h.To)
			}
			seen[s.Name] = true
			state[s.Name] = h.To
		}
		lowestServer, _ := serverBounds(state, role)
		if lowestServer.Compare(h.To) < 0 && len(h.Servers) > 0 {
			return fmt.Sprintf("after hop %d's servers, a server is still at %s", hi+1, lowestServer)
		}
		// The skew that must hold while a hop runs: its servers done, its agents not yet
		// (an agents-only hop: once its agents are done).
		if len(h.Servers) > 0 && !p.Blocked() {
			if msg := agentsInWindow(state, role, hi); msg != "" {
				return msg
			}
		}
		for _, a := range h.Agents {
			cur := state[a.Name]
			switch {
			case seen[a.Name] || role[a.Name].IsServer():
				return fmt.Sprintf("hop %d lists %s twice or as an agent", hi+1, a.Name)
			case !a.From.Equal(cur):
				return fmt.Sprintf("hop %d says agent %s is at %s, it is at %s", hi+1, a.Name, a.From, cur)
			case h.To.Compare(cur) <= 0:
				return fmt.Sprintf("hop %d downgrades agent %s from %s to %s", hi+1, a.Name, cur, h.To)
			case h.To.Compare(lowestServer) > 0:
				return fmt.Sprintf("hop %d moves agent %s to %s before every server is there (lowest %s)", hi+1, a.Name, h.To, lowestServer)
			}
			seen[a.Name] = true
			state[a.Name] = h.To
		}
		if len(h.Servers) == 0 && !p.Blocked() {
			if msg := agentsInWindow(state, role, hi); msg != "" {
				return msg
			}
		}
		if req.Agents == AgentsFinal && hi < len(p.Hops)-1 && len(h.Agents) > 0 {
			return fmt.Sprintf("--agents final, yet hop %d moves agents", hi+1)
		}
	}
	for name, v := range state {
		if !v.Equal(p.Target) {
			return fmt.Sprintf("%s ends at %s, not the target %s", name, v, p.Target)
		}
	}
	return ""
}

func agentsInWindow(state map[string]version.Version, role map[string]cluster.Role, hi int) string {
	_, highestServer := serverBounds(state, role)
	for name, v := range state {
		if role[name].IsServer() {
			continue
		}
		if behind := highestServer.MinorsAhead(v); behind > policy.KubeletWindow(v) {
			return fmt.Sprintf("unblocked path, yet during hop %d agent %s at %s trails servers at %s by %d", hi+1, name, v, highestServer, behind)
		}
	}
	return ""
}

func serverBounds(state map[string]version.Version, role map[string]cluster.Role) (lo, hi version.Version) {
	first := true
	for name, v := range state {
		if !role[name].IsServer() {
			continue
		}
		if first || v.Compare(lo) < 0 {
			lo = v
		}
		if first || v.Compare(hi) > 0 {
			hi = v
		}
		first = false
	}
	return lo, hi
}

func BenchmarkPlanPath(b *testing.B) {
	for _, size := range []struct{ servers, agents int }{{3, 5}, {5, 500}, {5, 5000}} {
		nodes := testworld.Join(testworld.Uniform("server", "s", size.servers, k30), testworld.Uniform("agent", "a", size.agents, "v1.29.15+k3s1"))
		req := Request{Inventory: testworld.Inventory(b, nodes...), Channel: "stable", Channels: testworld.Channels(b, "k3s")}
		b.Run(fmt.Sprintf("%dnodes", size.servers+size.agents), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Find(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// belowMinimum says which node is below a hazard's minimum when hop hi moves the
// servers across what the minimum guards: the planner must have moved it first (or
// refused). Every server of these worlds is an etcd member (testworld labels them).
func belowMinimum(x *release.Index, h Hop, hi int, state map[string]version.Version, role map[string]cluster.Role) string {
	if len(h.Servers) == 0 {
		return ""
	}
	var lowest version.Version
	first := true
	for n, v := range state {
		if role[n].IsServer() && (first || v.Compare(lowest) < 0) {
			lowest, first = v, false
		}
	}
	if m := (hazard.EtcdMinimum{Releases: x}); true {
		for n, v := range state {
			if role[n].IsServer() && v.Compare(h.To) < 0 && m.Downgrades(v, h.To) {
				return fmt.Sprintf("hop %d takes %s from etcd 3.6 (%s) back to 3.5 (%s)", hi+1, n, v, h.To)
			}
		}
	}
	for _, m := range hazard.Minimums(x) {
		if m.Guards(lowest, h.To) == hazard.No {
			continue
		}
		for n, v := range state {
			if (!m.EtcdOnly() || role[n].IsServer()) && !m.Meets(v) && v.Compare(h.To) < 0 {
				return fmt.Sprintf("hop %d moves the servers to %s while %s runs %s, below the %s minimum", hi+1, h.To, n, v, m.ID())
			}
		}
	}
	return ""
}
