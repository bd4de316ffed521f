package melongen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"

	"github.com/musicrep/musicrep/musicrep/melon"
)

// songRec is a planned song.
type songRec struct {
	ID         int
	Name       string
	Artist     int // index into the artists
	Album      int // index into the albums
	Top, Sub   string
	FamilyName string // "" for real recordings
	Tempo      int    // beats per minute; 0 for real recordings
	TempoNorm  float64
	Pop        float64
	Plan       *songPlan   // synthetic songs
	Real       *realTrack  // real recordings
	Derive     *derivation // derived spectrograms (Options.DeriveFrom): how, from which base songs
	Split      string      // "train", "val" or "test" for song-level tasks (by artist; see melon.SongSplitFile)
}

type artistRec struct {
	ID        int      `json:"id"`
	Name      string   `json:"name"`
	Home      string   `json:"home_genre"`
	Families  []string `json:"families,omitempty"` // favourite style families (sub-genre codes)
	TempoPref float64  `json:"tempo_pref"`
	Keys      []string `json:"keys,omitempty"`
	Pop       float64  `json:"popularity"`
	Real      bool     `json:"real,omitempty"`
}

type albumRec struct {
	ID     int
	Name   string
	Artist int
	Date   string
}

// genTruth is musicrep_gen.json: the latent variables behind the dataset, for evaluation.
type genTruth struct {
	Generator string `json:"generator"`
	Size      string `json:"size"`
	Seed      uint64 `json:"seed"`
	// Derivation says how the spectrograms of a derived dataset were made (nil: rendered).
	Derivation *derivationInfo `json:"derivation,omitempty"`
	Songs      []truthSong     `json:"songs"`
	Artists    []artistRec     `json:"artists"`
	Listeners  []listener      `json:"listeners"`
	Playlists  []truthPlayer   `json:"playlists"`
}

type truthSong struct {
	ID          int      `json:"id"`
	Source      string   `json:"source"` // "mma", "derived" or the real source's name
	Family      string   `json:"family,omitempty"`
	Groove      string   `json:"groove,omitempty"`
	Tempo       int      `json:"tempo,omitempty"`
	BeatsPerBar int      `json:"beats_per_bar,omitempty"`
	Key         string   `json:"key,omitempty"`
	Chords      []string `json:"chords,omitempty"`
	File        string   `json:"file,omitempty"` // real recordings: the source file
	Artist      int      `json:"artist"`
	// Derived songs: the base songs and transformation parameters of the spectrogram (Family, Groove, Tempo,
	// BeatsPerBar and Key are then those realised: the base song's groove, its tempo × stretch, its key +
	// semitones; no chords, the planned ones are not played).
	Derived *derivation `json:"derived,omitempty"`
}

type truthPlayer struct {
	ID       int    `json:"id"`
	Split    string `json:"split"`
	Listener int    `json:"listener"`
	Focus    string `json:"focus_genre,omitempty"`
}

// stream returns an independent random stream for one part of the generation.
func stream(seed uint64, part string) *rand.Rand {
	var h uint64 = 1469598103934665603
	for _, c := range []byte(part) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return rand.New(rand.NewPCG(seed, h))
}

// dataset is a planned dataset: everything but the audio.
type dataset struct {
	byID              []*songRec // the songs in id order
	songSplit         melon.SongSplit
	meta              []melon.Song
	splits            map[string][]melon.Playlist
	truth             genTruth
	genreNames        map[string]string
	albums            int
	genres, subGenres int // with songs
}

