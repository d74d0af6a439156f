"""Placements, universal links, share codes and the resolver.

`links.policy` is how hosts treat links (dated rules), `links.share_code` the
MAC-protected codes that travel where links cannot, `links.resolution` the
pure plan for one resolution and `links.service` the `Resolver` that runs it.
"""

from hutong.links.policy import Decision, LinkRule, PolicyError, PolicyHistory, Surface, Treatment
from hutong.links.resolution import Answer
from hutong.links.service import Resolver
from hutong.links.share_code import ShareCodeError

__all__ = [
    "Answer",
    "Decision",
    "LinkRule",
    "PolicyError",
    "PolicyHistory",
    "Resolver",
    "ShareCodeError",
    "Surface",
    "Treatment",
]
