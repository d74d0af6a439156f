"""Placements, universal links, share codes and the resolver."""
