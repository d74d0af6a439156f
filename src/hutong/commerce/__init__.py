"""Offers (a merchant's catalog) and storefronts (入驻: a merchant selling inside a host)."""
