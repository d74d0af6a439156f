"""Share codes (口令): short MAC-protected tokens that survive copy and paste.

Where a host app still blocks links, a placement travels as a share code
wrapped in marker characters inside a human sentence, the way 淘口令 did::

    【互通】₴8FK2MQX7RP₴ 复制这段话打开

Format
    ``code = serial || mac``, 10 to 14 characters in all.

    * ``serial`` is the number the switch assigned to this code when it stored
      it with its placement and expiry. It is written in :data:`ALPHABET`, most
      significant character first, in the fewest characters that hold it but at
      least 4 and at most 8 (so up to 27**8 - 1, about 2.8e11 codes).
    * ``mac`` is 6 characters: keyed BLAKE2b (personalised ``hutong-share-v1``)
      over the serial characters, reduced modulo 27**6. Without the switch's key
      a guessed or altered code passes with odds of 1 in 27**6 = 387,420,489
      per attempt, so forgeries are refused before any database lookup.

    Only the canonical spelling of a serial carries its MAC (the switch never
    pads a serial beyond what it needs), so a code cannot be lengthened or
    re-padded without being refused either.

Alphabet
    27 characters: the digits 2-9 and the upper-case letters without the
    letters people confuse with them or with each other (no 0/O, 1/I/L, Z
    (2), S (5), B (8), V (U)). Codes are written in upper case and read case
    insensitively: people retype codes they see in a chat, and lower case ``l``,
    ``g`` or ``q`` never have to be told apart because they are either outside
    the alphabet or mean the same as their capitals. The price is under one
    bit per character compared to a case-sensitive alphabet, bought back by
    the length.

Finding codes in pasted text
    :func:`normalize` strips invisible characters (format characters such as
    zero-width spaces and joiners, BOM, bidi marks, variation selectors, Hangul
    fillers) and applies NFKC, which turns full-width letters and digits into
    ASCII. Currency symbols (Unicode category Sc) are the markers; they are
    kept as they are (a full-width one becomes its ordinary form: ￥ -> ¥).

    :func:`find_candidates` then looks for

    * *claimed* candidates: the text between two consecutive markers with its
      whitespace removed (line breaks inside a code are forgiven), if it is 8 to
      16 ASCII letters and digits; and a well-formed run that touches a marker
      on one side (the other marker was lost);
    * *bare* candidates: maximal runs of alphabet characters, 10 to 14 long,
      with no marker (both markers were lost in copying).

    :func:`parse` verifies candidates in the order they appear: the first valid
    one wins. If none is valid, the first claimed candidate's refusal is raised
    (``malformed`` or ``forged``) so the caller can record it; bare candidates
    that fail are ordinary words and are ignored. With no claimed candidate at
    all :func:`parse` returns ``None``.

Expiry
    The switch stores the expiry with the serial; :func:`check_expiry` refuses a
    code at or after that instant, and :func:`first_live` picks the first code
    of a :class:`Scan` that is known and not expired, given the expiries the
    caller looked up for :attr:`Scan.serials`.

Everything here is pure: no I/O, no clock (``now`` is passed in).
"""

from hutong.links.share_code.codes import (
    ALPHABET,
    CODE_LENGTHS,
    DEFAULT_SENTENCE,
    MAC_LENGTH,
    MAX_SERIAL,
    ParsedCode,
    Reason,
    ShareCodeError,
    check_expiry,
    make_code,
    verify_code,
    wrap,
)
from hutong.links.share_code.normalize import normalize
from hutong.links.share_code.scanning import Scan, find_candidates, first_live, parse, scan

__all__ = [
    "ALPHABET",
    "CODE_LENGTHS",
    "DEFAULT_SENTENCE",
    "MAC_LENGTH",
    "MAX_SERIAL",
    "ParsedCode",
    "Reason",
    "Scan",
    "ShareCodeError",
    "check_expiry",
    "find_candidates",
    "first_live",
    "make_code",
    "normalize",
    "parse",
    "scan",
    "verify_code",
    "wrap",
]
