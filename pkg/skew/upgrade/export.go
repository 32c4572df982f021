package upgrade

import (
	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// Export is every Plan of the current hop, for Git: the server Plan over all the
// hop's servers and the agent Plan whose prepare step waits for it. Committed
// together they let the controller finish the hop without kubectl-skew; each carries
// the hop it belongs to. It writes nothing; a proposal of another driver has none.
func (p *Proposal) Export(cfg Config) []*upgradev1.Plan {
	st := p.Step
	d, ok := p.driver.(*sucDriver)
	if st == nil || !ok {
		return nil
	}
	byName := map[string]*upgradev1.Plan{}
	for i := range d.ours {
		byName[d.ours[i].Name] = &d.ours[i]
	}
	hop := st.Hop
	if st.Canary {
		hop.Agents = d.allAgents
	}
	var out []*upgradev1.Plan
	prepare := ""
	if len(hop.Servers) > 0 {
		sp := suc.ServerPlan(p.Path.Distro, hop, st.Record, cfg.Plans)
		if prev := byName[sp.Name]; prev != nil {
			keepSelection(sp, prev)
		}
		out, prepare = append(out, sp), sp.Name
	} else if st.Phase == PhaseAgents && len(st.Plans) > 0 && st.Plans[0].Spec.Prepare != nil {
		prepare = st.ServerPlan
	}
	if len(hop.Agents) > 0 {
		ap := suc.AgentPlan(p.Path.Distro, hop, prepare, st.Record, cfg.Plans)
		if prev := byName[ap.Name]; prev != nil {
			keepSelection(ap, prev)
		}
		out = append(out, ap)
	}
	for _, pl := range out {
		pl.Annotations[suc.AnnotationHop] = st.HopLabel()
	}
	return out
}
