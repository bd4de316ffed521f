// Package melongen generates datasets in the Melon Playlist Dataset layout (read by musicrep/melon) from real
// instrument sounds: songs are accompaniment styles of mma (Musical MIDI Accompaniment) played on generated
// chord charts, rendered to 16 kHz mono audio by fluidsynth with the FluidR3 General MIDI soundfont;
// optionally real recordings are added (Options.Real = "wesnoth": the Battle for Wesnoth soundtrack); the
// playlists are SIMULATED from latent listener tastes (no playlist or listening data is available here) and
// say so in the dataset's README.md. The large size (100,000 songs, for time and memory scale tests) is not
// rendered: its spectrograms are derived from a rendered dataset (see Derived spectrograms).
//
//	sum, err := melongen.Generate(ctx, melongen.Options{Out: "out/melon-tiny", Size: "tiny", Seed: 1,
//		Mel: melFunc, Progress: os.Stderr})
//
// The external tools come from Debian: scripts/setup-audio.sh installs mma, fluidsynth and
// fluid-soundfont-gm (and wesnoth-1.16-music with --real). FindTools says what is missing.
//
// # Genres
//
// A top-level genre (GNxx00) groups mma style families; each family, one groove library file whose grooves
// share a base name (BossaNova, BossaNovaSus, BossaNova1Sus, …), is one sub-genre (GNxxyy). A song uses one
// of the family's first four song grooves (intros, endings and fills are left out), and only grooves that
// render with the installed mma (Generate probes them first). Library files are in stdlib/ unless named
// (casio/, zoom/):
//
//	GN0100 Latin: 01 BossaNova, 02 Salsa, 03 Samba, 04 Rhumba, 05 Mambo, 06 ChaCha, 07 Merengue, 08 Son,
//	       09 Afro-Cuban, 10 CubanGuitar, 11 Bolero, 12 SlowBolero, 13 Beguine, 14 Tango, 15 LightTango,
//	       16 LatinWaltz, 17 JazzRhumba, 18 LFusion
//	GN0200 Jazz: 01 Swing, 02 Bebop, 03 JazzWaltz, 04 FastSwing, 05 EasySwing, 06 FastJazzWaltz,
//	       07 ModernJazz, 08 ModernJazzWaltz, 09 JazzCombo, 10 JazzGuitar, 11 MellowJazz, 12 NiteJazz,
//	       13 SlowJazz, 14 BigBand, 15 Dixie, 16 GypsyJazz, 17 Evansish, 18 DescendingJazz, 19 FolkyJazz,
//	       20 Jazz54, 21 JazzRock, 22 68Swing, 23 Ragtime, 24 Charleston
//	GN0300 Rock: 01 BasicRock, 02 50sRock, 03 60sRock, 04 8Beat, 05 SoftRock, 06 FolkRock, 07 BubbleRock,
//	       08 Rock128, 09 RockWaltz, 10 Twist, 11 Jive, 12 HeavyMetal (casio)
//	GN0400 Country/Folk: 01 BlueGrass, 02 Folk, 03 CountrySwing, 04 CountryWaltz, 05 SlowCountry,
//	       06 WesternSwing, 07 FolkBallad, 08 BlueFolk, 09 HillCountry, 10 Zydeco
//	GN0500 Reggae/Ska/Caribbean: 01 Reggae (zoom's drum-only REGG grooves plus a bass line and an off-beat
//	       organ skank added by the generator), 02 Ska, 03 Calypso
//	GN0600 Traditional/Ballroom: 01 Polka, 02 Waltz, 03 VieneseWaltz, 04 FrenchWaltz, 05 FastWaltz,
//	       06 March, 07 68March, 08 BWMarch, 09 DixieMarch, 10 Foxtrot, 11 QuickStep, 12 SoftShoe,
//	       13 Broadway, 14 BroadwayWaltz, 15 SlowBroadway, 16 ShowTune
//	GN0700 Blues: 01 Blues, 02 BoggieWoggie, 03 SlowBlues, 04 FastBlues, 05 Blues128, 06 Blues68,
//	       07 ShuffleBoggie, 08 CountryBlues
//	GN0800 Pop/Ballad: 01 PopBallad, 02 PianoBallad, 03 Ballad, 04 Ballad128, 05 Ballad68, 06 GuitarBallad,
//	       07 StringBallad, 08 RockBallad, 09 Lullaby, 10 Arpeggio (arpeggio44), 11 Pop (casio)
//	GN0900 Soul/R&B/Gospel: 01 R&B, 02 Spiritual, 03 R&B-Ballad, 04 DSoul, 05 BVFunk, 06 Strut,
//	       07 PopSpiritual, 08 SlowSpiritual, 09 Hymn, 10 Funk (casio funk1), 11 Soul (casio),
//	       12 DiscoSoul (casio)
//	GN1000 Electronic/Dance: 01 Trance, 02 Techno (casio), 03 House (casio), 04 Rave (casio), 05 BoneyM
//	GN1100 Game/Soundtrack: real recordings (Options.Real), one sub-genre per album
//
// The table (familyTable in genres.go) also gives each family a tempo range and a harmonic idiom (pop,
// rock, jazz, bossa, latin, folk, traditional, 12-bar blues, soul, reggae, electronic chord templates).
// genre_gn_all.json lists the codes of the families that rendered.
//
// # Sizes
//
// tiny (CI): 30 songs of 3 genres (Latin, Jazz, Rock; their first two families), 6 artists, 40 playlists of
// 10–12 songs from 10 listeners; about 15–30 s on two cores. medium (benchmarks): 2,000 songs of all 10
// synthetic genres (119 families; by chance a family or two get no song), ~250 artists, 3,000 playlists of
// 10–50 songs from 600 listeners. large (scale tests): 100,000 songs, 12,500 artists, 150,000 playlists (the
// real Melon dataset has 148,826) of 10–50 songs from 30,000 listeners, spectrograms derived from a rendered
// dataset (Options.DeriveFrom, required).
//
// Options.Songs (-songs) overrides any size's song count; playlists, listeners and a fixed artist count scale
// in proportion (Size.WithSongs). Beyond 20,000 songs, and for large, playlists come from the scalable
// sampler (see Playlists).
//
// # Songs
//
// Each synthetic artist has a home genre, 1–3 favourite families in it, a tempo preference, three favourite
// keys and a usual groove variation; 5–15 songs (where the size allows), in albums of 3–8 with a release
// date. A song: family (10% crossover to another genre) → groove → tempo in the family's range placed by the
// artist's preference ± noise → key → an AABA-like form of 4-bar chord phrases (12-bar forms for the blues)
// long enough for ≥ 32 s → `mma` (with its random humanisation seeded) → `fluidsynth -ni -F out.wav -r 16000
// -g 0.5 FluidR3_GM.sf2 song.mid` → mixed to mono. Songs last ≥ MinSeconds (31 s; the mel front-end takes
// the centred 29.1 s). mma and fluidsynth are deterministic, so the same seed gives the same audio bytes.
//
// # Playlists (simulated)
//
// See simulateListeners and simulatePlaylists (playlists.go): listeners with Dirichlet-like genre mixtures
// concentrated on 1–3 genres, sparse artist preferences, a tempo preference; playlists sampled from one
// listener's taste with popularity skew, titled and tagged with genre, tempo and context words; split
// 80/10/10 into train/val/test.json. musicrep_gen.json keeps the latent variables for evaluation.
//
// simulatePlaylists costs O(songs) per playlist and simulateListeners O(artists) memory per listener, fine for
// medium but ~10^10 steps and 3 GB for large. Sizes with Size.Scalable use simulatePlaylistsScalable instead:
// the same model with another random stream (hashed artist weights, per-listener tables, one song at a time
// with rejection), O(playlist length) per playlist; planning the large size takes ~30 s of CPU. tiny and medium
// keep the exact sampler, so their datasets are unchanged.
//
// # Mel-spectrograms
//
// Options.Mel (a MelFunc) computes arena_mel/<id/1000>/<id>.npy (48 × frames, float32) from each WAV; without
// it the dataset has no arena_mel and its README says so.
//
// # Derived spectrograms
//
// Rendering 100,000 songs would take ~10 hours on two cores. With Options.DeriveFrom (-derive-from DIR, a
// rendered tiny or medium output with arena_mel) nothing is rendered: the catalogue is the base dataset's
// families and grooves, the songs are planned as usual, and each song's spectrogram is one rendered base song
// of its family (of its groove where the base has one) transformed in the mel domain (Transformations, in
// order): segments of 1–4 bars reordered, time-stretched by the tempo ratio, the bands shifted by the key
// difference on the Slaney mel scale, a second song of the family mixed in 12–24 dB below in the power domain,
// a gain offset and a spectral tilt. Songs keep their family's timbre and rhythm (on the medium base, a derived
// song's mean band profile correlates 0.95 with its family's rendered songs against 0.88 with other families'),
// and songs derived from the same base song are near-duplicates, which the dataset's README.md and
// musicrep_gen.json ("derivation", per song "derived") say: quality numbers on a derived dataset are
// optimistic; it is for time and memory scale tests.
//
// Family policy: a family without a base song cannot be derived (a stand-in would put another family's sound
// under its label), so it is left out of the plan and the README names it; a base that lacks a whole top-level
// genre of the size, or more than 5% of its families, is refused with the families named and -size medium
// suggested (a tiny base serves -size tiny -songs N only). The medium of seed 1 lacks Jazz54.
//
// Files are float16 .npy (as the real Melon arena_mel; musicrep/melon and musicrep/cmir read them), written
// to a temporary name and renamed; the derivation streams (the base spectrograms, 0.7 GB for medium, and one
// spectrogram per worker in memory) over Options.Workers. A rerun with the same seed, size and base keeps the
// complete files (.melongen-derive.json holds the fingerprint); any other run starts over. Disk: 128 + 96 ×
// frames bytes per song, 176 kB in 4 KiB blocks at the base's 1,819 frames: 17.6 GB for 100,000 songs;
// Options.Frames (-frames) stores shorter spectrograms: 1,024 frames 10.2 GB, 512 frames 5.3 GB.
package melongen
