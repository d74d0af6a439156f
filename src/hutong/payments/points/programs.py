"""Membership programs and their members: who may act, member ids, exchange ids and windows."""

from __future__ import annotations

import hashlib
import math
import re

from hutong.config import Settings
from hutong.protocol.errors import (
    ForbiddenError,
    ValidationError,
)
from hutong.registry.models import Role
from hutong.registry.service import require_participant
from hutong.runtime.services import Services

#: Member ids become part of ledger account ids (``p/<program>/member/<member>``).
MAX_MEMBER = 64
_MEMBER = re.compile(r"^[A-Za-z0-9._:@/-]{1,64}$")
#: Widths of the text columns; the largest value an INTEGER column holds.
MAX_TEXT = 255
MAX_INT32 = 2**31 - 1
#: Seconds an exchange may stay held beyond twice the longest call to program B.
HELD_SLACK_SECONDS = 30


def check_member(member: object, name: str = "member") -> str:
    if not isinstance(member, str) or not _MEMBER.match(member):
        raise ValidationError(
            f"{name} is 1 to {MAX_MEMBER} letters, digits or . _ : @ / -", code="invalid_member"
        )
    return member


def held_window(settings: Settings) -> int:
    """Seconds an exchange may stay held before `expire_due` cancels it."""
    longest_call = settings.wallet_call_timeout * max(settings.wallet_call_attempts, 1)
    return math.ceil(2 * longest_call) + HELD_SLACK_SECONDS


def exchange_id_for(sender: str, message_id: str) -> str:
    """The exchange a request makes: the same for every retry of one message id."""
    digest = hashlib.blake2b(
        f"{sender}\n{message_id}".encode(), digest_size=16, person=b"hutong-points-x"
    )
    return f"px_{digest.hexdigest()}"


async def require_program(services: Services, subscriber_id: str) -> None:
    async with services.db.read() as conn:
        participant = await require_participant(conn, subscriber_id)
    if not participant.has_role(Role.PROGRAM):
        raise ForbiddenError("this call is for a membership program", code="wrong_role")
