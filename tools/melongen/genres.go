package melongen

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// TopGenre is a top-level genre (GNxx00) of the generated datasets.
type TopGenre struct {
	Code string   // GNxx00
	Name string   // e.g. "Latin"
	Tags []string // playlist tag words for the genre, the first one is the main tag
}

// Family is one mma style family: a groove library file (its grooves share a base name: BossaNova,
// BossaNovaSus, BossaNova1Sus, …), which is one sub-genre (GNxxyy) of the generated datasets.
type Family struct {
	Code       string  // GNxxyy
	Name       string  // display name (the grooves' base name), e.g. "BossaNova"
	File       string  // library file relative to mma's lib directory, without ".mma": "stdlib/bossanova"
	TempoLo    int     // tempo range (mma Tempo, beats per minute) songs of the family are drawn from
	TempoHi    int     //
	Harmony    harmony // which chord-progression templates fit the style
	Overlay    string  // extra mma lines after the Groove line (used to add bass and chords to drum-only grooves)
	MaxGrooves int     // how many of the file's grooves to use (0: defaultGroovesPerFamily)
}

// Top returns the family's top-level genre code.
func (f Family) Top() string { return f.Code[:4] + "00" }

// RealGenre is the top-level genre of real recordings added with -real (Options.Real).
var RealGenre = TopGenre{"GN1100", "Game/Soundtrack", []string{"soundtrack", "game music", "orchestral"}}

// TopGenres are the top-level genres of the synthetic songs, in code order.
var TopGenres = []TopGenre{
	{"GN0100", "Latin", []string{"latin", "latin jazz", "dance"}},
	{"GN0200", "Jazz", []string{"jazz", "swing", "lounge"}},
	{"GN0300", "Rock", []string{"rock", "rock and roll", "guitar"}},
	{"GN0400", "Country/Folk", []string{"country", "folk", "acoustic"}},
	{"GN0500", "Reggae/Ska/Caribbean", []string{"reggae", "ska", "caribbean"}},
	{"GN0600", "Traditional/Ballroom", []string{"traditional", "ballroom", "oldies"}},
	{"GN0700", "Blues", []string{"blues", "boogie", "shuffle"}},
	{"GN0800", "Pop/Ballad", []string{"ballad", "pop", "love songs"}},
	{"GN0900", "Soul/R&B/Gospel", []string{"soul", "r&b", "gospel"}},
	{"GN1000", "Electronic/Dance", []string{"electronic", "dance", "club"}},
}

const drumOnlyReggae = `Begin Bass-Reggae
 Voice FingeredBass
 Octave 3
 Volume f
 Sequence { 1 4. 1 90; 2.5 8 1 80; 3 4 5 90 }
End
Begin Chord-Skank
 Voice Organ2
 Octave 5
 Volume mf
 Sequence { 1.5 8 80; 2.5 8 80; 3.5 8 80; 4.5 8 80 }
End`

