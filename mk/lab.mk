# Notebooks: JupyterLab with the GoNB Go kernel, headless execution and the browser test (see scripts/README.md).
# Included from the Makefile. Everything is installed inside the repository (.cache/bin, .venv,
# tests/browser/node_modules), except Debian's chromium, which `browser-test` apt-get installs if missing.
#   make lab                               JupyterLab on notebooks/ (prints the URL; no browser opened)
#   make lab-setup                         install/refresh the tools (idempotent, ~0.2 s when up to date)
#                                          (browser-test also runs `scripts/setup-lab.sh --browser`)
#   make notebooks [NOTEBOOKS="a.ipynb b.ipynb"]   execute notebooks headless -> out/notebooks/{*.ipynb,*.html}
#   make browser-test [NOTEBOOK=x.ipynb] [SELECTOR=css]   run every notebook (or one) through the UI, checking each
#                                          cell's outputs against its metadata -> out/browser/ (screenshots per cell)
# Notebook settings: MUSICREP_NB_* environment variables (MUSICREP_NB_SMALL=1 is set automatically when CI is set).
NOTEBOOKS ?=
NOTEBOOK ?=
SELECTOR ?=

.PHONY: lab lab-setup notebooks browser-test

# The notebooks read the pretrained weights of `make models` (07: MiniLM; 09: musicnn and MiniLM), render audio
# with Debian's mma and fluidsynth (08) and scan Debian's wesnoth-1.16-music (09) (scripts/setup-audio.sh --real;
# apt-get, so `make lab` does not force it).
lab: models
	scripts/lab.sh

lab-setup:
	scripts/setup-lab.sh

notebooks: models
	scripts/setup-audio.sh --real
	scripts/run-notebooks.sh $(NOTEBOOKS)

browser-test:
	scripts/browser-test.sh "$(NOTEBOOK)" "$(SELECTOR)"
