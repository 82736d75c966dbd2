"""Field diagnostics, the pure part: review states, evidence file checks, gaps and visit priority."""
