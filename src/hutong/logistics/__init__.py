"""Shipments, tracking normalization and pickup points."""
