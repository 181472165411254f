# sdgas-ultra, AGPL-3.0
"""What the benchmarks share: results (the results CSVs), stats (paired intervals, bootstrap), report (Markdown
tables and doc blocks, the machine), timing (the interleaved timer), models (building a model from its YAML) and
protocol (the training protocol of accuracy and distill: options, run folders, resume) with evaluation (a run's
metrics and bootstrap replicates)."""
