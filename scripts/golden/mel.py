#!/usr/bin/env python3
"""Golden values for musicrep/audio: contrastive-mir's log-mel front-end (SEEDS_SPEC.md B1.5) computed with librosa.

For every audio fixture it computes, exactly as the reference pipeline but with librosa instead of Essentia:

    y, _ = librosa.load(path, sr=16000)                     # soundfile decode, mean mono mixdown, soxr_hq resampling
    L = round(29.1 * 16000); s = (len(y) - L) // 2          # contrastive-mir's cut_audio: the centred 29.1 s
    S = librosa.feature.melspectrogram(y=y[s:s+L], sr=16000, n_fft=512, hop_length=256, win_length=512,
                                       window='hann', center=True, pad_mode='constant', n_mels=48, fmin=0,
                                       fmax=8000, htk=False, norm='slaney', power=2.0)
    mel_db = 2 * (10 * log10(max(S, 1e-10)))                # 2 x Essentia lin2db (floors at -100 dB) -> floor -200

and writes, under --out (musicrep/audio/testdata/golden_mel/):

    <fixture>.mel.npy       float32 (48, K): mel_db at the frames listed in golden_mel.json (every 3rd frame
                            plus the first and last 8, to keep the repository small)
    <fixture>.y16k.npy      float32: 16000 samples of the resampled 16 kHz signal starting at y16k_offset
    melfb.npy               float32 (48, 257): librosa.filters.mel(sr=16000, n_fft=512, n_mels=48, fmin=0, fmax=8000,
                            htk=False, norm='slaney')
    golden_mel.json         the index: versions, per-fixture rate/length/segment/frames and whole-spectrogram stats.

Usage (from the repository root):
    .venv-mel/bin/python scripts/golden/mel.py --fixtures musicrep/audio/testdata \
        --out musicrep/audio/testdata/golden_mel
"""
import argparse
import json
import os
import re

import librosa
import numpy as np
import soundfile
import soxr

SR = 16000
SEGMENT = 29.1
N_FFT, HOP, N_MELS, FMIN, FMAX = 512, 256, 48, 0.0, 8000.0
FIXTURES = [
    "northerners_35s.ogg",
    "track1_35s.opus",
    "loyalists_31s_22k_mono.flac",
    "knolls_35s.mp3",
]


def mel_db(y):
    S = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, win_length=N_FFT, window="hann", center=True,
        pad_mode="constant", n_mels=N_MELS, fmin=FMIN, fmax=FMAX, htk=False, norm="slaney", power=2.0)
    return (2.0 * 10.0 * np.log10(np.maximum(S, 1e-10))).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    fb = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX, htk=False, norm="slaney")
    np.save(os.path.join(args.out, "melfb.npy"), fb.astype(np.float32))

    index = {
        "librosa": librosa.__version__, "numpy": np.__version__, "soundfile": soundfile.__version__,
        "libsndfile": soundfile.__libsndfile_version__, "soxr": soxr.__version__,
        "formula": "2*10*log10(max(S,1e-10)), S = librosa power mel (slaney scale and norm), periodic hann, "
                   "center=True, pad_mode=constant; y = librosa.load(sr=16000) (soxr_hq), centred 29.1 s",
        "fixtures": [],
    }
    for name in FIXTURES:
        path = os.path.join(args.fixtures, name)
        info = soundfile.info(path)
        y, _ = librosa.load(path, sr=SR)  # res_type='soxr_hq', mono=True
        L = int(round(SEGMENT * SR))
        start = (len(y) - L) // 2
        seg = y[start:start + L]
        D = mel_db(seg)
        T = D.shape[1]
        frames = sorted(set(range(0, T, 3)) | set(range(8)) | set(range(T - 8, T)))
        base = os.path.splitext(name)[0]
        np.save(os.path.join(args.out, base + ".mel.npy"), np.ascontiguousarray(D[:, frames]))
        y_off = len(y) // 2
        np.save(os.path.join(args.out, base + ".y16k.npy"), y[y_off:y_off + SR].astype(np.float32))
        index["fixtures"].append({
            "file": name, "mel": base + ".mel.npy", "y16k": base + ".y16k.npy", "y16k_offset": y_off,
            "source_rate": info.samplerate, "source_channels": info.channels, "source_frames": info.frames,
            "n16k": len(y), "segment_start": start, "segment_length": L, "frames_total": T, "frames": frames,
            "mean_db": float(D.mean()), "std_db": float(D.std()), "max_db": float(D.max()),
            "band_mean_db": [float(v) for v in D.mean(axis=1)],
        })
        print(f"{name}: {info.samplerate} Hz x{info.channels}, {len(y)} samples at 16 kHz, mel {D.shape}, "
              f"mean {D.mean():.3f} dB")
    text = json.dumps(index, indent=1)
    # Number lists on one line each, to keep the index readable.
    text = re.sub(r"\[\s*([-0-9.e,\s]+?)\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    with open(os.path.join(args.out, "golden_mel.json"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
