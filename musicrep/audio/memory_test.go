package audio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"
)

// synthWAV is a 16-bit PCM WAV file of any length generated on the fly (noise from a linear congruential
// generator, at a quarter of full scale), so an hour-long recording needs no disk. Each one made with the same
// arguments holds the same bytes.
type synthWAV struct {
	hdr  []byte
	left int64 // data bytes still to produce
	x    uint64
	pend []byte // bytes of the current sample not yet read
}

func newSynthWAV(seconds float64, rate, channels int) *synthWAV {
	frames := int64(seconds * float64(rate))
	size := frames * int64(channels) * 2
	h := make([]byte, 44)
	le := binary.LittleEndian
	copy(h, "RIFF")
	le.PutUint32(h[4:], uint32(min(36+size, 0xFFFFFFFF)))
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], 1)
	le.PutUint16(h[22:], uint16(channels))
	le.PutUint32(h[24:], uint32(rate))
	le.PutUint32(h[28:], uint32(rate*channels*2))
	le.PutUint16(h[32:], uint16(channels*2))
	le.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	le.PutUint32(h[40:], uint32(size))
	return &synthWAV{hdr: h, left: size, x: 1}
}

func (w *synthWAV) Read(p []byte) (int, error) {
	if len(w.hdr) > 0 {
		n := copy(p, w.hdr)
		w.hdr = w.hdr[n:]
		return n, nil
	}
	n := 0
	for n < len(p) && (len(w.pend) > 0 || w.left > 0) {
		if len(w.pend) == 0 {
			if len(p)-n >= 2 && w.left >= 2 { // the common case: whole samples straight into p
				for n+2 <= len(p) && w.left >= 2 {
					w.x = w.x*6364136223846793005 + 1442695040888963407
					binary.LittleEndian.PutUint16(p[n:], uint16(int16(w.x>>48)/4))
					n += 2
					w.left -= 2
				}
				continue
			}
			w.x = w.x*6364136223846793005 + 1442695040888963407
			w.pend = binary.LittleEndian.AppendUint16(w.pend[:0], uint16(int16(w.x>>48)/4))
			w.left -= 2
		}
		c := copy(p[n:], w.pend)
		w.pend = w.pend[c:]
		n += c
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// heapPeak runs f and returns the largest growth of the live heap seen while it ran (sampled every millisecond,
// with the collector set to run at 10 % growth so the heap stays close to what is live) and the bytes f allocated
// in all.
func heapPeak(t *testing.T, f func() error) (peak, allocated uint64) {
	t.Helper()
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var max atomic.Uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > before.HeapAlloc && m.HeapAlloc-before.HeapAlloc > max.Load() {
					max.Store(m.HeapAlloc - before.HeapAlloc)
				}
			}
		}
	}()
	err := f()
	close(done)
	<-stopped
	if err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return max.Load(), after.TotalAlloc - before.TotalAlloc
}

const mib = 1 << 20

