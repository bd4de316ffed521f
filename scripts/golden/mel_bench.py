#!/usr/bin/env python3
"""Times librosa's version of musicrep/audio's BenchmarkMelFile: load (soundfile decode, mono mixdown, soxr_hq
resampling to 16 kHz), the centred 29.1 s segment, the 48-band log-mel spectrogram (the formula of mel.py).

Usage (from the repository root):
    .venv-mel/bin/python scripts/golden/mel_bench.py --file musicrep/audio/testdata/northerners_35s.ogg --reps 15
"""
import argparse
import os
import statistics
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", default="musicrep/audio/testdata/northerners_35s.ogg")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (numpy's FFT is single-threaded)")
    args = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import librosa
    import numpy as np

    def run():
        y, _ = librosa.load(args.file, sr=16000)
        L = int(round(29.1 * 16000))
        s = (len(y) - L) // 2
        S = librosa.feature.melspectrogram(
            y=y[s:s + L], sr=16000, n_fft=512, hop_length=256, win_length=512, window="hann", center=True,
            pad_mode="constant", n_mels=48, fmin=0.0, fmax=8000.0, htk=False, norm="slaney", power=2.0)
        return (20.0 * np.log10(np.maximum(S, 1e-10))).astype(np.float32)

    run()  # warm-up: imports, numba compilation, caches
    times, cpu = [], []
    for _ in range(args.reps):
        t0, c0 = time.perf_counter(), time.process_time()
        out = run()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    # CPU time (all threads of the process, as BenchmarkMelFile's cpu-ms/op) is less disturbed than the wall time
    # by other processes on a shared machine.
    print(f"librosa {librosa.__version__}: {args.file}: mel {out.shape}, median {statistics.median(times)*1e3:.1f} ms "
          f"(min {min(times)*1e3:.1f}, max {max(times)*1e3:.1f}) over {args.reps} runs; "
          f"CPU median {statistics.median(cpu)*1e3:.1f} ms (min {min(cpu)*1e3:.1f})")


if __name__ == "__main__":
    main()
