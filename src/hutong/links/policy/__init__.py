"""Link policies: how a host platform treats links to another platform, as dated history.

Pure code, no I/O. The registry stores the rules; the resolver and the auditor
ask `decide` what a host did (or does) with a link on a given day.

Vocabulary
----------
host
    The platform whose app the buyer is in (wechat, douyin, kuaishou...).
source
    The platform the link leads to: where the offer is sold and paid for.
    A merchant's storefront *inside* the host (JD Beauty's Douyin shop, a
    closed loop in Douyin since 2021) is sold and paid in the host, so its
    links have ``source == host``: they are the host's own links, not
    external links, whatever the host says about links to the merchant's
    home platform.
surface
    The place in the host app where the link is shown or pasted: a live
    room's cart, a short video's cart, a product page, a one-to-one chat, a
    group chat, the timeline (Moments / feed), a mini-program, search.

Surface and channel are one dimension. Every "channel" the campaign talks
about (one-to-one chat, group chat, timeline, live room) is a place in the
host app exactly like a cart or a product page, and hosts declared their
policies per place (WeChat opened group chats on a different day from
one-to-one chats; Douyin cut live-room carts and kept short-video carts). A
second dimension would create pairs nobody declares (group chat x live cart)
and rules would have to say "all" twice. A live room's links live in its
cart (`Surface.LIVE_CART`), a short video's in `Surface.VIDEO_CART`.

Treatments
----------
open
    The source's H5 page opens inside the host app, with its order and pay flow.
deep_link
    The host hands the buyer over to the source's own app.
mini_program
    The source's mini-program opens inside the host.
share_code_only
    The link is not clickable; the buyer can only copy a share code (淘口令)
    and paste it in the source's app.
blocked
    Neither the link nor a code gets through. A blocked page names the rule
    (`Decision.explain`: "blocked by kuaishou since 2022-03-01 ...").

Extra steps are the friction a host adds before a non-blocked treatment (a
warning page, "copy the link and open it in a browser", a confirmation to
leave the app, a deliberately slow load). A blocked rule has none.

Scope
-----
A rule covers either all links to its source, only the source's
self-operated stores (自营), or named merchants (`SourceScope`).

Validity
--------
A rule is in force on the days ``valid_from <= day < valid_until``:
valid_from inclusive, valid_until exclusive, no valid_until = open-ended.
Days are calendar dates as the host declared them; there is no time of day.

History and precedence
----------------------
A host's `PolicyHistory` is append-only. `PolicyHistory.declare` stores a
new version (numbered 1, 2, ... per host) and never edits or removes an
earlier one; `PolicyHistory.as_of` rebuilds what the history said after any
version. A rule only speaks for the days of its own window, so declaring a
version never changes a decision for a day before its valid_from.

Among the rules in force on the day that match the source, the surface and
the merchant, the winner is the greatest by, in order:

1. scope: named merchants > self-operated stores > all links;
2. surface: a rule naming surfaces > a rule for every surface;
3. version: later > earlier.

So a later broad rule does not undo an earlier narrower exception: to end an
exception, declare a new rule with the same narrow scope (or give the
exception a valid_until when it is declared).

No rule
-------
When no rule matches, the decision is `Treatment.OPEN` with ``rule=None``
and ``basis=Basis.UNDECLARED`` (``declared`` is False). Hutong's universal
links are open unless a host says otherwise: reading silence as a block
would invent a block nobody declared, and an "unknown" treatment would push
a third state onto every caller, who must still do something with the link.
The flag keeps the difference visible: the auditor can list what a host
never declared and compare it with what resolutions actually observed.

A host's own links (``source == host``) are always open (``Basis.OWN_LINK``)
and no rule may be declared for them.
"""

from hutong.links.policy.errors import PolicyError
from hutong.links.policy.history import Basis, Decision, PolicyHistory, decide
from hutong.links.policy.rules import (
    ALL_LINKS,
    ExtraStep,
    LinkRule,
    ScopeKind,
    SourceScope,
    Surface,
    Treatment,
)

__all__ = [
    "ALL_LINKS",
    "Basis",
    "Decision",
    "ExtraStep",
    "LinkRule",
    "PolicyError",
    "PolicyHistory",
    "ScopeKind",
    "SourceScope",
    "Surface",
    "Treatment",
    "decide",
]
