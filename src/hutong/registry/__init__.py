"""Participants of the network, their roles and their signing keys.

`registry.models` holds the pure records and their checks, `registry.service`
the stored registry (add, look up, change status), `registry.key_loader` the
cached key lookups of signature checks, `registry.switch_key` the switch's own key.
"""

from hutong.registry.models import Participant, Role, SigningKey, Status

__all__ = ["Participant", "Role", "SigningKey", "Status"]
