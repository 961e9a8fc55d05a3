"""``make bench``: r2k-dash's performance figures, each measured beside its floor in one run.

Run ``python -m bench`` (``--quick`` for a shorter run). Benchmarks print and never fail on
timing; every server they start listens on loopback only and is stopped by its pid.
"""
