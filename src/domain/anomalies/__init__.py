"""Anomaly detection over per-service 1-minute windows: features, baselines, scores, sentences."""
