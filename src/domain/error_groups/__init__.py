"""Error groups: fingerprinting errors and exceptions into groups per tenant and service."""
