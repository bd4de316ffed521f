package audio

import "testing"

const benchFile = "testdata/northerners_35s.ogg" // 35 s, Ogg Vorbis 44.1 kHz stereo

// BenchmarkMelFile is the whole front-end on one 35 s Ogg Vorbis file: decode, mono mixdown, 44.1 → 16 kHz
// resampling, centred 29.1 s segment, log-mel. Compare with scripts/golden/mel_bench.py (librosa).
func BenchmarkMelFile(b *testing.B) {
	opt := DefaultMelOptions()
	for b.Loop() {
		if _, err := MelFile(benchFile, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// The stages of BenchmarkMelFile.
func BenchmarkDecodeVorbis(b *testing.B) {
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
	b.ResetTimer()
	for b.Loop() {
		if _, err := Resample(x, 44100, 16000, DefaultResamplerOptions()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMelSpectrogram16k(b *testing.B) {
	x := sine(35*16000, 16000, 440, 0.5)
	opt := DefaultMelOptions()
	for b.Loop() {
		if _, err := MelSpectrogram(x, 16000, opt); err != nil {
			b.Fatal(err)
		}
	}
}
