// Package corpus loads and validates the files of a musicrep dataset on the host: track metadata,
// per-modality feature vectors, training pairs, and splits. It contains no graph (model) code.
//
// # Formats
//
// The formats are those of the binding_music seed (the Fairouz dataset, see
// ../shared/data/fairouz/README.md):
//
//   - Tracks (tracks_contextualized.json): a JSON object keyed by track id. Each value is an object with
//     track_title and artist_name (required strings) and optionally album_name, deezer_id, discogs_id, image,
//     preview_url (strings), genres (list of strings) and lyrics, an object {lyrics, summary, context,
//     emotional} in which context and emotional are lists of strings, or the empty string "" for tracks
//     without lyrics. The order of the keys in the file is the canonical "tracks order": row i of every
//     feature matrix and every pair index refers to the i-th key. [LoadTracks] keeps that order, which a
//     plain map decode would lose, and rejects duplicate keys, which a plain decode would silently collapse.
//
//   - Vectors (every modality file and every joint-embedding export): a JSON list of
//     {"id": string, "embedding": [numbers]}, read by [ReadVectorsJSON] and written by [WriteVectorsJSON].
//     The same content can be stored as a NumPy .npy matrix of shape [n, dim] (little-endian float32,
//     C order; float64 is accepted on read) with a sidecar "<name>.ids.json" holding the JSON list of the
//     n ids (see [IDsSidecar], [WriteVectorsNPY], [ReadVectors]). Files are joined to tracks by id, never
//     by position: the seed's audio file is sorted by id while the other files follow tracks order.
//
//   - Pairs (positives_negatives*.json): a JSON object keyed by anchor track id whose values are
//     {"positives": [ids], "negatives": [ids]}. [LoadPairs] flattens it in the order the seed feeds its
//     model: for each anchor in file order, all its positives (label 1) then all its negatives (label 0),
//     duplicates kept.
//
// # Missing modalities
//
// A track absent from a feature file has Present=false and a zero row. A row that is exactly all-zero is
// also treated as missing: the seed wrote zero vectors for the 49 tracks without lyrics, and such a row
// carries no information (it would only act as a shared, meaningless input).
//
// # Errors
//
// Bad data is returned as an error, never a panic or an exit. Errors found in a file are *[DataError]
// values: they name the file, the record (track id, list index, anchor id) and, where known, the line,
// column and byte offset, and say what to change. Nothing is silently dropped or zero-filled.
//
// All writes are atomic: data goes to a temporary file in the destination directory, which is synced
// and then renamed over the destination, so a reader never sees a half-written file.
package corpus
