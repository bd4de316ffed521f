// Package cmir is contrastive-mir-learning (Ferraro et al. 2021) as a job over musicrep's one stack: a
// Melon-layout dataset prepared for it (Data: songs split by artist, CF vectors from BPR on the training
// playlists, genre vectors from word2vec over their genre co-occurrence; a training.Dataset), the variants trained
// by training.Train (model=cmir-<variant>: the audio CNN and tag/CF encoders of package encoder, the NT-Xent or
// prediction losses of package objective), and the paper's evaluation: song embeddings averaged over 256-frame
// chunks (Embedder), genre classification and sub-genre tagging by linear probes, cold-start playlist
// continuation, constant-predictor floors, bootstrap intervals and the task table (RunReport).
package cmir
