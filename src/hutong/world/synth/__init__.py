"""Synthetic worlds for the auditor: a seeded network built through the public API, with plants.

See `build` (the chapters and the manifest), `plants` (what each plant
makes its subject do) and `serve` (running it against a switch).
"""

from hutong.world.synth.build import build, plan
from hutong.world.synth.cast import SIZES
from hutong.world.synth.network import Network, Tally
from hutong.world.synth.plants import CHECKS, Plant, PlantError
from hutong.world.synth.serve import synthesize, synthesize_locally

__all__ = [
    "CHECKS",
    "SIZES",
    "Network",
    "Plant",
    "PlantError",
    "Tally",
    "build",
    "plan",
    "synthesize",
    "synthesize_locally",
]
