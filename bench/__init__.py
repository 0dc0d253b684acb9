"""Benchmarks: what keel's architecture costs against hand-written code.

Scripts, not tests. `python -m bench` prints one table (`--help` lists the knobs). Every figure
is a median over rounds, and every ratio is taken within the run, round by round: the machine
is shared, so absolute figures drift between runs while ratios of neighbouring samples hold.
"""
