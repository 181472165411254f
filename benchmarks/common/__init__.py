# sdgas-ultra, AGPL-3.0
"""What the benchmarks share, one job per module:

- results: the results CSVs (rows appended under a lock, a row marks a run done) and the bootstrap replicates.
- stats: the paired Student-t interval over seeds, the two-level paired bootstrap, their text forms.
- report: Markdown tables, the marked block of a doc that a report rewrites, the CPU's name.
- cli: option checks.
- timing: the interleaved timer of every latency benchmark.
- models: a model from its YAML name with a given number of classes.
- protocol and evaluation: the training protocol of accuracy and distill (options, run folders, resume) and the
  metrics and bootstrap replicates of a finished run.
"""
