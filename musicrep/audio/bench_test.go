package audio

import (
	"syscall"
	"testing"
	"time"
)

const benchFile = "testdata/northerners_35s.ogg" // 35 s, Ogg Vorbis 44.1 kHz stereo

// BenchmarkMelFile is the whole front-end on one 35 s Ogg Vorbis file: decode, mono mixdown, 44.1 → 16 kHz
// resampling, centred 29.1 s segment, log-mel. Compare with scripts/golden/mel_bench.py (librosa).
func BenchmarkMelFile(b *testing.B) {
	opt := DefaultMelOptions()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := MelFile(benchFile, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU adds the process's CPU time per operation (user + system, all threads: GC included) as the metric
// cpu-ms/op, which a shared machine's load disturbs less than the wall time ns/op; scripts/golden/mel_bench.py
// reports librosa's the same way (time.process_time).
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-start).Microseconds())/1e3/float64(b.N), "cpu-ms/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The stages of BenchmarkMelFile.
func BenchmarkDecodeVorbis(b *testing.B) {
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := Decode(benchFile); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResample44100To16000(b *testing.B) {
	a, err := Decode(benchFile)
	if err != nil {
		b.Fatal(err)
	}
	x := a.Mono()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := Resample(x, 44100, 16000, DefaultResamplerOptions()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMelSpectrogram16k(b *testing.B) {
	x := sine(35*16000, 16000, 440, 0.5)
	opt := DefaultMelOptions()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := MelSpectrogram(x, 16000, opt); err != nil {
			b.Fatal(err)
		}
	}
}