// planDataset plans the songs (synthetic from the catalogue, then the real tracks), the simulated listeners
// and playlists and the split, deterministically in seed. derive, if not nil, is called on the planned songs
// before the playlists are drawn (it may change their realised tempo).
func planDataset(seed uint64, size Size, catalog []catalogFamily, realName string, tracks []realTrack,
	derive func([]*songRec) error) (*dataset, error) {
	songs, artists, albums, err := planSongs(seed, size, catalog)
	if err != nil {
		return nil, err
	}
	if len(tracks) > 0 {
		songs, artists, albums = addReal(seed, tracks, songs, artists, albums)
	}
	if derive != nil {
		if err := derive(songs); err != nil {
			return nil, err
		}
	}
	splitSongsByArtist(seed, songs)

	// Simulated listeners and playlists.
	genreSongs := map[string][]int{}
	for i, s := range songs {
		genreSongs[s.Top] = append(genreSongs[s.Top], i)
	}
	genres := sortedKeys(genreSongs)
	lrng := stream(seed, "listeners")
	listeners := simulateListeners(lrng, size.Listeners, genres, genreSongs, len(artists), size.Scalable)
	var pls []playlistRec
	if size.Scalable {
		pls = simulatePlaylistsScalable(seed, size.Playlists, listeners, songs, genres, genreSongs, size.MinLen,
			size.MaxLen, runtime.GOMAXPROCS(0))
	} else {
		prng := stream(seed, "playlists")
		pls = simulatePlaylists(prng, size.Playlists, listeners, songs, genres, genreSongs, size.MinLen, size.MaxLen)
	}
	// Playlists are split by listener, about 80/10/10: no listener has playlists in two files, so the test
	// playlists come from listeners whose playlists never reach the CF model (contrastive-mir fits it on
	// train.json and val.json only).
	splitOf := listenerSplit(stream(seed, "split"), pls, len(listeners))
	order := stream(seed, "split-order").Perm(len(pls))
	splits := map[string][]melon.Playlist{}
	truth := genTruth{Generator: "musicrep/melongen", Size: size.Name, Seed: seed, Artists: artists,
		Listeners: listeners}
	for _, p := range order {
		split := splitOf[pls[p].Listener]
		pls[p].ID = p + 1
		splits[split] = append(splits[split], pls[p].Playlist)
		truth.Playlists = append(truth.Playlists, truthPlayer{ID: p + 1, Split: split, Listener: pls[p].Listener,
			Focus: pls[p].Focus})
	}
	for _, list := range splits {
		sort.Slice(list, func(a, b int) bool { return list[a].ID < list[b].ID })
	}
	sort.Slice(truth.Playlists, func(a, b int) bool { return truth.Playlists[a].ID < truth.Playlists[b].ID })

	// Metadata records.
	byID := append([]*songRec(nil), songs...)
	sort.Slice(byID, func(a, b int) bool { return byID[a].ID < byID[b].ID })
	meta := make([]melon.Song, len(byID))
	for i, s := range byID {
		al := albums[s.Album]
		meta[i] = melon.Song{ID: s.ID, Name: s.Name, AlbumID: al.ID, AlbumName: al.Name,
			ArtistIDs: []int{artists[s.Artist].ID}, ArtistNames: []string{artists[s.Artist].Name},
			Genres: []string{s.Top}, DetailGenres: []string{s.Sub}, IssueDate: al.Date}
		ts := truthSong{ID: s.ID, Artist: s.Artist}
		if d := s.Derive; d != nil {
			// What the spectrogram realises; see derivation.
			ts.Source, ts.Family, ts.Tempo, ts.Derived = "derived", s.FamilyName, s.Tempo, d
			if b := d.base; b != nil {
				ts.Groove, ts.BeatsPerBar = b.Groove, b.BeatsPerBar
				ts.Key = pitchNames[(b.Key+d.Semitones+12)%12] + " " + b.Mode
			}
		} else if s.Plan != nil {
			p := s.Plan
			ts.Source, ts.Family, ts.Groove, ts.Tempo, ts.BeatsPerBar = "mma", s.FamilyName, p.Groove, p.Tempo,
				p.BeatsPerBar
			ts.Key, ts.Chords = p.KeyName(), p.Chords
		} else {
			ts.Source, ts.File = realName, filepath.Base(s.Real.Path)
		}
		truth.Songs = append(truth.Songs, ts)
	}
	genreNames := map[string]string{}
	for _, g := range TopGenres {
		if len(catalogOf(catalog, g.Code)) > 0 {
			genreNames[g.Code] = g.Name
		}
	}
	for _, f := range catalog {
		genreNames[f.Code] = f.Name
	}
	for _, s := range songs {
		if s.Real != nil {
			genreNames[RealGenre.Code] = RealGenre.Name
			genreNames[s.Sub] = s.Real.Album
		}
	}
	subs := map[string]bool{}
	for _, s := range songs {
		subs[s.Sub] = true
	}
	return &dataset{byID: byID, songSplit: songSplitOf(seed, byID), meta: meta, splits: splits, truth: truth, genreNames: genreNames,
		albums: len(albums), genres: len(genres), subGenres: len(subs)}, nil
}

