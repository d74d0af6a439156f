"""Plants: one discrimination per check, made by one named subject.

`CHECK:SUBJECT` names a check of the auditor (issue 15) and the participant
whose behaviour is made to discriminate. Which kind of participant each
check's subject must be:

=========================  ==================================================
check                      subject
=========================  ==================================================
link_blocking              a platform (host) blocking rival-group links
link_friction              a platform adding copy-to-browser for rivals
storefront_refusal         a platform with a sibling approving rivals' storefronts less
wallet_exclusion           a platform with an own-group wallet refusing rival ones
carrier_exclusion          a platform with an own-group carrier refusing rival ones
fee_discrimination         a platform taking 4x on the channel rivals use
ranking_self_preference    a platform ranking own-group items higher
exclusivity_retaliation    a platform worsening terms of multi-homing merchants
interop_parity             the busy marketplace, its stock desk serving rival hosts worse
declared_vs_observed       a carrier refusing bookings it declares it serves
=========================  ==================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from hutong.world.synth.cast import Cast

CHECKS = (
    "link_blocking",
    "link_friction",
    "storefront_refusal",
    "wallet_exclusion",
    "carrier_exclusion",
    "fee_discrimination",
    "ranking_self_preference",
    "exclusivity_retaliation",
    "interop_parity",
    "declared_vs_observed",
)
CARRIER_CHECKS = ("declared_vs_observed",)


class PlantError(ValueError):
    """A plant that does not name a check and a fitting subject of the world."""


@dataclass(frozen=True, slots=True)
class Plant:
    check: str
    subject: str

    def against(self, world: Cast) -> list[str]:
        """The rival groups the subject discriminates against (all, for a carrier's lie)."""
        if self.check in CARRIER_CHECKS:
            return sorted({world.group(p) for p in world.platforms})
        own = world.group(self.subject)
        return sorted(
            {
                world.group(p)
                for p in world.platforms
                if world.relation(self.subject, p) == "rival" and world.group(p) != own
            }
        )


def parse_plant(text: str, world: Cast) -> Plant:
    check, _, subject = text.partition(":")
    if check not in CHECKS:
        raise PlantError(f"unknown check {check!r}; one of {', '.join(CHECKS)}")
    pool = world.carriers if check in CARRIER_CHECKS else world.platforms
    if subject not in pool:
        kind = "carrier" if check in CARRIER_CHECKS else "platform"
        raise PlantError(f"{check} needs a {kind} of the world as subject: {', '.join(pool)}")
    # Parity is judged on the desk called often enough: the busy marketplace's.
    if check == "interop_parity" and subject != world.busy:
        raise PlantError(f"{check} needs the world's busy marketplace as subject: {world.busy}")
    # Approving its own group's merchants more needs some to approve: a sibling platform.
    if check == "storefront_refusal" and not [
        p for p in world.platforms if p != subject and world.relation(subject, p) == "own"
    ]:
        raise PlantError(f"{check} needs a platform whose group has another: not {subject}")
    # Preferring its own wallet or carrier needs one: a platform of a group without
    # one refusing rivals is no self-preference (the auditor says inconclusive).
    own = {"wallet_exclusion": world.own_wallet, "carrier_exclusion": world.own_carrier}
    if check in own and not own[check].get(subject):
        raise PlantError(f"{check} needs a platform whose group has its own: not {subject}")
    return Plant(check, subject)


def planted(plants: list[Plant], check: str, subject: str) -> bool:
    return any(p.check == check and p.subject == subject for p in plants)
