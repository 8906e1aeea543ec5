"""Throughput, latency and memory of the classify step, beside two packaged profanity filters.

    python -m bench [--data FILE.csv] [--n 10000] [--runs 5]
"""
