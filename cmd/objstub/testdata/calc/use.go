package calc

import "context"

// sumAsync uses the async companion, which the generated file declares:
// objstub type-checks the package without that file, and must still run.
func sumAsync(ctx context.Context, c Calculator) (int64, error) {
	var d CalculatorDivideResult
	_ = d.Rem
	return AsyncCalculator(c).Add(ctx, 1, 2).Await(ctx)
}
