#!/usr/bin/env bash
# joint-variants.sh — the joint model's variants, chosen on validation and scored on test once.
#
# Every variant trains on the training tracks of the split by artist (seed 1) minus a validation split of
# the training artists (15 %), for up to EPOCHS epochs; its epoch is chosen on the validation split
# (genre precision@10), then every variant is scored on the validation split, the best one is chosen there,
# and only that one is scored on the test split. Writes $OUT/variants.md (the table) and the raw JSON.
#
#   bash scripts/joint-variants.sh            # EPOCHS=60, about 20 min on 2 cores
#   EPOCHS=2 OUT=/tmp/jv bash scripts/joint-variants.sh   # a quick check
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/musicrep}
EPOCHS=${EPOCHS:-60}
OUT=${OUT:-out/joint-variants}
PREFIX=${PREFIX:-jv}
mkdir -p "$OUT"
[ -x "$BIN" ] || make build
# The raw-lyrics text features (MiniLM on the lyrics themselves, not the LLM template).
[ -e features/text-minilm-lyrics.npy ] || "$BIN" features -method minilm-lyrics

# name | hyperparameters | extra flags
variants=(
	"defaults||"
	"mean-fusion|joint_fusion=mean|"
	"fusion-weight-0.2|joint_fusion_weight=0.2|"
	"neighbour-only|joint_pairs=none;joint_neighbour_weight=1|"
	"self-terms-x3|joint_self_weight=3|"
	"ntxent-t0.1|joint_loss=ntxent;joint_temperature=0.1|"
	"lyrics-text||-features text=features/text-minilm-lyrics.npy"
)
for v in "${variants[@]}"; do
	IFS='|' read -r name set extra <<<"$v"
	run="$PREFIX-$name"
	echo "== $run: ${set:-defaults} $extra"
	# shellcheck disable=SC2086
	"$BIN" train -name "$run" -heldout -set "model=joint;num_epochs=$EPOCHS${set:+;$set}" $extra >"$OUT/$name.train.log" 2>&1
	"$BIN" eval -protocol heldout -on validation -resamples 1000 -embeddings "embeddings/$run.json" -json >"$OUT/$name.val.json"
done
python3 - "$OUT" "$PREFIX" "${variants[@]}" <<'PY'
import json, sys, subprocess
out, prefix, variants = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = []
for v in variants:
    name = v.split("|")[0]
    val = json.load(open(f"{out}/{name}.val.json"))
    rows.append((name, val))
def fmt(d, k):
    m, ci = d["metrics"][k], d["ci95"][k]
    return f"{m:.3f} ({ci[0]:.3f}–{ci[1]:.3f})"
best = max(rows, key=lambda r: r[1]["metrics"]["precision@10"])
chosen = best[0]
test = json.loads(subprocess.check_output(["bin/musicrep", "eval", "-protocol", "heldout", "-resamples", "2000",
    "-embeddings", f"embeddings/{prefix}-{chosen}.json", "-json"]))
json.dump(test, open(f"{out}/chosen.test.json", "w"), indent=2)
keys = ["precision@10", "other_artist_precision@10", "average_precision@10", "knn_genre_accuracy@10"]
lines = ["| variant (validation split) | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
for name, val in rows:
    mark = " **(chosen)**" if name == chosen else ""
    lines.append(f"| {name}{mark} | " + " | ".join(fmt(val, k) for k in keys) + " |")
audio = next(b for b in rows[0][1]["baselines"] if b["name"] == "raw audio")
lines.append("| raw audio (validation) | " + " | ".join(
    f"{audio['metrics'][k]:.3f} ({audio['ci95'][k][0]:.3f}–{audio['ci95'][k][1]:.3f})" for k in keys) + " |")
lines += ["", f"Chosen on validation: **{chosen}**. Test split, scored once:", "",
          "| embeddings | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys),
          f"| {chosen} | " + " | ".join(fmt(test, k) for k in keys) + " |"]
for b in test["baselines"]:
    if b["kind"] in ("baseline", "chance") and "ci95" in b and all(k in b["metrics"] for k in keys[:3]):
        lines.append(f"| {b['name']} | " + " | ".join(
            f"{b['metrics'][k]:.3f} ({b['ci95'][k][0]:.3f}–{b['ci95'][k][1]:.3f})" if k in b["metrics"] else "–"
            for k in keys) + " |")
lines += ["", "Paired differences on test (bootstrap over test artists):", "",
          "| B | metric | chosen − B | 95 % interval | verdict |", "|---|---|---|---|---|"]
for c in test["comparisons"]:
    verdict = "not significant" if not c["significant"] else ("chosen better" if c["diff"] > 0 else "B better")
    lines.append(f"| {c['b']} | {c['metric']} | {c['diff']:+.3f} | [{c['ci95'][0]:+.3f}, {c['ci95'][1]:+.3f}] | {verdict} |")
open(f"{out}/variants.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
