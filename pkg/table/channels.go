package table

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// WriteChannels draws a channel list: a title line and one row per channel with its
// latest release and why it matters (the default, the cluster's minor). It has no
// wide form.
func WriteChannels(w io.Writer, r *report.ChannelsReport, opts Options) error {
	var buf bytes.Buffer
	head := fmt.Sprintf("%s release channels from %s", distroName(r.Distro), r.Server)
	if len(r.ClusterVersions) > 0 {
		head += fmt.Sprintf(" (cluster servers on %s)", strings.Join(r.ClusterVersions, ", "))
	}
	fmt.Fprintln(&buf, head)
	tw := printers.GetNewTabWriter(&buf)
	fmt.Fprintln(tw, "CHANNEL\tLATEST\tMINOR\tNOTE")
	for _, c := range r.Channels {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, text.OrDash(c.Latest), text.OrDash(c.Minor), text.OrDash(channelNote(c)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return flush(w, buf.Bytes(), opts.Color)
}

// channelNote says why a channel stands out: the default, the cluster's minor, or no
// usable latest release; empty for the rest.
func channelNote(c report.ChannelInfo) string {
	var notes []string
	if c.Default {
		notes = append(notes, "default")
	}
	if c.Cluster {
		note := "cluster's minor"
		if c.Newer {
			note += ", newer release"
		}
		notes = append(notes, note)
	}
	switch {
	case c.Error != "":
		notes = append(notes, "latest is not a version")
	case c.Latest == "":
		notes = append(notes, "no release")
	}
	return strings.Join(notes, "; ")
}
