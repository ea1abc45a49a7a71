"""Balance Desk's tests, laid out as the package is (tests/sources/revolut_x/ for
balance_desk/sources/revolut_x/, …)."""

from pathlib import Path

# The checkout: where scripts, packaging and the benchmarks are.
REPO = Path(__file__).resolve().parent.parent
