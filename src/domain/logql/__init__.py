"""The subset of LogQL that Grafana's Loki data source sends, parsed onto logplane's query AST."""
