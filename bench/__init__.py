"""Scripts that print figures (see BENCHMARKS.md); a package so they can share helpers."""
