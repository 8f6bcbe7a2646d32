"""Statistics: NumPy-identical PCG64 stream, pairwise sums, percentiles and the bootstrap."""
