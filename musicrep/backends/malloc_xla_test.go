//go:build xla && linux && cgo

package backends

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestXLAMallocKeepsMemory checks init's allocator settings: in this process a freed 64 MiB block stays in
// glibc's free lists for the next allocation (glibc's default maps a block that large on its own and unmaps it
// when freed), and in a child process started with MUSICREP_GLIBC_MALLOC=default (and without the GLIBC_TUNABLES
// that init set here) it goes back to the kernel, so the settings are what makes the difference.
func TestXLAMallocKeepsMemory(t *testing.T) {
	if os.Getenv("MUSICREP_MALLOC_CHILD") == "1" {
		if kept, _ := heapKeeps(64 << 20); kept {
			os.Stdout.WriteString("child: kept\n")
		} else {
			os.Stdout.WriteString("child: returned\n")
		}
		return
	}
	kept, known := heapKeeps(64 << 20)
	if !known {
		t.Skip("glibc older than 2.33: no mallinfo2 to check with")
	}
	if !MallocTuned || !kept {
		t.Fatalf("MallocTuned %v, a freed 64 MiB block kept %v: want both (is %s set?)", MallocTuned, kept, MallocEnvVar)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestXLAMallocKeepsMemory$", "-test.v")
	cmd.Env = []string{"MUSICREP_MALLOC_CHILD=1", MallocEnvVar + "=default"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GLIBC_TUNABLES=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "child: returned") {
		t.Fatalf("with %s=default a freed 64 MiB block should go back to the kernel; the child says:\n%s", MallocEnvVar, out)
	}
}
