"""Alerting: rules with a condition over a window, their state, silences, channels and messages."""
