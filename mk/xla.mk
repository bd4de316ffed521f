# XLA/PJRT backend (musicrep/backends). Included from the Makefile.
#   make xla-setup   the XLA CPU PJRT plugin (PyPI wheel xla-cpu-pjrt, hash-pinned) into .pjrt/, gcc for cgo, and
#                    tcmalloc (Debian libtcmalloc-minimal4), the C allocator XLA builds restart themselves with
#   make build-xla   bin/musicrep-xla: the CLI with the XLA backend compiled in (go build -tags xla, cgo);
#                    run it with -backend xla:cpu (or xla:cuda after `scripts/setup-xla.sh cuda`)
#   make unit-xla    the XLA tests: xla:cpu against the pure-Go backend (part of `make test`)
.PHONY: xla-setup build-xla unit-xla

XLA_BIN := bin/musicrep-xla

xla-setup:
	scripts/setup-xla.sh cpu

build-xla:
	CGO_ENABLED=1 $(GO) build -tags xla -o $(XLA_BIN) ./cmd/musicrep

unit-xla: xla-setup
	CGO_ENABLED=1 $(GO) vet -tags xla ./musicrep/backends ./musicrep/training ./musicrep/cmir ./cmd/musicrep
	CGO_ENABLED=1 $(GO) test -count=1 -tags xla -timeout 20m -run 'XLA' ./musicrep/backends ./musicrep/training ./musicrep/cmir ./cmd/musicrep

## notebooks-xla: notebooks 02 (training) and 09 (musicnn on a scanned library) executed with the GoNB kernel
## registered on xla:cpu (MUSICREP_LAB_BACKEND, as the CUDA image registers it on xla:cuda): the cells build with
## -tags=xla and must report the XLA backend. The next set-up without MUSICREP_LAB_BACKEND (make lab, make
## notebooks) registers the kernel on the Go backend again.
XLA_NOTEBOOKS := 02-train 09-your-library
.PHONY: notebooks-xla
notebooks-xla: xla-setup models audio-setup
	MUSICREP_LAB_BACKEND=xla:cpu MUSICREP_NB_OUT=out/notebooks-xla scripts/run-notebooks.sh \
		$(addsuffix .ipynb,$(XLA_NOTEBOOKS))
	@for nb in $(XLA_NOTEBOOKS); do grep -q 'backend: xla' out/notebooks-xla/$$nb.ipynb || \
		{ echo "notebooks-xla: $$nb did not run on the XLA backend"; exit 1; }; done
	@echo "notebooks-xla: $(XLA_NOTEBOOKS) ran on xla:cpu"
