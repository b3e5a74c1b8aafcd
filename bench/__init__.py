"""Benchmarks: each module `bench/<name>.py` measures our way and the naive way in one run."""
