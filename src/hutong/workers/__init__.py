"""Background loops of the switch: the deadline sweeps over payments, transfers and orders."""