// normTempo maps beats per minute to the listeners' tempo axis [0, 1].
func normTempo(bpm int) float64 { return math.Max(0, math.Min(1, float64(bpm-55)/(240-55))) }

// planSongs draws the artists (home genre, favourite families, tempo preference, keys), their albums and
// songs (family, groove, tempo, key, chords).
func planSongs(seed uint64, size Size, catalog []catalogFamily) ([]*songRec, []artistRec, []albumRec, error) {
	rng := stream(seed, "songs")
	var genres []string
	for _, g := range TopGenres {
		if len(catalogOf(catalog, g.Code)) > 0 {
			genres = append(genres, g.Code)
		}
	}
	nArtists := size.Artists
	if nArtists == 0 {
		nArtists = int(math.Round(float64(size.Songs) / 8))
	}
	nArtists = max(nArtists, len(genres))
	// Home genres: in proportion to sqrt(#families) (largest remainders), at least one artist per genre.
	gw := make([]float64, len(genres))
	var gwSum float64
	for i, g := range genres {
		gw[i] = math.Sqrt(float64(len(catalogOf(catalog, g))))
		gwSum += gw[i]
	}
	perGenre := make([]int, len(genres))
	rem := make([]float64, len(genres))
	assigned := 0
	for i := range genres {
		share := float64(nArtists-len(genres)) * gw[i] / gwSum
		perGenre[i] = 1 + int(share)
		rem[i] = share - float64(int(share))
		assigned += perGenre[i]
	}
	for ; assigned < nArtists; assigned++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		perGenre[best]++
		rem[best] = -1
	}
	var home []string
	for i, g := range genres {
		for range perGenre[i] {
			home = append(home, g)
		}
	}
	rng.Shuffle(len(home), func(i, j int) { home[i], home[j] = home[j], home[i] })
	// Songs per artist: 5 to 15 where the total allows.
	counts := make([]int, nArtists)
	base := min(5, size.Songs/nArtists)
	left := size.Songs
	for a := range counts {
		counts[a] = base
		left -= base
	}
	for left > 0 {
		a := rng.IntN(nArtists)
		if counts[a] < 15 || allAtLeast(counts, 15) {
			counts[a]++
			left--
		}
	}
	var songs []*songRec
	var artists []artistRec
	var albums []albumRec
	for a := range nArtists {
		fams := catalogOf(catalog, home[a])
		nFav := 1 + rng.IntN(min(3, len(fams)))
		favIdx := rng.Perm(len(fams))[:nFav]
		favW := make([]float64, nFav)
		art := artistRec{ID: a, Name: artistName(rng), Home: home[a], TempoPref: 0.1 + 0.8*rng.Float64(),
			Pop: math.Exp(0.7 * rng.NormFloat64())}
		for i, fi := range favIdx {
			favW[i] = rng.ExpFloat64()
			art.Families = append(art.Families, fams[fi].Code)
		}
		keys := rng.Perm(12)[:3]
		for _, k := range keys {
			art.Keys = append(art.Keys, pitchNames[k])
		}
		groovePref := rng.IntN(defaultGroovesPerFamily)
		debut := 1980 + rng.IntN(40)
		// Albums of 3–8 songs.
		var albumSizes []int
		for n := counts[a]; n > 0; {
			s := min(n, 3+rng.IntN(6))
			if n-s > 0 && n-s < 3 {
				s = n
			}
			albumSizes = append(albumSizes, s)
			n -= s
		}
		for ai, nSongs := range albumSizes {
			year := min(2024, debut+2*ai+rng.IntN(2))
			al := albumRec{ID: len(albums), Name: albumName(rng), Artist: a,
				Date: fmt.Sprintf("%04d%02d%02d", year, 1+rng.IntN(12), 1+rng.IntN(28))}
			albums = append(albums, al)
			for range nSongs {
				var fam catalogFamily
				if len(genres) > 1 && rng.Float64() < 0.1 { // an occasional crossover song
					other := genres[rng.IntN(len(genres))]
					cands := catalogOf(catalog, other)
					fam = cands[rng.IntN(len(cands))]
				} else {
					fam = fams[favIdx[weightedPick(rng, favW)]]
				}
				g := fam.Grooves[rng.IntN(len(fam.Grooves))]
				if rng.Float64() < 0.6 {
					g = fam.Grooves[groovePref%len(fam.Grooves)]
				}
				x := math.Max(0, math.Min(1, art.TempoPref+0.15*rng.NormFloat64()))
				tempo := fam.TempoLo + int(math.Round(x*float64(fam.TempoHi-fam.TempoLo)))
				key := keys[rng.IntN(len(keys))]
				if rng.Float64() < 0.2 {
					key = rng.IntN(12)
				}
				bars := barsFor(size.Seconds, tempo, g.BeatsPerBar)
				chords, minor, err := planChords(rng, fam.Harmony, key, bars)
				if err != nil {
					return nil, nil, nil, err
				}
				plan := &songPlan{Groove: g.Name, BeatsPerBar: g.BeatsPerBar, Tempo: tempo, Key: key, Minor: minor,
					Chords: chords, RndSeed: 1 + rng.IntN(1<<30), Overlay: fam.Overlay}
				songs = append(songs, &songRec{Name: songName(rng), Artist: a, Album: al.ID, Top: fam.Top(),
					Sub: fam.Code, FamilyName: fam.Name, Tempo: tempo, TempoNorm: normTempo(tempo),
					Pop: art.Pop * math.Exp(0.6*rng.NormFloat64()), Plan: plan})
			}
		}
		artists = append(artists, art)
	}
	// Song ids: a random permutation, so that ids say nothing about artists or genres.
	for i, id := range rng.Perm(len(songs)) {
		songs[i].ID = id
	}
	return songs, artists, albums, nil
}

