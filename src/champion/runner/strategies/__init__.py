"""The strategies: full grid, fail-fast grid, and racing."""
