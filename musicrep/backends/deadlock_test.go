package backends

import (
	"runtime"
	"strings"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestGoParallelNoDeadlock is the regression test of the pure-Go backend's parallel-mode deadlock: one graph of 16
// independent batched matrix products, executed 500 times with "go:ops_parallel". It fails (after a minute without
// progress, naming the parked goroutines) if an execution hangs.
//
// The deadlock, read in github.com/gomlx/compute v0.1.6 (used until 2026-12-06 with GoMLX v0.28.8): executeParallel
// started every ready node with Workers.WaitToStart, which holds one of the pool's 2·GOMAXPROCS slots while the node
// runs; a batched (or large) matrix product then fans out with Workers.Saturate, which waits on the pool's condition
// variable while the pool is full. When as many products as slots started together, each held a slot and waited for
// another: nobody finished, nobody signalled (measured on 2 CPUs: hung at the first execution, 4 goroutines in
// Saturate). compute v0.1.14 (required by GoMLX v0.28.16, go.mod) runs a graph on at most min(8, slots) − 1
// persistent executors started with StartIfAvailable plus the calling goroutine, so nodes can no longer hold every
// slot: this test passes since that upgrade (and hung before it).
func TestGoParallelNoDeadlock(t *testing.T) {
	runIndependentProducts(t, "go:ops_parallel", 500)
}

// TestGoDefaultNoDeadlock runs the same graph with the configuration [New] gives the Go backend by default (nodes
// one at a time, "go:ops_sequential").
func TestGoDefaultNoDeadlock(t *testing.T) {
	runIndependentProducts(t, "go", 50)
}

// runIndependentProducts executes a graph of independent batched matrix products runs times with the backend
// config, failing if no execution finishes within a minute.
func runIndependentProducts(t *testing.T, config string, runs int) {
	const branches, batch, size = 16, 8, 32
	backend, err := New(config)
	if err != nil {
		t.Fatal(err)
	}
	exec := MustNewExec(backend, func(x *Node) *Node {
		var sum *Node
		for i := range branches { // independent products, all ready at once
			y := MatMul(AddScalar(x, float64(i)), x) // batched: fans out over the batch
			if sum == nil {
				sum = y
			} else {
				sum = Add(sum, y)
			}
		}
		return ReduceAllSum(sum)
	})
	x := make([]float32, batch*size*size)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	in := tensors.FromFlatDataAndDimensions(x, batch, size, size)
	done := make(chan int)
	go func() {
		for i := range runs {
			exec.MustExec(in)[0].FinalizeAll()
			done <- i
		}
		close(done)
	}()
	completed := 0
	for {
		select {
		case _, ok := <-done:
			if !ok {
				t.Logf("%s: %d executions of %d independent %d×%d×%d products completed (GOMAXPROCS=%d)",
					config, runs, branches, batch, size, size, runtime.GOMAXPROCS(0))
				backend.Finalize()
				return
			}
			completed++
		case <-time.After(time.Minute):
			buf := make([]byte, 1<<22)
			stacks := string(buf[:runtime.Stack(buf, true)])
			t.Fatalf("%s: deadlock: no execution finished for a minute after %d of %d (GOMAXPROCS=%d); %d "+
				"goroutines parked in workerspool Saturate, %d in WaitToStart", config, completed, runs,
				runtime.GOMAXPROCS(0), strings.Count(stacks, "workerspool.(*Pool).Saturate"),
				strings.Count(stacks, "workerspool.(*Pool).WaitToStart"))
		}
	}
}
