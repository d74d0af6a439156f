"""The seed world: reference participants and the 2013-2025 scenario timeline."""
