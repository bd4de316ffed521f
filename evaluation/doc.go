// Package evaluation scores embedding spaces by retrieval and classification. It takes plain Go values
// (row-major []float32 matrices, ids, genre lists, positive-pair maps) and never imports model code.
//
// # Building blocks
//
//   - Searches are exact k-nearest-neighbour searches in squared Euclidean distance with index.Flat (float64
//     distances, index.SquaredL2; ties broken by the smaller base row), so numbers do not depend on float32
//     rounding.
//   - RankMetrics / RankMetricsAt / RankMetricsWith: precision, recall, hit_rate, average_precision,
//     reciprocal_rank and normalized_dcg of one ranked candidate list at a cut-off k, with the semantics of
//     torchmetrics 1.3.2's functional retrieval metrics (recall over the relevant items among the candidates,
//     AP normalised by the relevant items within the top k, nDCG averaging over tied scores). By default ties
//     are ordered by list position; TiesTorchCPU reproduces the order in which torch's CPU topk/argsort return
//     tied values (libstdc++ nth_element/sort), which the published numbers depend on.
//   - Normalize (unit-L2 rows) and Concat (column-wise join of per-modality blocks) for baselines.
//
// # Protocols
//
// PaperProtocol is binding_music's evaluate.ipynb protocol (SEEDS_SPEC A5.1). It is TRANSDUCTIVE and
// IN-SAMPLE: every track is both a query and a database item, the query itself stays in the index (rank 1,
// never relevant), and relevance is membership in the query's "positives" list, which for the published
// numbers is positives_negatives_more_negatives.json: the same pairs the published model was trained on,
// themselves nearest neighbours in the single-modality input spaces. It reproduces the published table of
// reference/published_joint_c2e4_51k.json to float32 precision, but it is not evidence of generalisation:
// raw VGGish audio vectors score precision@10 ~ 0.90 under it, far above the published model (0.328). Report
// it for comparison only.
//
// The held-out primitives are meant for an honest evaluation on a test split that no model saw:
//
//   - GenreRetrieval: each test track with >= 1 genre queries all OTHER tracks of the split (itself
//     excluded); relevance = sharing at least one genre; the whole split is the candidate list, so recall is
//     true recall. Keys precision@K, recall@K, hit_rate@K, average_precision@K, reciprocal_rank@K, ndcg@K and
//     map@K (= mean of the torchmetrics AP@K, identical to average_precision@K).
//   - KNNGenreAccuracy: genre classification of test tracks by majority vote of their k nearest training
//     tracks; LeaveOneOutKNNAccuracy: the same within one set, each track excluded from its own vote.
//
// # Clustering and maps
//
// KMeans (k-means++ seeding, restarts), NMI, ARI, Silhouette, PCA, TSNE (exact t-SNE) and Trustworthiness
// follow scikit-learn's definitions and are checked against its output (testdata/golden_clustering.json,
// made by scripts/golden/make_clustering_golden.py); see analysis.go for the details and tolerances.
//
// All distances are squared L2 on the vectors as given: normalise first (Normalize) when the space is meant
// to be compared by cosine similarity.
package evaluation
