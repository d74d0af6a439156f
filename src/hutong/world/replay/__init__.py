"""The 2011-2025 replay: the dated facts walked through a switch on a simulated clock."""

from hutong.world.replay.facts import FACTS, Fact
from hutong.world.replay.run import FIRST_DAY, LAST_DAY, ReplayResult, replay

__all__ = ["FACTS", "FIRST_DAY", "LAST_DAY", "Fact", "ReplayResult", "replay"]
