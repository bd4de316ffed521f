// Package audio is musicrep's audio front-end: it decodes music files to float32 samples, resamples them to the
// rate of the audio encoder and computes the log-mel spectrogram that contrastive-mir's audio CNN reads
// (SEEDS_SPEC.md B1.5).
//
// # Decoding
//
// [Open] and [Decode] read WAV (PCM 8/16/24/32-bit integer, IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE), Ogg Vorbis,
// Ogg Opus, FLAC and MP3 (MPEG-1/2/2.5 Layer III). The format is found by content sniffing (magic bytes); the file
// extension is only a hint used when the content is ambiguous. All decoders are pure Go: the Ogg framing, WAV and
// the MP3 frame scan are in this package; the codecs are github.com/jfreymuth/vorbis (as a faster copy with
// bit-identical output, internal/vorbis), github.com/pion/opus, github.com/mewkiz/flac and
// github.com/hajimehoshi/go-mp3. Decoded samples follow libsndfile's conventions (what
// librosa.load reads through soundfile): integers are scaled by 1/2^(bits-1), Ogg streams are trimmed to their
// granule positions (Opus pre-skip removed; the first audio page's granule places the start, a header page's 0
// never does, as libvorbisfile reads streams whose first audio packets share the setup header's page), MP3 encoder
// delay and padding are removed when the file carries a LAME/Xing header. All 41 wesnoth-1.16-music tracks decode
// to libvorbis' length and samples (oggdec, within 1 LSB at 16 bits) except northerners.ogg, which has pages after
// its end-of-stream page: decoding stops at that page, 0.13 s before oggdec does.
//
// Errors name the file and, where it is known, the byte offset (WAV, Ogg pages, MP3 frames) or the packet/frame
// index (Vorbis, Opus, FLAC) at which decoding failed. A stream that ends before its container says it should
// (an Ogg stream without its end-of-stream page, a WAV data chunk shorter than its header says, an MP3 or FLAC
// frame cut short) is an error, not a silently shorter signal.
//
// # Resampling
//
// [Resampler] is a streaming band-limited polyphase resampler: a Kaiser-windowed sinc, linear phase, with a
// configurable passband, stopband and attenuation ([ResamplerOptions]). The defaults imitate soxr's "HQ" preset
// that librosa.load uses (pass band to 0.913 of the output Nyquist frequency, stop band from 1.0, 120 dB): see
// resample.go for the design and mel_golden_test.go for the agreement with librosa. Built with GOEXPERIMENT=simd on
// an AVX2 or AVX-512 CPU, its inner products run as SIMD fused multiply-adds (dot_simd_amd64.go); the summation
// order differs from the scalar build's, which moves log-mel outputs by at most ~0.003 dB (~0.0003 dB above
// −100 dB) on the test fixtures.
//
// # Mel spectrogram
//
// [MelSpectrogram] computes the B1.5 front-end: mono 16 kHz, the centred 29.1 s segment ([CentreSegment]), 512-sample
// Hann frames every 256 samples, centred frames with zero padding, the power spectrum, 48 Slaney-scale mel bands
// (0–8 kHz) with area ("unit_tri" / librosa norm="slaney") normalisation, and 20·log10(power) with Essentia's
// floor (lin2db floors at −100 dB, doubled to −200). [MelFile] does the same from a file, and [MelFrames] hands
// the frames out one at a time: both decode, resample and analyse as a stream, in memory bounded for any file
// length (the centred segment's position comes from the length the container declares, checked against the
// decoded length; only the segment is resampled). [LoadBlocks] streams the resampled mono signal itself. With
// GOMAXPROCS ≥ 2 these decode one block ahead in a second goroutine, with bit-identical results.
//
// # Speed
//
// Built with GOEXPERIMENT=simd on an AVX2 CPU, the Vorbis IMDCT, inverse coupling and windowing
// (internal/vorbis), the stereo mixdown, the resampler's two-outputs-at-a-time inner products (dot2_amd64.s) and
// the power FFT's stages run as vector code that performs the scalar code's floating-point operations in the
// same order, so their outputs are bit-identical to the scalar build's (each kernel has a test against its scalar
// version; the Vorbis decoder stays bit-identical to github.com/jfreymuth/vorbis). Only the resampler's inner
// product itself (above) differs from the scalar build, in the last bits. With GOAMD64=v3 or above the compiler
// fuses scalar multiply-adds, so the IMDCT and FFT stages keep their scalar code there (the vector versions round
// every product and would differ from it). BENCHMARKS.md §F compares the whole
// front-end with librosa + soxr.
package audio
