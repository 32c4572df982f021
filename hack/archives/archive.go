package main

import (
	"archive/tar"
	"archive/zip"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// writeArchive packs p's entries into path. Reproducibility rests on what is left out: no
// owner names or ids, no access or change times, no gzip name or timestamp, one mtime for all,
// a fixed entry order. The file appears only once complete, so a failed run leaves no archive.
func writeArchive(path string, p platform, bin string, mtime time.Time) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".partial-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if p.windows() {
		err = writeZip(tmp, p.entries(bin), mtime)
	} else {
		err = writeTarGz(tmp, p.entries(bin), mtime)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func writeTarGz(w io.Writer, entries []entry, mtime time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		err := copyEntry(e, func(size int64) (io.Writer, error) {
			hdr := &tar.Header{
				Typeflag: tar.TypeReg,
				Name:     e.name,
				Mode:     e.mode,
				Size:     size,
				ModTime:  mtime,
				Format:   tar.FormatUSTAR,
			}
			return tw, tw.WriteHeader(hdr)
		})
		if err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("finish tar: %w", err)
	}
	return gz.Close()
}

func writeZip(w io.Writer, entries []entry, mtime time.Time) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	for _, e := range entries {
		err := copyEntry(e, func(int64) (io.Writer, error) {
			hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
			// Records unix permissions too, so unzip on Linux or macOS keeps the scripts executable.
			hdr.SetMode(os.FileMode(e.mode))
			return zw.CreateHeader(hdr)
		})
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// copyEntry copies e's source into the writer that open returns for its size.
func copyEntry(e entry, open func(size int64) (io.Writer, error)) error {
	f, err := os.Open(e.src)
	if err != nil {
		return fmt.Errorf("entry %s: %w", e.name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("entry %s: %w", e.name, err)
	}
	w, err := open(st.Size())
	if err != nil {
		return fmt.Errorf("entry %s: %w", e.name, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("entry %s: %w", e.name, err)
	}
	return nil
}
