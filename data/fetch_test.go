// Package data holds no Go code: these tests check data/fetch.sh and data/SHA256SUMS offline.
// Nothing here touches the network; the download path is exercised with a file:// mirror.
package data

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sharedData returns the data directory to check, or skips: $MUSICREP_DATA, else ../shared/data seen from
// the repository root (this package's directory is <root>/data).
func sharedData(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MUSICREP_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("no data directory at %s: set MUSICREP_DATA or run data/fetch.sh", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// runFetch runs fetch.sh with args and returns its combined output and whether it exited 0.
func runFetch(t *testing.T, args ...string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	cmd := exec.Command("bash", append([]string{"fetch.sh"}, args...)...)
	cmd.Env = append(os.Environ(), "MUSICREP_DATA=") // the tests name every directory explicitly
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running fetch.sh %v: %v", args, err)
		}
	}
	return string(out), err == nil
}

// manifest returns the relative paths listed in SHA256SUMS.
func manifest(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^[0-9a-f]{64}  ([^ ].*)$`)
	var paths []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("SHA256SUMS: malformed line %q", sc.Text())
		}
		paths = append(paths, m[1])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(paths) != 12 {
		t.Fatalf("SHA256SUMS lists %d files, want 12", len(paths))
	}
	return paths
}

func TestVerifySharedData(t *testing.T) {
	dir := sharedData(t)
	if out, ok := runFetch(t, "--verify", dir); !ok {
		t.Fatalf("fetch.sh --verify %s failed:\n%s", dir, out)
	}
}

func TestDryRunNamesPinnedSources(t *testing.T) {
	out, ok := runFetch(t, "--dry-run", t.TempDir())
	if !ok {
		t.Fatalf("fetch.sh --dry-run failed:\n%s", out)
	}
	pinned := regexp.MustCompile(`^https://(raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/|github\.com/[^/]+/[^/]+/raw/[0-9a-f]{7,40}/)`)
	urls := map[string]int{}
	for _, l := range strings.Split(out, "\n") {
		rel, src, found := strings.Cut(l, "\t")
		if !found || strings.HasPrefix(src, "sha256:") {
			continue
		}
		if !pinned.MatchString(src) {
			t.Errorf("%s: source %q is not a URL at a fixed commit", rel, src)
		}
		urls[rel]++
	}
	for _, rel := range manifest(t) {
		if urls[rel] == 0 {
			t.Errorf("%s: no source URL in the dry run", rel)
		}
	}
}

// mirror makes a directory of symbolic links to the files of dir, for use as a file:// mirror, and returns it.
func mirror(t *testing.T, dir string) string {
	t.Helper()
	m := t.TempDir()
	for _, rel := range manifest(t) {
		dst := filepath.Join(m, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(dir, rel), dst); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestFetchFromMirror(t *testing.T) {
	dir := sharedData(t)
	m := mirror(t, dir)
	target := filepath.Join(t.TempDir(), "downloaded")
	if out, ok := runFetch(t, "--mirror", "file://"+m, target); !ok {
		t.Fatalf("fetch from mirror failed:\n%s", out)
	}
	// A second run finds everything present and downloads nothing.
	out, ok := runFetch(t, "--mirror", "file://"+m, target)
	if !ok || !strings.Contains(out, "fetched 0, already present 12") {
		t.Fatalf("second run should skip every file:\n%s", out)
	}
	leftovers, _ := filepath.Glob(filepath.Join(target, "*", ".*.part"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}

	// A mirror that serves wrong bytes is rejected, and the bad file is not kept.
	const rel = "melon_genre_w2v/w2v_all_gnr_map.json"
	bad := filepath.Join(m, rel)
	if err := os.Remove(bad); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"GN0100": 0}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(target, rel)); err != nil {
		t.Fatal(err)
	}
	out, ok = runFetch(t, "--mirror", "file://"+m, target)
	if ok || !strings.Contains(out, "FAILED    "+rel) {
		t.Fatalf("a wrong checksum must fail the run and name the file:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(target, rel)); !os.IsNotExist(err) {
		t.Errorf("%s with a wrong checksum was kept (stat err %v)", rel, err)
	}
	if out, ok := runFetch(t, "--verify", target); ok || !strings.Contains(out, "MISSING   "+rel) {
		t.Fatalf("--verify must report the missing file:\n%s", out)
	}
}
