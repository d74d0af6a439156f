"""Beckn 1.1 signatures, envelopes and error codes: pure code, no I/O."""
