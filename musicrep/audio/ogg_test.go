package audio

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// battle-epic_head.ogg is the first 4 pages of wesnoth-1.16-music's battle-epic.ogg, copied byte for byte (the last
// one marked end-of-stream): its first audio packet sits on the setup header's page, whose granule position is 0,
// and the next page's granule position (13888) counts samples from the packet after it, as libvorbisfile decodes
// the stream. battle-epic_head.oggdec.s16 is libvorbis' decode of it (vorbis-tools 1.4.2, Debian 12):
//
//	python3 scripts/golden/ogg_excerpt.py $W/battle-epic.ogg 4 battle-epic_head.ogg
//	oggdec -Q -R -b 16 -e 0 -s 1 -o battle-epic_head.oggdec.s16 battle-epic_head.ogg
//
// The decode must have its length and, rounded to 16 bits as oggdec rounds, its samples to within 1 LSB (the two
// decoders' floating-point arithmetic differs). Before the fix the audio came out 128 samples late.
func TestVorbisAudioOnHeaderPage(t *testing.T) {
	raw, err := os.ReadFile("testdata/battle-epic_head.oggdec.s16")
	if err != nil {
		t.Fatal(err)
	}
	ref := make([]int16, len(raw)/2)
	for i := range ref {
		ref[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	a, err := Decode("testdata/battle-epic_head.ogg")
	if err != nil {
		t.Fatal(err)
	}
	if a.SampleRate != 44100 || a.Channels != 2 || a.Frames() != len(ref)/2 || a.Frames() != 27200 {
		t.Fatalf("%d Hz × %d, %d frames; want 44100 × 2, %d frames (oggdec; the last granule position is 27200)",
			a.SampleRate, a.Channels, a.Frames(), len(ref)/2)
	}
	if d := maxLSB(a.Samples, ref, 0); d > 1 {
		t.Errorf("max |Go − oggdec| = %d LSB at lag 0, want ≤ 1 (lag 128: %d LSB)", d, maxLSB(a.Samples, ref, 128))
	}
	s, err := Open("testdata/battle-epic_head.ogg")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.declaredFrames(); got != 27200 {
		t.Errorf("declared frames %d, want 27200 (the last granule position)", got)
	}
}

// maxLSB is the largest difference, in 16-bit steps, between x rounded and clipped as libvorbisfile's ov_read does
// and ref, x's frame i against ref's frame i−lag (stereo).
func maxLSB(x []float32, ref []int16, lag int) int {
	worst := 0
	for i := range x {
		j := i - 2*lag
		if j < 0 || j >= len(ref) {
			continue
		}
		q := int(math.Max(-32768, math.Min(32767, math.Round(float64(x[i])*32768))))
		worst = max(worst, abs(q-int(ref[j])))
	}
	return worst
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// Moving a conformant stream's first audio packets onto the last header page (granule 0, as the wesnoth files do)
// while every later granule still counts them must not change the decode, for Vorbis and Opus: the first audio
// page's granule places the samples, not the header page's 0. (A Vorbis stream's first packet decodes to nothing, so
// a 0 after it alone would be right: two packets are moved there.)
func TestAudioOnHeaderPageConstructed(t *testing.T) {
	for _, tc := range []struct {
		fixture, headerMagic string
		packets              int
	}{
		{"northerners_35s.ogg", "\x05vorbis", 2},
		{"track1_35s.opus", "OpusTags", 1},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			orig, err := os.ReadFile(filepath.Join("testdata", tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			moved := moveFirstAudioPackets(t, orig, tc.headerMagic, tc.packets)
			path := filepath.Join(t.TempDir(), tc.fixture)
			if err := os.WriteFile(path, moved, 0o644); err != nil {
				t.Fatal(err)
			}
			want, err := Decode(filepath.Join("testdata", tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Samples) != len(want.Samples) {
				t.Fatalf("%d frames, want %d as from the original layout", got.Frames(), want.Frames())
			}
			for i := range got.Samples {
				if got.Samples[i] != want.Samples[i] {
					t.Fatalf("sample %d: %v, want %v as from the original layout", i, got.Samples[i], want.Samples[i])
				}
			}
		})
	}
}

// oggPage is one parsed Ogg page: its 27-byte header, its lacing values and its body.
type oggPage struct {
	header []byte
	lacing []byte
	body   []byte
}

func parseOggPages(t *testing.T, b []byte) []oggPage {
	t.Helper()
	var pages []oggPage
	for len(b) > 0 {
		if len(b) < 27 || string(b[:4]) != "OggS" {
			t.Fatalf("no Ogg page where %d bytes remain", len(b))
		}
		nseg := int(b[26])
		size := 0
		for _, s := range b[27 : 27+nseg] {
			size += int(s)
		}
		pages = append(pages, oggPage{bytes.Clone(b[:27]), bytes.Clone(b[27 : 27+nseg]),
			bytes.Clone(b[27+nseg : 27+nseg+size])})
		b = b[27+nseg+size:]
	}
	return pages
}

func (p oggPage) bytes() []byte {
	h := bytes.Clone(p.header)
	h[26] = byte(len(p.lacing))
	clear(h[22:26])
	out := append(append(h, p.lacing...), p.body...)
	binary.LittleEndian.PutUint32(out[22:], oggCRC(0, out))
	return out
}

// moveFirstAudioPackets moves the first k packets of the page after the one holding the last header packet (found
// by its magic) onto the end of that header page, and returns the rewritten file.
func moveFirstAudioPackets(t *testing.T, b []byte, headerMagic string, k int) []byte {
	t.Helper()
	pages := parseOggPages(t, b)
	h := -1
	for i, p := range pages {
		if bytes.Contains(p.body, []byte(headerMagic)) {
			h = i
			break
		}
	}
	if h < 0 || h+1 >= len(pages) {
		t.Fatalf("no page holds %q followed by another page", headerMagic)
	}
	hp, ap := &pages[h], &pages[h+1]
	if ap.header[5]&0x01 != 0 || hp.lacing[len(hp.lacing)-1] == 255 {
		t.Fatal("the header page's last packet continues onto the next page")
	}
	n, size := 0, 0
	for done := 0; done < k && n < len(ap.lacing); {
		size += int(ap.lacing[n])
		n++
		if ap.lacing[n-1] < 255 {
			done++
		}
	}
	if n == len(ap.lacing) {
		t.Fatalf("the first audio page holds no more than %d packets", k)
	}
	hp.lacing = append(hp.lacing, ap.lacing[:n]...)
	hp.body = append(hp.body, ap.body[:size]...)
	ap.lacing, ap.body = ap.lacing[n:], ap.body[size:]
	var out []byte
	for _, p := range pages {
		out = append(out, p.bytes()...)
	}
	return out
}

// The slicing-by-8 Ogg CRC equals the byte-at-a-time definition for every length up to 100 and any start value.
func TestOggCRCSlicing(t *testing.T) {
	b := make([]byte, 100)
	for i := range b {
		b[i] = byte(i*131 + 7)
	}
	for n := 0; n <= len(b); n++ {
		for _, start := range []uint32{0, 0xdeadbeef} {
			want := start
			for _, v := range b[:n] {
				want = want<<8 ^ oggCRCTable[byte(want>>24)^v]
			}
			if got := oggCRC(start, b[:n]); got != want {
				t.Fatalf("n=%d start %#x: %#08x, byte by byte %#08x", n, start, got, want)
			}
		}
	}
}
