//go:build xla && linux && cgo

package backends

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestXLAMalloc checks the allocator init chooses. This test process (an XLA build, started without
// MUSICREP_MALLOC) must run with tcmalloc, mapped in, and with LD_PRELOAD gone from the environment its
// commands inherit; scripts/setup-xla.sh installs the library. Child processes of the same binary then check the
// other choices: with MUSICREP_MALLOC=glibc, glibc with the tunables (a freed 64 MiB block stays in its free
// lists), with MUSICREP_MALLOC=default glibc's defaults (the block goes back to the kernel, no tcmalloc), and an
// unknown value is named in a warning.
func TestXLAMalloc(t *testing.T) {
	if os.Getenv("MUSICREP_MALLOC_CHILD") == "1" {
		kept, _ := heapKeeps(64 << 20)
		fmt.Printf("child: malloc=%s kept=%v tcmalloc=%v\n", Malloc, kept, tcmallocMapped())
		return
	}
	if tcmallocPath() == "" {
		t.Fatalf("no tcmalloc library in %v: install Debian's libtcmalloc-minimal4 (scripts/setup-xla.sh does)", tcmallocPaths)
	}
	if Malloc != "tcmalloc" || !tcmallocMapped() {
		t.Fatalf("Malloc = %q, tcmalloc mapped %v: want tcmalloc (is %s, LD_PRELOAD or GLIBC_TUNABLES set?)",
			Malloc, tcmallocMapped(), MallocEnvVar)
	}
	for _, name := range []string{"LD_PRELOAD", "GLIBC_TUNABLES", mallocMarker} {
		if v, set := os.LookupEnv(name); set {
			t.Errorf("%s=%q is still in the environment the process's commands inherit", name, v)
		}
	}
	if _, known := heapKeeps(1); !known {
		t.Skip("glibc older than 2.33: no mallinfo2 to check the glibc settings with")
	}
	for mode, want := range map[string]string{
		"glibc":   "child: malloc=glibc-tuned kept=true tcmalloc=false",
		"default": "child: malloc=default kept=false tcmalloc=false",
		"tcmallc": `MUSICREP_MALLOC="tcmallc" is not auto, glibc or default; using auto`, // a typo: warned, then auto
	} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestXLAMalloc$", "-test.v")
		cmd.Env = append(os.Environ(), "MUSICREP_MALLOC_CHILD=1", MallocEnvVar+"="+mode)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child with %s=%s: %v\n%s", MallocEnvVar, mode, err, out)
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("with %s=%s want %q; the child says:\n%s", MallocEnvVar, mode, want, out)
		}
	}
}