// familyTable lists the style families, grouped by top-level genre; the sub-genre codes are assigned in this
// order (GNxx01, GNxx02, …). The first two families of each genre are its most typical: the tiny size uses
// them. Tempo ranges are in mma's beat unit (quarter notes for 4/4 and 3/4 grooves).
var familyTable = []struct {
	top  string
	fams []Family
}{
	{"GN0100", []Family{
		{Name: "BossaNova", File: "stdlib/bossanova", TempoLo: 110, TempoHi: 145, Harmony: harmBossa},
		{Name: "Salsa", File: "stdlib/salsa", TempoLo: 150, TempoHi: 190, Harmony: harmLatin},
		{Name: "Samba", File: "stdlib/samba", TempoLo: 95, TempoHi: 125, Harmony: harmLatin},
		{Name: "Rhumba", File: "stdlib/rhumba", TempoLo: 100, TempoHi: 130, Harmony: harmLatin},
		{Name: "Mambo", File: "stdlib/mambo", TempoLo: 160, TempoHi: 190, Harmony: harmLatin},
		{Name: "ChaCha", File: "stdlib/chacha", TempoLo: 110, TempoHi: 128, Harmony: harmLatin},
		{Name: "Merengue", File: "stdlib/merengue", TempoLo: 120, TempoHi: 150, Harmony: harmLatin},
		{Name: "Son", File: "stdlib/son", TempoLo: 90, TempoHi: 120, Harmony: harmLatin},
		{Name: "Afro-Cuban", File: "stdlib/afro-cuban", TempoLo: 100, TempoHi: 130, Harmony: harmLatin},
		{Name: "CubanGuitar", File: "stdlib/cubanguitar", TempoLo: 90, TempoHi: 120, Harmony: harmLatin},
		{Name: "Bolero", File: "stdlib/bolero", TempoLo: 80, TempoHi: 105, Harmony: harmLatin},
		{Name: "SlowBolero", File: "stdlib/slowbolero", TempoLo: 60, TempoHi: 80, Harmony: harmLatin},
		{Name: "Beguine", File: "stdlib/beguine", TempoLo: 100, TempoHi: 130, Harmony: harmBossa},
		{Name: "Tango", File: "stdlib/tango", TempoLo: 110, TempoHi: 130, Harmony: harmLatin},
		{Name: "LightTango", File: "stdlib/lighttango", TempoLo: 110, TempoHi: 130, Harmony: harmLatin},
		{Name: "LatinWaltz", File: "stdlib/latinwaltz", TempoLo: 120, TempoHi: 160, Harmony: harmLatin},
		{Name: "JazzRhumba", File: "stdlib/jazzrhumba", TempoLo: 100, TempoHi: 130, Harmony: harmBossa},
		{Name: "LFusion", File: "stdlib/lfusion", TempoLo: 100, TempoHi: 130, Harmony: harmBossa},
	}},
	{"GN0200", []Family{
		{Name: "Swing", File: "stdlib/swing", TempoLo: 120, TempoHi: 180, Harmony: harmJazz},
		{Name: "Bebop", File: "stdlib/bebop", TempoLo: 170, TempoHi: 240, Harmony: harmJazz},
		{Name: "JazzWaltz", File: "stdlib/jazzwaltz", TempoLo: 110, TempoHi: 160, Harmony: harmJazz},
		{Name: "FastSwing", File: "stdlib/fastswing", TempoLo: 200, TempoHi: 260, Harmony: harmJazz},
		{Name: "EasySwing", File: "stdlib/easyswing", TempoLo: 90, TempoHi: 130, Harmony: harmJazz},
		{Name: "FastJazzWaltz", File: "stdlib/fastjazzwaltz", TempoLo: 160, TempoHi: 220, Harmony: harmJazz},
		{Name: "ModernJazz", File: "stdlib/modernjazz", TempoLo: 110, TempoHi: 160, Harmony: harmJazz},
		{Name: "ModernJazzWaltz", File: "stdlib/modernjazzwaltz", TempoLo: 110, TempoHi: 160, Harmony: harmJazz},
		{Name: "JazzCombo", File: "stdlib/jazzcombo", TempoLo: 110, TempoHi: 170, Harmony: harmJazz},
		{Name: "JazzGuitar", File: "stdlib/jazzguitar", TempoLo: 100, TempoHi: 160, Harmony: harmJazz},
		{Name: "MellowJazz", File: "stdlib/mellowjazz", TempoLo: 80, TempoHi: 110, Harmony: harmJazz},
		{Name: "NiteJazz", File: "stdlib/nitejazz", TempoLo: 70, TempoHi: 100, Harmony: harmJazz},
		{Name: "SlowJazz", File: "stdlib/slowjazz", TempoLo: 60, TempoHi: 85, Harmony: harmJazz},
		{Name: "BigBand", File: "stdlib/bigband", TempoLo: 130, TempoHi: 190, Harmony: harmJazz},
		{Name: "Dixie", File: "stdlib/dixie", TempoLo: 150, TempoHi: 200, Harmony: harmTrad},
		{Name: "GypsyJazz", File: "stdlib/gypsyjazz", TempoLo: 160, TempoHi: 220, Harmony: harmJazz},
		{Name: "Evansish", File: "stdlib/evansish", TempoLo: 70, TempoHi: 110, Harmony: harmJazz},
		{Name: "DescendingJazz", File: "stdlib/descendingjazz", TempoLo: 100, TempoHi: 140, Harmony: harmJazz},
		{Name: "FolkyJazz", File: "stdlib/folkyjazz", TempoLo: 90, TempoHi: 130, Harmony: harmJazz},
		{Name: "Jazz54", File: "stdlib/jazz-54", TempoLo: 140, TempoHi: 180, Harmony: harmJazz},
		{Name: "JazzRock", File: "stdlib/jazzrock", TempoLo: 110, TempoHi: 150, Harmony: harmJazz},
		{Name: "68Swing", File: "stdlib/68swing", TempoLo: 100, TempoHi: 140, Harmony: harmJazz},
		{Name: "Ragtime", File: "stdlib/ragtime", TempoLo: 90, TempoHi: 130, Harmony: harmTrad},
		{Name: "Charleston", File: "stdlib/charleston", TempoLo: 180, TempoHi: 230, Harmony: harmTrad},
	}},
	{"GN0300", []Family{
		{Name: "BasicRock", File: "stdlib/basicrock", TempoLo: 110, TempoHi: 150, Harmony: harmRock},
		{Name: "50sRock", File: "stdlib/50srock", TempoLo: 140, TempoHi: 180, Harmony: harmRock},
		{Name: "60sRock", File: "stdlib/60srock", TempoLo: 120, TempoHi: 160, Harmony: harmRock},
		{Name: "8Beat", File: "stdlib/8beat", TempoLo: 100, TempoHi: 140, Harmony: harmRock},
		{Name: "SoftRock", File: "stdlib/softrock", TempoLo: 90, TempoHi: 120, Harmony: harmPop},
		{Name: "FolkRock", File: "stdlib/folkrock", TempoLo: 100, TempoHi: 140, Harmony: harmRock},
		{Name: "BubbleRock", File: "stdlib/bubblerock", TempoLo: 110, TempoHi: 140, Harmony: harmPop},
		{Name: "Rock128", File: "stdlib/rock-128", TempoLo: 60, TempoHi: 85, Harmony: harmRock},
		{Name: "RockWaltz", File: "stdlib/rockwaltz", TempoLo: 120, TempoHi: 170, Harmony: harmRock},
		{Name: "Twist", File: "stdlib/twist", TempoLo: 140, TempoHi: 170, Harmony: harmRock},
		{Name: "Jive", File: "stdlib/jive", TempoLo: 150, TempoHi: 180, Harmony: harmRock},
		{Name: "HeavyMetal", File: "casio/heavymetal", TempoLo: 120, TempoHi: 170, Harmony: harmRock},
	}},
	{"GN0400", []Family{
		{Name: "BlueGrass", File: "stdlib/bluegrass", TempoLo: 150, TempoHi: 200, Harmony: harmFolk},
		{Name: "Folk", File: "stdlib/folk", TempoLo: 90, TempoHi: 130, Harmony: harmFolk},
		{Name: "CountrySwing", File: "stdlib/countryswing", TempoLo: 130, TempoHi: 170, Harmony: harmFolk},
		{Name: "CountryWaltz", File: "stdlib/countrywaltz", TempoLo: 100, TempoHi: 140, Harmony: harmFolk},
		{Name: "SlowCountry", File: "stdlib/slowcountry", TempoLo: 65, TempoHi: 90, Harmony: harmFolk},
		{Name: "WesternSwing", File: "stdlib/westernswing", TempoLo: 130, TempoHi: 170, Harmony: harmFolk},
		{Name: "FolkBallad", File: "stdlib/folkballad", TempoLo: 70, TempoHi: 95, Harmony: harmFolk},
		{Name: "BlueFolk", File: "stdlib/bluefolk", TempoLo: 90, TempoHi: 120, Harmony: harmFolk},
		{Name: "HillCountry", File: "stdlib/hillcountry", TempoLo: 100, TempoHi: 140, Harmony: harmFolk},
		{Name: "Zydeco", File: "stdlib/zydeco", TempoLo: 130, TempoHi: 170, Harmony: harmFolk},
	}},
	{"GN0500", []Family{
		{Name: "Reggae", File: "zoom/reggae", TempoLo: 65, TempoHi: 85, Harmony: harmReggae, Overlay: drumOnlyReggae},
		{Name: "Ska", File: "stdlib/ska", TempoLo: 140, TempoHi: 180, Harmony: harmReggae},
		{Name: "Calypso", File: "stdlib/calypso", TempoLo: 110, TempoHi: 140, Harmony: harmFolk},
	}},
	{"GN0600", []Family{
		{Name: "Polka", File: "stdlib/polka", TempoLo: 110, TempoHi: 140, Harmony: harmTrad},
		{Name: "Waltz", File: "stdlib/waltz", TempoLo: 85, TempoHi: 110, Harmony: harmTrad},
		{Name: "VieneseWaltz", File: "stdlib/vienesewaltz", TempoLo: 160, TempoHi: 190, Harmony: harmTrad},
		{Name: "FrenchWaltz", File: "stdlib/frenchwaltz", TempoLo: 130, TempoHi: 170, Harmony: harmTrad},
		{Name: "FastWaltz", File: "stdlib/fastwaltz", TempoLo: 160, TempoHi: 200, Harmony: harmTrad},
		{Name: "March", File: "stdlib/march", TempoLo: 110, TempoHi: 130, Harmony: harmTrad},
		{Name: "68March", File: "stdlib/68march", TempoLo: 100, TempoHi: 125, Harmony: harmTrad},
		{Name: "BWMarch", File: "stdlib/bwmarch", TempoLo: 110, TempoHi: 130, Harmony: harmTrad},
		{Name: "DixieMarch", File: "stdlib/dixiemarch", TempoLo: 110, TempoHi: 130, Harmony: harmTrad},
		{Name: "Foxtrot", File: "stdlib/foxtrot", TempoLo: 110, TempoHi: 130, Harmony: harmTrad},
		{Name: "QuickStep", File: "stdlib/quickstep", TempoLo: 180, TempoHi: 210, Harmony: harmTrad},
		{Name: "SoftShoe", File: "stdlib/softshoe", TempoLo: 90, TempoHi: 120, Harmony: harmTrad},
		{Name: "Broadway", File: "stdlib/broadway", TempoLo: 110, TempoHi: 150, Harmony: harmTrad},
		{Name: "BroadwayWaltz", File: "stdlib/broadwaywaltz", TempoLo: 110, TempoHi: 150, Harmony: harmTrad},
		{Name: "SlowBroadway", File: "stdlib/slowbroadway", TempoLo: 65, TempoHi: 90, Harmony: harmTrad},
		{Name: "ShowTune", File: "stdlib/showtune", TempoLo: 100, TempoHi: 140, Harmony: harmTrad},
	}},
	{"GN0700", []Family{
		{Name: "Blues", File: "stdlib/blues", TempoLo: 90, TempoHi: 130, Harmony: harmBlues},
		{Name: "BoggieWoggie", File: "stdlib/boggiewoggie", TempoLo: 130, TempoHi: 180, Harmony: harmBlues},
		{Name: "SlowBlues", File: "stdlib/slowblues", TempoLo: 55, TempoHi: 80, Harmony: harmBlues},
		{Name: "FastBlues", File: "stdlib/fastblues", TempoLo: 140, TempoHi: 190, Harmony: harmBlues},
		{Name: "Blues128", File: "stdlib/blues128", TempoLo: 55, TempoHi: 80, Harmony: harmBlues},
		{Name: "Blues68", File: "stdlib/blues68", TempoLo: 60, TempoHi: 90, Harmony: harmBlues},
		{Name: "ShuffleBoggie", File: "stdlib/shuffleboggie", TempoLo: 110, TempoHi: 150, Harmony: harmBlues},
		{Name: "CountryBlues", File: "stdlib/countryblues", TempoLo: 90, TempoHi: 130, Harmony: harmBlues},
	}},
	{"GN0800", []Family{
		{Name: "PopBallad", File: "stdlib/popballad", TempoLo: 65, TempoHi: 90, Harmony: harmPop},
		{Name: "PianoBallad", File: "stdlib/pianoballad", TempoLo: 60, TempoHi: 85, Harmony: harmPop},
		{Name: "Ballad", File: "stdlib/ballad", TempoLo: 65, TempoHi: 90, Harmony: harmPop},
		{Name: "Ballad128", File: "stdlib/ballad128", TempoLo: 55, TempoHi: 75, Harmony: harmPop},
		{Name: "Ballad68", File: "stdlib/ballad68", TempoLo: 60, TempoHi: 85, Harmony: harmPop},
		{Name: "GuitarBallad", File: "stdlib/guitarballad", TempoLo: 65, TempoHi: 90, Harmony: harmPop},
		{Name: "StringBallad", File: "stdlib/stringballad", TempoLo: 60, TempoHi: 85, Harmony: harmPop},
		{Name: "RockBallad", File: "stdlib/rockballad", TempoLo: 65, TempoHi: 90, Harmony: harmPop},
		{Name: "Lullaby", File: "stdlib/lullaby", TempoLo: 60, TempoHi: 80, Harmony: harmPop},
		{Name: "Arpeggio", File: "stdlib/arpeggio44", TempoLo: 70, TempoHi: 100, Harmony: harmPop},
		{Name: "Pop", File: "casio/pop", TempoLo: 100, TempoHi: 130, Harmony: harmPop},
	}},
	{"GN0900", []Family{
		{Name: "R&B", File: "stdlib/rb", TempoLo: 80, TempoHi: 110, Harmony: harmSoul},
		{Name: "Spiritual", File: "stdlib/spiritual", TempoLo: 80, TempoHi: 110, Harmony: harmSoul},
		{Name: "R&B-Ballad", File: "stdlib/rb-ballad", TempoLo: 60, TempoHi: 80, Harmony: harmSoul},
		{Name: "DSoul", File: "stdlib/dsoul", TempoLo: 90, TempoHi: 120, Harmony: harmSoul},
		{Name: "BVFunk", File: "stdlib/bvfunk", TempoLo: 95, TempoHi: 120, Harmony: harmSoul},
		{Name: "Strut", File: "stdlib/strut", TempoLo: 90, TempoHi: 120, Harmony: harmSoul},
		{Name: "PopSpiritual", File: "stdlib/popspiritual", TempoLo: 70, TempoHi: 100, Harmony: harmSoul},
		{Name: "SlowSpiritual", File: "stdlib/slowspiritual", TempoLo: 55, TempoHi: 75, Harmony: harmSoul},
		{Name: "Hymn", File: "stdlib/hymn", TempoLo: 70, TempoHi: 95, Harmony: harmTrad},
		{Name: "Funk", File: "casio/funk1", TempoLo: 95, TempoHi: 120, Harmony: harmSoul},
		{Name: "Soul", File: "casio/soul", TempoLo: 85, TempoHi: 115, Harmony: harmSoul},
		{Name: "DiscoSoul", File: "casio/discosoul", TempoLo: 110, TempoHi: 128, Harmony: harmSoul},
	}},
	{"GN1000", []Family{
		{Name: "Trance", File: "stdlib/trance", TempoLo: 128, TempoHi: 145, Harmony: harmElectronic},
		{Name: "Techno", File: "casio/techno", TempoLo: 125, TempoHi: 140, Harmony: harmElectronic},
		{Name: "House", File: "casio/house", TempoLo: 118, TempoHi: 128, Harmony: harmElectronic},
		{Name: "Rave", File: "casio/rave", TempoLo: 130, TempoHi: 150, Harmony: harmElectronic},
		{Name: "BoneyM", File: "stdlib/boneym", TempoLo: 110, TempoHi: 130, Harmony: harmElectronic},
	}},
}

