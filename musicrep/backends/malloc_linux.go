//go:build xla && linux && cgo

package backends

/*
#include <malloc.h>
#include <stdlib.h>

// musicrep_heap_keeps reports whether a freed block of n bytes stays in the allocator's free lists (1) or goes
// back to the kernel (0): glibc's default maps a block that large on its own and unmaps it when freed.
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
	"os"
	"strings"
	"syscall"
)

// MallocEnvVar, set to "default", leaves glibc's allocator as it is in a binary built with the XLA backend.
const MallocEnvVar = "MUSICREP_GLIBC_MALLOC"

// mallocTunables are the settings init starts the process with: one arena (glibc gives every new thread its own
// arena up to 8 per core, and gives the pages of those arenas' freed blocks back to the kernel), no mmap for
// large blocks, no trimming of the heap's top.
const mallocTunables = "glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967295"

// MallocTuned reports whether this process runs with mallocTunables (see init).
var MallocTuned bool

// init makes the process keep freed memory for XLA's next execution. XLA's CPU runtime allocates the temporary
// buffers of every execution anew (88 MiB for one training step of the small audio CNN at batch 32) and frees
// them after it; glibc served them from per-thread arenas and gave the pages back to the kernel, so every step
// first-touched them again: `perf stat -e page-faults` counted 990k faults over 30 steps, and the kernel's
// page-fault handling took a quarter of the CPU time. With mallocTunables the same 30 steps fault 150k times and
// each needs about a quarter less CPU (BENCHMARKS.md, "The CNN training step on xla:cpu, continued"). The price:
// the process keeps its peak heap until it exits, which training and scanning processes reach anyway.
//
// glibc reads its tunables when the process starts, before any Go code runs, and mallopt from here is too late
// (the Go runtime's threads already hold arenas of their own), so init starts the program again, the same
// executable with the same arguments and GLIBC_TUNABLES set, unless GLIBC_TUNABLES is set already (then it is
// left as it is) or MUSICREP_GLIBC_MALLOC=default.
func init() {
	if os.Getenv(MallocEnvVar) == "default" {
		return
	}
	if v, set := os.LookupEnv("GLIBC_TUNABLES"); set {
		MallocTuned = strings.Contains(v, "glibc.malloc.arena_max=1")
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	// Exec returns only if it failed; the program then goes on with glibc's defaults.
	_ = syscall.Exec(exe, os.Args, append(os.Environ(), "GLIBC_TUNABLES="+mallocTunables))
}

// heapKeeps reports whether glibc keeps a freed n-byte block for later allocations (for the test of init); known
// is false where glibc cannot tell (before 2.33).
func heapKeeps(n int) (kept, known bool) {
	r := C.musicrep_heap_keeps(C.size_t(n))
	return r == 1, r >= 0
}
