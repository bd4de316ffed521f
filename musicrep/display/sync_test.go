//go:build unix

package display

import (
	"encoding/gob"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// cellProgramEnv makes the test binary act as a notebook cell's program (see TestDisplaysSurviveProgramExit).
const cellProgramEnv = "MUSICREP_DISPLAY_TEST_CELL"

// TestCellProgram is not a test: run by TestDisplaysSurviveProgramExit with cellProgramEnv set, it plays a
// notebook cell that shows n small tables and exits at once.
func TestCellProgram(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(cellProgramEnv))
	if err != nil {
		t.Skip("only run as a child of TestDisplaysSurviveProgramExit")
	}
	for i := range n {
		Show(TableHTML(fmt.Sprintf("table %d", i), []string{"a"}, [][]Cell{Texts("1")}, nil))
	}
	os.Exit(0) // exit right after the last display, as a cell's main does
}

// TestDisplaysSurviveProgramExit reproduces the lost-output bug without a kernel: a fake GoNB reads the display
// pipe the way GoNB v0.11.5's jpyexec does -- one message at a time, here slowly, as on a loaded machine -- and
// closes it as soon as the cell's program has exited. Every display must have been received by then: Show waits
// for GoNB's acknowledgement (Sync). Without the Sync, the program writes all displays into the pipe's buffer and
// exits, and the fake GoNB received 4 of the 8.
func TestDisplaysSurviveProgramExit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	const n = 8
	dir := t.TempDir()
	toKernel, toProgram := filepath.Join(dir, "gonb_pipe"), filepath.Join(dir, "gonb_pipe_back")
	for _, p := range []string{toKernel, toProgram} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCellProgram$", "-test.count=1")
	cmd.Env = append(os.Environ(), cellProgramEnv+"="+strconv.Itoa(n),
		protocol.GONB_PIPE_ENV+"="+toKernel, protocol.GONB_PIPE_BACK_ENV+"="+toProgram)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// The fake GoNB: like jpyexec.pollNamedPipeReader, decode messages in order, answer sync requests on the back
	// pipe, count the displays. The back pipe is opened in its own goroutine, as gonbui opens both ends.
	var (
		mu       sync.Mutex
		received []string
		reader   *os.File
	)
	acks := make(chan int, 64)
	go func() {
		w, err := os.OpenFile(toProgram, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		enc := gob.NewEncoder(w)
		for id := range acks {
			if enc.Encode(&protocol.CommValue{Address: protocol.GonbuiSyncAckAddress, Value: id}) != nil {
				return
			}
		}
	}()
	readerReady := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		r, err := os.Open(toKernel)
		if err != nil {
			close(readerReady)
			return
		}
		mu.Lock()
		reader = r
		mu.Unlock()
		close(readerReady)
		dec := gob.NewDecoder(r)
		for {
			var msg protocol.DisplayData
			if dec.Decode(&msg) != nil {
				return // closed (program exited) or EOF
			}
			if v, ok := msg.Data[protocol.MIMECommValue].(protocol.CommValue); ok && v.Address == protocol.GonbuiSyncAddress {
				acks <- v.Value.(int)
				continue
			}
			time.Sleep(50 * time.Millisecond) // publishing to Jupyter, on a busy machine
			if h, ok := msg.Data[protocol.MIMETextHTML].(string); ok {
				mu.Lock()
				received = append(received, h)
				mu.Unlock()
			}
		}
	}()

	err := cmd.Wait()
	// GoNB closes its end of the display pipe once the program has exited.
	<-readerReady
	mu.Lock()
	if reader != nil {
		reader.Close()
	}
	mu.Unlock()
	<-readerDone
	close(acks)
	if err != nil {
		t.Fatalf("cell program: %v\n%s", err, stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(received) != n {
		t.Fatalf("GoNB received %d of the %d displays before the program exited", len(received), n)
	}
	for i, h := range received {
		if !strings.Contains(h, fmt.Sprintf("table %d<", i)) {
			t.Errorf("display %d out of order: %.200s", i, h)
		}
	}
}