// Families returns the style families in code order, with their sub-genre codes assigned.
func Families() []Family {
	var out []Family
	for _, g := range familyTable {
		for i, f := range g.fams {
			f.Code = fmt.Sprintf("%s%02d", g.top[:4], i+1)
			out = append(out, f)
		}
	}
	return out
}

// topGenre returns the top-level genre with a code.
func topGenre(code string) (TopGenre, bool) {
	for _, g := range TopGenres {
		if g.Code == code {
			return g, true
		}
	}
	if code == RealGenre.Code {
		return RealGenre, true
	}
	return TopGenre{}, false
}

// Groove is one mma groove of a family, as its library file defines it.
type Groove struct {
	Name        string // e.g. "BossaNova1Sus"
	BeatsPerBar int    // from the Time directive in force where the groove is defined
}

// defaultGroovesPerFamily bounds the grooves used per family: the file's main groove and its first
// variations (…Sus, …Plus, …1), in file order.
const defaultGroovesPerFamily = 4

// skipGroove tells intros, endings, fills and metronomes, which do not make songs ("End" and "Fill" are
// matched with their capital, so that DescendingJazz stays).
func skipGroove(name string) bool {
	l := strings.ToLower(name)
	return strings.Contains(l, "intro") || strings.Contains(l, "metronome") || strings.Contains(name, "End") ||
		strings.Contains(name, "Fill")
}

// readGrooves lists the song grooves (DefGroove) of an mma library file with their beats per bar.
func readGrooves(libDir string, fam Family) ([]Groove, error) {
	path := filepath.Join(libDir, filepath.FromSlash(fam.File)+".mma")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	beats := 4
	seen := map[string]bool{}
	var out []Groove
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		switch strings.ToLower(fields[0]) {
		case "time":
			num, _, _ := strings.Cut(fields[1], "/")
			if n, err := strconv.Atoi(num); err == nil && n > 0 {
				beats = n
			}
		case "defgroove":
			name := fields[1]
			if skipGroove(name) || seen[strings.ToLower(name)] {
				continue
			}
			seen[strings.ToLower(name)] = true
			out = append(out, Groove{Name: name, BeatsPerBar: beats})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	max := fam.MaxGrooves
	if max == 0 {
		max = defaultGroovesPerFamily
	}
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// catalogFamily is a family with the grooves that rendered on this machine.
type catalogFamily struct {
	Family
	Grooves []Groove
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
