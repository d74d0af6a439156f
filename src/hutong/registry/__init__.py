"""Participants of the network, their roles and their signing keys."""
