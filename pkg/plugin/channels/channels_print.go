package channels

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// writeChannelsTable prints a title line and one row per channel.
func writeChannelsTable(w io.Writer, r *report.ChannelsReport, color bool) error {
	var buf bytes.Buffer
	title := fmt.Sprintf("%s release channels from %s", cmdutil.DistroName(r.Distro), r.Server)
	if len(r.ClusterVersions) > 0 {
		title += fmt.Sprintf(" (cluster servers on %s)", strings.Join(r.ClusterVersions, ", "))
	}
	fmt.Fprintln(&buf, title)
	tw := printers.GetNewTabWriter(&buf)
	fmt.Fprintln(tw, "CHANNEL\tLATEST\tMINOR\tNOTE")
	for _, c := range r.Channels {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, cmdutil.OrDash(c.Latest), cmdutil.OrDash(c.Minor), cmdutil.OrDash(channelNote(c)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.Copy(w, cmdutil.Paint(&buf, color))
	return err
}

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
