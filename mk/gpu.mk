# The GPU check (scripts/gpu-check.sh). Included from the Makefile.
#   make gpu-check      stage here (Go needed) everything a lent GPU machine needs into out/gpu-trip (one
#                       git-ignored folder, refused above 64 MiB with the tracked tree) and print the one command
#                       to fire there: `bash scripts/gpu-check.sh run` (xla:cuda through JAX's jax-cuda13-pjrt)
#   make gpu-check-dry  the same stage, then the run on this machine with xla:cpu standing in for xla:cuda and
#                       tiny sizes (part of `make test`, so the check cannot rot); report in out/gpu-check-dry/
.PHONY: gpu-check gpu-check-dry

GPU_DRY_OUT := out/gpu-check-dry

gpu-check:
	scripts/gpu-check.sh stage

gpu-check-dry: xla-setup
	scripts/gpu-check.sh stage
	rm -rf $(GPU_DRY_OUT)
	GPU_CHECK_DRY=1 OUT=$(GPU_DRY_OUT) scripts/gpu-check.sh run
	@cat $(GPU_DRY_OUT)/gpu-report.md
	@python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["steps"]; \
	bad = [n for n, v in s.items() if v["status"]["state"] not in ("ok", "skipped")]; \
	miss = [n for n in ("parity_backends", "parity_binding", "parity_cmir", "binding_xla_b32", "cnn_xla_tiny_b4", "reproduce") if s.get(n, {}).get("status", {}).get("state") != "ok"]; \
	sys.exit("gpu-check-dry: failed or missing steps: %s" % sorted(set(bad + miss)) if bad or miss else 0)' \
		$(GPU_DRY_OUT)/gpu-results.json
	@echo "gpu-check-dry: every step ran on the xla:cpu stand-in ($(GPU_DRY_OUT)/gpu-report.md)"
