"""Discovery across platforms (issue 18 §3): the offers a host may show, searched.

`rules` says which offers a host may show (its approved storefronts, its own
merchants, and the links its declared policy lets through) and what a search
asks; `service` reads a page of them. The answer depends only on declared,
auditable policy; each result says why it is there.
"""

from hutong.commerce.discovery.rules import MAX_LIMIT, Candidate, Search, Shown, shown

__all__ = ["MAX_LIMIT", "Candidate", "Search", "Shown", "shown"]
