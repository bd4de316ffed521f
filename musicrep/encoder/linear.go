package encoder

import (
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Linear is a fully connected layer initialised like PyTorch's nn.Linear: weights and biases uniform in
// [−1/√in, 1/√in]. x is [..., in]; it returns [..., out]. The variables are "weights" [in, out] and "biases"
// [out] in scope.
func Linear(scope *model.Scope, x *Node, out int) *Node {
	in := x.Shape().Dimensions[x.Rank()-1]
	bound := 1 / math.Sqrt(float64(in))
	scope = scope.WithInitializer(initializer.RandomUniformFn(scope, -bound, bound))
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), in, out)).NodeValue(x.Graph())
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), out)).NodeValue(x.Graph())
	y := Dot(x, w).Product()
	return Add(y, ExpandLeftToRank(b, y.Rank()))
}
