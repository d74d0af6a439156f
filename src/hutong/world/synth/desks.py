"""The synthetic world's stock desk: the reference desk, able to refuse one call when told.

The generator takes orders one at a time, so it tells the merchant
platform's desk how to answer the next call (`refuse_next`) just before it
sends the order: a signed refusal (``no_stock``), journaled by the switch as
the desk's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hutong.protocol.errors import nack
from hutong.world.stock import StockDesk
from hutong.world.wallets import Answer


@dataclass(slots=True)
class SynthStockDesk(StockDesk):
    refuse_next: bool = False

    def answer(self, action: str, message_id: str, message: dict[str, Any]) -> Answer:
        if self.refuse_next and message_id not in self.answers:
            self.answers[message_id] = (409, nack("no_stock", "out of stock for this order"))
        return StockDesk.answer(self, action, message_id, message)