func allAtLeast(xs []int, n int) bool {
	for _, x := range xs {
		if x < n {
			return false
		}
	}
	return true
}

// addReal appends real recordings: one artist per ARTIST tag, one album per ALBUM tag, the genre
// RealGenre with one sub-genre per album.
func addReal(seed uint64, tracks []realTrack, songs []*songRec, artists []artistRec, albums []albumRec) (
	[]*songRec, []artistRec, []albumRec) {
	rng := stream(seed, "real")
	artistIdx := map[string]int{}
	albumIdx := map[string]int{}
	subCode := map[string]string{}
	next := len(songs)
	for _, tr := range tracks {
		a, ok := artistIdx[tr.Artist]
		if !ok {
			a = len(artists)
			artistIdx[tr.Artist] = a
			artists = append(artists, artistRec{ID: a, Name: tr.Artist, Home: RealGenre.Code, TempoPref: 0.5,
				Pop: math.Exp(0.7 * rng.NormFloat64()), Real: true})
		}
		al, ok := albumIdx[tr.Album]
		if !ok {
			al = len(albums)
			albumIdx[tr.Album] = al
			date := "00000000"
			if _, err := strconv.Atoi(tr.Year); err == nil && len(tr.Year) == 4 {
				date = tr.Year + "0000"
			}
			albums = append(albums, albumRec{ID: al, Name: tr.Album, Artist: a, Date: date})
			subCode[tr.Album] = fmt.Sprintf("%s%02d", RealGenre.Code[:4], len(subCode)+1)
		}
		trCopy := tr
		songs = append(songs, &songRec{ID: next, Name: tr.Title, Artist: a, Album: al, Top: RealGenre.Code,
			Sub: subCode[tr.Album], Pop: artists[a].Pop * math.Exp(rng.NormFloat64()), Real: &trCopy})
		next++
	}
	return songs, artists, albums
}

// listenerSplit assigns every listener to "train", "val" or "test" so that about 10 % of the playlists are in
// val and 10 % in test: listeners in a seeded random order go to test, then val, until each has its share of
// playlists (a listener who would overshoot a share by more than a quarter goes to train); the rest are train.
func listenerSplit(rng *rand.Rand, pls []playlistRec, nListeners int) map[int]string {
	count := make([]int, nListeners)
	for _, p := range pls {
		count[p.Listener]++
	}
	out := make(map[int]string, nListeners)
	want := map[string]int{"test": len(pls) / 10, "val": len(pls) / 10}
	got := map[string]int{}
	for _, l := range rng.Perm(nListeners) {
		side := "train"
		for _, s := range []string{"test", "val"} {
			// A very active listener that would overshoot the share by more than a quarter stays in train.
			if got[s] < want[s] && got[s]+count[l] <= want[s]+want[s]/4+1 {
				side = s
				break
			}
		}
		out[l] = side
		got[side] += count[l]
	}
	return out
}
