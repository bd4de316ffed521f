package musicnn

// MTTLabels are the 50 MagnaTagATune tags of the MTT_* models, in output order (musicnn/configuration.py).
var MTTLabels = []string{"guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
	"piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male", "singing", "vocals",
	"no vocals", "harpsichord", "loud", "quiet", "flute", "woman", "male vocal", "no vocal", "pop", "soft", "sitar",
	"solo", "man", "classic", "choir", "voice", "new age", "dance", "male voice", "female vocal", "beats", "harp",
	"cello", "no voice", "weird", "country", "metal", "female voice", "choral"}

// MSDLabels are the 50 Million Song Dataset (last.fm) tags of the MSD_* models, in output order
// (musicnn/configuration.py).
var MSDLabels = []string{"rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
	"alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul",
	"indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies", "blues",
	"hard rock", "ambient", "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party",
	"country", "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb",
	"indie pop", "sad", "House", "happy"}
