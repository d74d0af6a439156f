"""Hutong (互通): an open interconnection switch for commerce platforms."""

__version__ = "0.1.0"
