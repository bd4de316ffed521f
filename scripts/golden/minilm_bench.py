#!/usr/bin/env python3
"""CPU time of sentence-transformers on the texts of musicrep/textenc's BenchmarkEncode, for comparison.

Encodes the template texts (binding_music's scripts/embed_lyrics.py template) of the first 32 tracks with lyrics of
tracks_contextualized.json, in file order, as BenchmarkEncode does, with SentenceTransformer(<model dir>) on the
CPU. Run from the repository root (environment: scripts/golden/requirements-minilm.txt, see scripts/golden/README.md):

    .venv-golden/bin/python scripts/golden/minilm_bench.py --threads 2 --reps 5

and compare with

    GOEXPERIMENT=simd go test ./musicrep/textenc -run XXX -bench Encode -benchtime 5x

It prints one JSON line: seconds per call (the 32 texts) as the median over --reps calls after one warm-up call.
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import minilm  # noqa: E402  (template_text, has_lyrics, find_model_dir)

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data/fairouz")
    ap.add_argument("--model", default=None)
    ap.add_argument("--n", type=int, default=32, help="number of texts")
    ap.add_argument("--batch-size", type=int, default=32, help="sentence-transformers batch size (its default: 32)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.data, "tracks_contextualized.json"), encoding="utf-8") as f:
        tracks = json.load(f)
    texts = [minilm.template_text(t["lyrics"]) for t in tracks.values() if minilm.has_lyrics(t)][: args.n]
    model = SentenceTransformer(args.model or minilm.find_model_dir(), device="cpu")
    model.eval()

    def run():
        with torch.inference_mode():
            model.encode(texts, batch_size=args.batch_size, normalize_embeddings=False, show_progress_bar=False)

    run()
    times = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({"texts": len(texts), "batch_size": args.batch_size, "threads": args.threads,
                      "seconds_per_call_median": round(med, 4), "texts_per_s": round(len(texts) / med, 2),
                      "all_s": [round(t, 4) for t in times], "torch": torch.__version__}))


if __name__ == "__main__":
    main()
