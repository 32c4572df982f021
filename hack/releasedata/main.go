// Command releasedata generates pkg/skew/release/data/releases.json, the K3s and RKE2
// release data the plugin embeds, from the distributions' own release notes: the first
// table of every docs/release-notes/v1.NN.X.md in k3s-io/docs and rancher/rke2-docs,
// each file read at its newest version (HEAD, or the parent of the commit that deleted
// it), each row naming that file and commit. Release pages may add releases the notes
// lack. "make release-data" is its caller; -check is CI's drift check.
//
//	go run ./hack/releasedata -k3s-docs ../k3s-docs -rke2-docs ../rke2-docs \
//	    [-pages DIR] -o pkg/skew/release/data/releases.json
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

type options struct {
	k3sDocs, rke2Docs, k3sRepo, rke2Repo, pages, min, out string
	check, verbose                                        bool
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// errDrift is -check's finding: the file differs from what the sources make.
var errDrift = errors.New("out of date")

func realMain(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("releasedata", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.k3sDocs, "k3s-docs", "", "checkout of k3s-io/docs: a work tree, a bare git dir, or a partial copy with SOURCES.tsv")
	fs.StringVar(&o.rke2Docs, "rke2-docs", "", "checkout of rancher/rke2-docs: a work tree, a bare git dir, or a partial copy with SOURCES.tsv")
	fs.StringVar(&o.k3sRepo, "k3s-repo", "k3s-io/docs", "repository the K3s rows name as their source")
	fs.StringVar(&o.rke2Repo, "rke2-repo", "rancher/rke2-docs", "repository the RKE2 rows name as their source")
	fs.StringVar(&o.pages, "pages", "", "release pages: DIR/k3s/<version>.md and DIR/rke2/<version>.md, for releases the notes lack")
	fs.StringVar(&o.min, "min", "v1.28", "oldest minor to read")
	fs.StringVar(&o.out, "o", "", "output file (- for standard output)")
	fs.BoolVar(&o.check, "check", false, "compare with the output file instead of writing it; exit 1 when it differs")
	fs.BoolVar(&o.verbose, "v", false, "say which files were read and summarize each minor")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "releasedata: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := run(o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "releasedata:", err)
		return 1
	}
	return 0
}

func run(o options, stdout, stderr io.Writer) error {
	if o.out == "" {
		return fmt.Errorf("-o: name the output file, e.g. pkg/skew/release/data/releases.json")
	}
	if o.check && o.out == "-" {
		return fmt.Errorf("-check compares with a file: give -o FILE")
	}
	min, err := version.ParseMinor(o.min)
	if err != nil || min.Major != 1 {
		return fmt.Errorf("-min %q: want a minor such as v1.28", o.min)
	}
	if o.k3sDocs == "" && o.rke2Docs == "" && o.pages == "" {
		return fmt.Errorf("no input: give -k3s-docs, -rke2-docs and/or -pages")
	}
	var warns []string
	var notes []row
	for _, docs := range []struct {
		dir, repo string
		distro    version.Distro
	}{{o.k3sDocs, o.k3sRepo, version.K3s}, {o.rke2Docs, o.rke2Repo, version.RKE2}} {
		if docs.dir == "" {
			continue
		}
		files, w, err := readNotes(docs.dir, docs.repo, min)
		if err != nil {
			return err
		}
		warns = append(warns, w...)
		if len(files) == 0 {
			warns = append(warns, fmt.Sprintf("%s: no %s/v1.NN.X.md of %s or later", docs.dir, notesDir, min))
		}
		for _, f := range files {
			where := f.Source.Repo + " " + f.Source.Path
			rows, w, err := parseTable(tableInput{Text: f.Text, Where: where, Distro: docs.distro, Min: min, Minor: f.Minor, Source: f.Source})
			if err != nil {
				return err
			}
			warns = append(warns, w...)
			notes = append(notes, rows...)
			if o.verbose {
				fmt.Fprintf(stderr, "releasedata: read %s at %s (%s): %d releases\n", where, f.Source.Commit, f.How, len(rows))
			}
		}
	}
	var pages []row
	if o.pages != "" {
		var w []string
		if pages, w, err = readPages(o.pages, min); err != nil {
			return err
		}
		warns = append(warns, w...)
		if o.verbose {
			fmt.Fprintf(stderr, "releasedata: read %d release pages from %s\n", len(pages), o.pages)
		}
	}
	rs, w, err := merge(notes, pages)
	if err != nil {
		return err
	}
	warns = append(warns, w...)
	warns = append(warns, downgrades(rs)...)
	warns = append(warns, pageGaps(rs)...)
	count := map[version.Distro]int{}
	for _, r := range rs {
		count[r.Version.Distro]++
	}
	for _, d := range []version.Distro{version.K3s, version.RKE2} {
		if count[d] == 0 {
			warns = append(warns, fmt.Sprintf("the output has no %s release: no %s input was given or none of it was usable", d.Name(), d.Name()))
		}
	}
	data := release.Encode(rs)
	if back, err := release.Decode(data); err != nil || len(back) != len(rs) {
		return fmt.Errorf("%s: the generated data does not decode: %v", o.out, err)
	}
	for _, w := range warns {
		fmt.Fprintln(stderr, "releasedata: warning:", w)
	}
	if o.verbose {
		for _, line := range summary(rs) {
			fmt.Fprintln(stderr, "releasedata:", line)
		}
	}
	return output(o, data, fmt.Sprintf("%d releases (k3s %d, rke2 %d), %d warnings", len(rs), count[version.K3s], count[version.RKE2], len(warns)), stdout, stderr)
}

// output writes data to o.out when it changed, or with -check compares it.
func output(o options, data []byte, what string, stdout, stderr io.Writer) error {
	if o.out == "-" {
		_, err := stdout.Write(data)
		return err
	}
	old, err := os.ReadFile(o.out)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("%s: %v", o.out, err)
	}
	same := err == nil && bytes.Equal(old, data)
	switch {
	case same:
		fmt.Fprintf(stderr, "releasedata: %s is up to date: %s\n", o.out, what)
		return nil
	case o.check && old == nil:
		return fmt.Errorf("%s: %w: the file does not exist; run make release-data", o.out, errDrift)
	case o.check:
		return fmt.Errorf("%s: %w: %s; run make release-data", o.out, errDrift, diffSummary(old, data))
	}
	if err := writeAtomic(o.out, data); err != nil {
		return fmt.Errorf("%s: %v", o.out, err)
	}
	fmt.Fprintf(stderr, "releasedata: wrote %s: %s\n", o.out, what)
	return nil
}

// writeAtomic replaces a file through a temporary file in its directory, so a reader
// (or an interrupted run) never sees half of it.
func writeAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
