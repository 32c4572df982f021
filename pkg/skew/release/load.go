package release

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// EnvVar names release data to use instead of the embedded table, as --release-data does.
const EnvVar = "KUBECTL_SKEW_RELEASE_DATA"

// Fetcher reads a URL with bounds (size, time, TLS): the channel client's transport.
type Fetcher func(ctx context.Context, url string, maxBytes int64) ([]byte, error)

// Load reads release data from a file or an http(s) URL; "" means the embedded data.
// Every failure is one line that names the source and what would do.
func Load(ctx context.Context, spec string, fetch Fetcher) (*Index, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Embedded(), nil
	}
	var data []byte
	var err error
	if strings.HasPrefix(spec, "https://") || strings.HasPrefix(spec, "http://") {
		if fetch == nil {
			return nil, fmt.Errorf("release data %s: reading URLs is not available here; download it and give the file", spec)
		}
		// The fetcher's errors name the URL and the fix already.
		if data, err = fetch(ctx, spec, MaxBytes); err != nil {
			return nil, err
		}
	} else if data, err = readFile(spec); err != nil {
		return nil, fmt.Errorf("release data %s: %w", spec, err)
	}
	rs, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("release data %s: %w; regenerate it with make release-data, or drop --release-data (and %s) to use the embedded table", spec, err, EnvVar)
	}
	return NewIndex(rs, spec), nil
}

// readFile reads at most MaxBytes+1 bytes, so a huge or endless file (a FIFO,
// /dev/zero) fails on its size instead of filling memory.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("no such file; give a path or an https URL")
		}
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("is a directory; give the JSON file")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: larger than the limit of %d bytes", ErrBadData, MaxBytes)
	}
	return data, nil
}