// The log-mel front-end's memory does not grow with the length of the recording: an hour of 44.1 kHz stereo
// (635 MB of WAV; its 16 kHz mono signal alone, which MelFile used to hold, is 230 MB) takes the same memory as
// two minutes, both for the centred segment (MelFile, what embed-audio and the Melon generator use) and for the
// whole recording (MelFrames with SegmentSeconds = 0, 48 kHz → 16 kHz).
func TestMelMemoryBounded(t *testing.T) {
	long := 3600.0
	if testing.Short() {
		long = 600
	}
	measure := func(seconds float64, rate, channels int, opt MelOptions) (peak, allocated uint64, frames int) {
		open := func() (*Stream, error) { return NewStream(newSynthWAV(seconds, rate, channels), "synth.wav") }
		start := time.Now()
		peak, allocated = heapPeak(t, func() error {
			var err error
			frames, err = melFrames(open, opt, func(int, []float32) error { return nil })
			return err
		})
		t.Logf("%6.0f s at %d Hz × %d: %d frames, peak live heap %.2f MiB, allocated %.2f MiB in all, %v",
			seconds, rate, channels, frames, float64(peak)/mib, float64(allocated)/mib, time.Since(start).Round(time.Millisecond))
		return peak, allocated, frames
	}
	check := func(name string, short, long float64, rate, channels int, opt MelOptions) {
		p1, a1, _ := measure(short, rate, channels, opt)
		p2, a2, _ := measure(long, rate, channels, opt)
		// Bounded: the long input may not need more than 2 MiB over the short one (sampling and collector
		// noise), nor allocate more than 1 MiB more in all, and the peak stays a few MiB in absolute terms.
		if p2 > p1+2*mib || a2 > a1+mib || p2 > 16*mib {
			t.Errorf("%s: %.0f s → peak %.2f MiB, allocated %.2f MiB; %.0f s → peak %.2f MiB, allocated %.2f MiB: "+
				"memory grows with the length", name, short, float64(p1)/mib, float64(a1)/mib, long,
				float64(p2)/mib, float64(a2)/mib)
		}
	}
	// The instrument sees growth: holding the signal (what Load does) grows by 4 bytes a sample.
	hold := func(seconds float64) uint64 {
		s, err := NewStream(newSynthWAV(seconds, 16000, 1), "synth.wav")
		if err != nil {
			t.Fatal(err)
		}
		var x []float32
		peak, _ := heapPeak(t, func() error {
			_, err := streamMono(s, 16000, DefaultResamplerOptions(), 0, 1<<62, func(b []float32) error {
				x = append(x, b...)
				return nil
			})
			return err
		})
		t.Logf("holding %.0f s at 16 kHz: peak live heap %.2f MiB", seconds, float64(peak)/mib)
		return peak
	}
	if h1, h2 := hold(60), hold(300); h2 < h1+3*mib {
		t.Fatalf("holding 300 s of signal measured %.2f MiB, 60 s %.2f MiB: the measurement misses a 15 MB growth",
			float64(h2)/mib, float64(h1)/mib)
	}
	check("centred segment", 120, long, 44100, 2, DefaultMelOptions())
	whole := DefaultMelOptions()
	whole.SegmentSeconds = 0
	check("whole recording", 60, long/6, 48000, 1, whole)
}

// longMP3 writes the MP3 fixture's audio frames repeated copies times after its LAME header frame: a valid MP3
// of copies × 35 s.
func longMP3(t *testing.T, copies int) string {
	t.Helper()
	b, err := os.ReadFile("testdata/knolls_35s.mp3")
	if err != nil {
		t.Fatal(err)
	}
	scan, err := scanMP3(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	head, frames := b[scan.start:scan.start+int64(scan.first.length)], b[scan.start+int64(scan.first.length):scan.end]
	out := append([]byte(nil), head...)
	for range copies {
		out = append(out, frames...)
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("knolls_x%d.mp3", copies))
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The same for MP3 (go-mp3 decodes, 44.1 kHz stereo): 35 s and 3.5 minutes of the fixture repeated take the same
// memory, except go-mp3's index of frame offsets (8 bytes a frame: 1.1 MB an hour).
func TestMelMemoryBoundedMP3(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 3.5 minutes of MP3")
	}
	var peaks [2]uint64
	for i, copies := range []int{1, 6} {
		path := longMP3(t, copies)
		start := time.Now()
		var frames int
		peak, allocated := heapPeak(t, func() error {
			var err error
			frames, err = MelFrames(path, DefaultMelOptions(), func(int, []float32) error { return nil })
			return err
		})
		t.Logf("%d × 35 s of MP3: %d frames, peak live heap %.2f MiB, allocated %.1f MiB in all, %v", copies, frames,
			float64(peak)/mib, float64(allocated)/mib, time.Since(start).Round(time.Millisecond))
		peaks[i] = peak
	}
	if peaks[1] > peaks[0]+2*mib {
		t.Errorf("peak live heap %.2f MiB for 35 s, %.2f MiB for 210 s: memory grows with the length",
			float64(peaks[0])/mib, float64(peaks[1])/mib)
	}
}
