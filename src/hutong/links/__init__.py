"""Placements, universal links, share codes and the resolver.

`links.policy` is how hosts treat links (dated rules), `links.share_code` the
MAC-protected codes that travel where links cannot, `links.resolution` the
pure plan for one resolution and `links.service` the `Resolver` that runs it.
`links.host_policy` holds placements and orders to their host's own policy.
"""

from hutong.links.host_policy import BlockedByHostPolicy
from hutong.links.policy import Decision, LinkRule, PolicyError, PolicyHistory, Surface, Treatment
from hutong.links.resolution import Answer
from hutong.links.service import Resolver
from hutong.links.share_code import ShareCodeError

__all__ = [
    "Answer",
    "BlockedByHostPolicy",
    "Decision",
    "LinkRule",
    "PolicyError",
    "PolicyHistory",
    "Resolver",
    "ShareCodeError",
    "Surface",
    "Treatment",
]
