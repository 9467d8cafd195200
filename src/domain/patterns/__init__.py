"""Log templates: masking, an online Drain-style miner, stable pattern ids."""
