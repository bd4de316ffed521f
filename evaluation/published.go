package evaluation

// PublishedEvaluate is the table printed by binding_music's notebooks/evaluate.ipynb (SEEDS_SPEC A5.2): the
// published best model (contraction 2, expansion 4, 51k pairs, 200 epochs, exported as
// embeddings_contraction_2_expansion4_51k_datapoints_200_epoch.json) under PaperProtocol with the default
// options and positives_negatives_more_negatives.json as relevance. Keys as in Report.Metrics.
var PublishedEvaluate = map[string]float64{
	"precision@10": 0.3281022, "precision@15": 0.29878345, "precision@20": 0.27670315, "precision@25": 0.2596107,
	"recall@10": 0.31484777, "recall@15": 0.42805424, "recall@20": 0.5288602, "recall@25": 0.62133265,
	"hit_rate@10": 0.9306569, "hit_rate@15": 0.96836984, "hit_rate@20": 0.9829684, "hit_rate@25": 0.99026763,
	"average_precision@10": 0.41307124, "average_precision@15": 0.4041722, "average_precision@20": 0.3920268,
	"average_precision@25": 0.38168234,
	"reciprocal_rank@10":   0.361479, "reciprocal_rank@15": 0.36450228, "reciprocal_rank@20": 0.3652504,
	"reciprocal_rank@25": 0.3655893,
	"ndcg@10":            0.32183042, "ndcg@15": 0.35890967, "ndcg@20": 0.40776482, "ndcg@25": 0.4517281,
}
