package melongen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// harmony names a set of chord-progression templates that suit a style.
type harmony int

const (
	harmPop harmony = iota
	harmRock
	harmJazz
	harmBossa
	harmLatin
	harmFolk
	harmTrad
	harmBlues
	harmSoul
	harmReggae
	harmElectronic
)

// progressions are 4-bar phrases in Roman numerals relative to the song's key: upper case major, lower case
// minor; suffixes 7, maj7, 6, 9, 7b5 (half-diminished), dim, sus4; a "b" prefix lowers the root a semitone.
// A song strings phrases into an AABA-like form; harmBlues uses 12-bar forms instead.
var progressions = map[harmony][]string{
	harmPop:  {"I V vi IV", "vi IV I V", "I vi IV V", "I iii IV V", "IV I V vi", "I IV vi V"},
	harmRock: {"I bVII IV I", "I IV V IV", "I V IV I", "i bVI bVII i", "I bIII IV I", "i bVII bVI bVII"},
	harmJazz: {"ii7 V7 Imaj7 VI7", "Imaj7 vi7 ii7 V7", "iii7 VI7 ii7 V7", "ii7b5 V7 i6 i6", "Imaj7 IV7 iii7 VI7",
		"i7 iv7 bVII7 bIIImaj7"},
	harmBossa: {"Imaj7 II7 ii7 V7", "i7 iv7 ii7b5 V7", "Imaj7 bII7 Imaj7 V7", "ii7 V7 Imaj7 Imaj7",
		"Imaj7 vi7 ii7 bII7"},
	harmLatin: {"i iv V7 i", "i bVII bVI V7", "I IV V7 IV", "i iv bVII bIII", "I V7 V7 I", "i V7 i V7"},
	harmFolk:  {"I IV I V", "I I IV V7", "I V7 V7 I", "I IV V I", "vi IV I V", "I IV I IV"},
	harmTrad:  {"I V7 V7 I", "I IV V7 I", "I vi ii7 V7", "I I7 IV iv", "I VI7 II7 V7", "i iv V7 i"},
	harmSoul: {"I7 IV7 I7 V7", "ii7 V7 Imaj7 vi7", "I vi ii V", "i7 iv7 i7 bVII7", "Imaj7 iii7 IVmaj7 V7",
		"vi7 ii7 V7 Imaj7"},
	harmReggae:     {"I IV I V", "i iv i v", "I V vi IV", "ii V I I", "i bVII i bVII"},
	harmElectronic: {"i bVI bIII bVII", "i iv bVI V", "i i bVI bVII", "vi IV I V", "i bVII bVI bVII"},
}

var bluesForms = []string{
	"I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7",
	"I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 I7",
	"i7 iv7 i7 i7 iv7 iv7 i7 i7 bVI7 V7 i7 V7",
}

var pitchNames = [12]string{"C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"}

var romanDegrees = map[string]int{"i": 0, "ii": 2, "iii": 4, "iv": 5, "v": 7, "vi": 9, "vii": 11}

// chordName turns a Roman-numeral chord into an mma chord name in the key whose tonic is pitch class key.
func chordName(roman string, key int) (string, error) {
	r := roman
	shift := 0
	if strings.HasPrefix(r, "b") {
		shift, r = -1, r[1:]
	} else if strings.HasPrefix(r, "#") {
		shift, r = 1, r[1:]
	}
	n := 0
	for n < len(r) && strings.ContainsRune("IViv", rune(r[n])) {
		n++
	}
	numeral, suffix := r[:n], r[n:]
	deg, ok := romanDegrees[strings.ToLower(numeral)]
	if !ok {
		return "", fmt.Errorf("melongen: bad chord %q in a progression template", roman)
	}
	minor := numeral == strings.ToLower(numeral)
	var quality string
	switch suffix {
	case "":
		quality = map[bool]string{true: "m", false: ""}[minor]
	case "7":
		quality = map[bool]string{true: "m7", false: "7"}[minor]
	case "6":
		quality = map[bool]string{true: "m6", false: "6"}[minor]
	case "7b5":
		quality = "m7b5"
	case "maj7", "9", "dim", "sus4":
		quality = suffix
	default:
		return "", fmt.Errorf("melongen: bad chord suffix %q in %q", suffix, roman)
	}
	return pitchNames[((key+deg+shift)%12+12)%12] + quality, nil
}

// songPlan is everything that determines a synthetic song's audio.
type songPlan struct {
	Groove      string
	BeatsPerBar int
	Tempo       int
	Key         int // tonic pitch class
	Minor       bool
	Chords      []string // one chord per bar
	RndSeed     int      // mma's random seed (humanised timing and velocities)
	Overlay     string
}

// KeyName returns the key as text: "Eb minor".
func (p songPlan) KeyName() string {
	mode := "major"
	if p.Minor {
		mode = "minor"
	}
	return pitchNames[p.Key] + " " + mode
}

// barsFor returns the number of bars a song of the given tempo and time needs to last at least seconds.
func barsFor(seconds float64, tempo, beatsPerBar int) int {
	return int(math.Ceil(seconds * float64(tempo) / 60 / float64(beatsPerBar)))
}

// planChords builds a song's chord sequence of at least bars bars: an AABA-like form of 4-bar phrases from the
// harmony's templates (12-bar choruses for the blues), repeated.
func planChords(rng *rand.Rand, h harmony, key int, bars int) (chords []string, minor bool, err error) {
	var form []string
	if h == harmBlues {
		form = strings.Fields(bluesForms[rng.IntN(len(bluesForms))])
	} else {
		tpl := progressions[h]
		a := tpl[rng.IntN(len(tpl))]
		b := tpl[rng.IntN(len(tpl))]
		pattern := []string{"AABA", "ABAB", "AAAB", "ABAC"}[rng.IntN(4)]
		for _, part := range pattern {
			switch part {
			case 'A':
				form = append(form, strings.Fields(a)...)
			case 'B':
				form = append(form, strings.Fields(b)...)
			default:
				form = append(form, strings.Fields(tpl[rng.IntN(len(tpl))])...)
			}
		}
	}
	minor = form[0] == "i" || form[0] == "i7" || form[0] == "i6"
	for len(chords) < bars {
		for _, r := range form {
			c, err := chordName(r, key)
			if err != nil {
				return nil, false, err
			}
			chords = append(chords, c)
		}
	}
	// End on the tonic.
	last, err := chordName(form[0], key)
	if err != nil {
		return nil, false, err
	}
	chords = append(chords[:bars-1], last)
	return chords, minor, nil
}

// mmaText is the mma source of a planned song.
func (p songPlan) mmaText(header string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(header), "\n") {
		fmt.Fprintf(&b, "// %s\n", line)
	}
	fmt.Fprintf(&b, "RndSeed %d\nTempo %d\nGroove %s\n", p.RndSeed, p.Tempo, p.Groove)
	if p.Overlay != "" {
		b.WriteString(p.Overlay)
		b.WriteString("\n")
	}
	for i, c := range p.Chords {
		fmt.Fprintf(&b, "%d %s\n", i+1, c)
	}
	return b.String()
}
