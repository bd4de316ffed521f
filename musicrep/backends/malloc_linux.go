//go:build xla && linux && cgo

package backends

/*
#include <malloc.h>
#include <stdlib.h>

// musicrep_heap_keeps reports whether a freed block of n bytes stays in glibc's free lists (1) or goes back to
// the kernel (0): glibc's default maps a block that large on its own and unmaps it when freed.
static int musicrep_heap_keeps(size_t n) {
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
	char *p = malloc(n);
	if (p == NULL) return -1;
	p[0] = 1;
	free(p);
	struct mallinfo2 mi = mallinfo2();
	return mi.fordblks >= n;
#else
	return -1; // no mallinfo2 before glibc 2.33
#endif
}
*/
import "C"

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// MallocEnvVar chooses the C allocator of a binary built with the XLA backend (see init):
//
//	auto (or unset)  tcmalloc when a tcmalloc library is installed (scripts/setup-xla.sh installs Debian's
//	                 libtcmalloc-minimal4), otherwise glibc with mallocTunables
//	glibc            glibc with mallocTunables
//	default          the allocator as the process started (glibc's defaults, or the user's own LD_PRELOAD)
//
// The older MUSICREP_GLIBC_MALLOC=default (legacyMallocEnvVar) means the same as default.
const MallocEnvVar = "MUSICREP_MALLOC"

const (
	legacyMallocEnvVar = "MUSICREP_GLIBC_MALLOC"
	// mallocMarker tells the restarted process what init chose for it (and that it must not restart again).
	mallocMarker = "MUSICREP_MALLOC_STARTED"
)

// mallocTunables are glibc's settings when tcmalloc is not used: one arena (glibc gives every new thread its own
// arena, up to 8 per core, and gives the pages of those arenas' freed blocks back to the kernel), no mmap for
// large blocks, no trimming of the heap's top.
const mallocTunables = "glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967295"

// tcmallocPaths are where Debian and Ubuntu (libtcmalloc-minimal4, libtcmalloc-minimal4t64), Fedora and Arch
// install gperftools' tcmalloc-minimal.
var tcmallocPaths = []string{
	"/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
	"/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4",
	"/usr/lib64/libtcmalloc_minimal.so.4",
	"/usr/lib/libtcmalloc_minimal.so.4",
}

// Malloc is the C allocator this process runs with, as init set it up: "tcmalloc", "glibc-tuned" (glibc with
// mallocTunables), "default" (MUSICREP_MALLOC=default: glibc's defaults) or "user" (the user's own LD_PRELOAD or
// GLIBC_TUNABLES, left as they are).
var Malloc = "default"

// init picks the C allocator for XLA. XLA's CPU runtime allocates the temporary buffers of every execution anew
// (88 MiB for one training step of the small audio CNN at batch 32; Eigen's convolutions allocate their packing
// blocks per task on top) and frees them after it. With glibc's defaults those came from per-thread arenas whose
// pages went back to the kernel, so every step first-touched them again (990k page faults over 30 steps, a
// quarter of the CPU time in the kernel); glibc with mallocTunables keeps them (150k faults) but spends ~5 % of
// the step in its free-list search (_int_malloc) under one arena's lock; tcmalloc keeps freed memory in
// per-thread caches and size classes, and ran the same step ~13 % faster again (BENCHMARKS.md, "The fifth
// record"). The price either way: the process keeps most of its peak heap until it exits, which training and
// scanning processes reach anyway.
//
// The allocator must be chosen before the process starts (LD_PRELOAD, GLIBC_TUNABLES; mallopt from Go is too
// late: the runtime's threads already hold arenas), so init starts the program again, the same executable with
// the same arguments and the variables set, once. The restarted process removes the variables it was given from
// its environment, so the commands it runs start with the system's allocator. A user's own LD_PRELOAD or
// GLIBC_TUNABLES is left as it is, and MUSICREP_MALLOC=default turns all this off.
func init() {
	if chosen, set := os.LookupEnv(mallocMarker); set {
		Malloc = chosen
		_ = os.Unsetenv(mallocMarker)
		switch chosen {
		case "tcmalloc":
			if !tcmallocMapped() {
				Malloc = "default" // the loader could not preload it (it says so on stderr)
			}
			_ = os.Unsetenv("LD_PRELOAD")
			_ = os.Unsetenv("TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD")
		case "glibc-tuned":
			_ = os.Unsetenv("GLIBC_TUNABLES")
		}
		return
	}
	mode := os.Getenv(MallocEnvVar)
	if mode == "default" || (mode == "" && os.Getenv(legacyMallocEnvVar) == "default") {
		return
	}
	if mode != "" && mode != "auto" && mode != "glibc" {
		fmt.Fprintf(os.Stderr, "musicrep: %s=%q is not auto, glibc or default; using auto\n", MallocEnvVar, mode)
	}
	if os.Getenv("LD_PRELOAD") != "" || os.Getenv("GLIBC_TUNABLES") != "" {
		Malloc = "user"
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := os.Environ()
	if lib := tcmallocPath(); lib != "" && mode != "glibc" {
		// tcmalloc reports every allocation above 1 GiB on stderr by default.
		env = append(env, mallocMarker+"=tcmalloc", "LD_PRELOAD="+lib, "TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD=1099511627776")
	} else {
		env = append(env, mallocMarker+"=glibc-tuned", "GLIBC_TUNABLES="+mallocTunables)
	}
	// Exec returns only if it failed; the program then goes on with the allocator it has.
	_ = syscall.Exec(exe, os.Args, env)
}

// tcmallocPath is the first of tcmallocPaths that exists, or "".
func tcmallocPath() string {
	for _, p := range tcmallocPaths {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// tcmallocMapped reports whether a tcmalloc library is mapped into this process.
func tcmallocMapped() bool {
	maps, err := os.ReadFile("/proc/self/maps")
	return err == nil && strings.Contains(string(maps), "libtcmalloc")
}

// heapKeeps reports whether glibc keeps a freed n-byte block for later allocations (for the test of init); known
// is false where glibc cannot tell (before 2.33).
func heapKeeps(n int) (kept, known bool) {
	r := C.musicrep_heap_keeps(C.size_t(n))
	return r == 1, r >= 0
}
