package melongen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Word lists for the synthetic artist, album, song and playlist names. The names carry no information about
// the genre (a model must not learn genre from them); the playlist titles and tags do, as Melon's do.

var (
	firstNames = []string{"Ana", "Ben", "Carla", "Dario", "Elena", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kira",
		"Luca", "Mara", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wim", "Xenia",
		"Yusuf", "Zoe", "Aiko", "Bruno", "Chloe", "Diego", "Esme", "Felix", "Hana", "Ivan", "Lena", "Milo"}
	lastNames = []string{"Alves", "Brandt", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hall", "Ito",
		"Jansen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quist", "Rossi", "Silva",
		"Tanaka", "Ueda", "Varga", "Weber", "Young", "Zamora", "Abe", "Berg", "Cruz", "Diaz", "Engel", "Frey"}
	bandAdjectives = []string{"Velvet", "Silver", "Broken", "Electric", "Quiet", "Golden", "Midnight", "Paper",
		"Crimson", "Hollow", "Wandering", "Copper", "Distant", "Lucky", "Northern", "Painted", "Restless", "Salty",
		"Amber", "Little", "Cosmic", "Rusty", "Sleepy", "Wild"}
	bandNouns = []string{"Lanterns", "Foxes", "Harbours", "Engines", "Orchards", "Sparrows", "Pilots", "Tides",
		"Owls", "Rivers", "Satellites", "Giants", "Mirrors", "Kites", "Bells", "Comets", "Lions", "Gardens",
		"Wheels", "Shadows", "Ferries", "Choirs", "Antlers", "Ghosts"}
	ensembleWords = []string{"Trio", "Quartet", "Band", "Ensemble", "Collective", "Orchestra", "& Friends",
		"Project", "Combo", "Sextet"}
	songAdjectives = []string{"Blue", "Late", "Golden", "Endless", "Hidden", "Lonely", "Bright", "Slow", "Warm",
		"Silent", "Open", "Falling", "Electric", "Faded", "Sweet", "Wild", "Empty", "Burning", "Paper", "Morning",
		"Secret", "Last", "First", "Distant", "Tender", "Crooked", "Velvet", "Summer", "Winter", "Rainy"}
	songNouns = []string{"Harbour", "Window", "Road", "Letter", "Garden", "River", "Night", "Street", "Heart",
		"Train", "Moon", "Mirror", "Dance", "Lights", "Rain", "Station", "Horizon", "Island", "Promise", "Echo",
		"Avenue", "Sky", "Shore", "Fire", "Waltz", "Stranger", "Compass", "Balcony", "Lantern", "Bridge"}
	albumPatterns = []string{"%s %s", "The %s %s", "%s %s Sessions", "Songs of the %s %s", "%s %s (Live)",
		"%s %s Vol. 2"}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// artistName makes a solo, ensemble or band name.
func artistName(rng *rand.Rand) string {
	switch rng.IntN(3) {
	case 0:
		return pick(rng, firstNames) + " " + pick(rng, lastNames)
	case 1:
		return pick(rng, firstNames) + " " + pick(rng, lastNames) + " " + pick(rng, ensembleWords)
	default:
		return "The " + pick(rng, bandAdjectives) + " " + pick(rng, bandNouns)
	}
}

func songName(rng *rand.Rand) string {
	switch rng.IntN(4) {
	case 0:
		return pick(rng, songNouns) + " of the " + pick(rng, songNouns)
	case 1:
		return pick(rng, songAdjectives) + " " + pick(rng, songNouns) + "s"
	default:
		return pick(rng, songAdjectives) + " " + pick(rng, songNouns)
	}
}

func albumName(rng *rand.Rand) string {
	p := pick(rng, albumPatterns)
	return strings.TrimSpace(fmt.Sprintf(p, pick(rng, songAdjectives), pick(rng, songNouns)))
}

// Playlist vocabulary by tempo class (0 slow, 1 mid, 2 fast).
var (
	tempoTags   = [3][]string{{"slow", "chill", "mellow"}, {"groovy", "midtempo", "easy"}, {"upbeat", "energetic", "fast"}}
	contextTags = [3][]string{{"sleep", "study", "rainy day", "relax"}, {"cafe", "work", "weekend", "cooking"},
		{"workout", "party", "drive", "morning"}}
	// Title formats: %[1]s the tempo word, %[2]s the genre word, %[3]s the context word.
	titleFormats = []string{"%[1]s %[2]s", "%[2]s for %[3]s", "my %[2]s mix", "%[1]s %[2]s for %[3]s",
		"%[2]s favourites", "best of %[2]s", "%[3]s: %[1]s %[2]s", "%[2]s & more"}
)
