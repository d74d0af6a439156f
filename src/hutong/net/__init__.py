"""The switch's outgoing traffic: signed decision calls and event delivery.

`calls.call` asks a participant something and trusts only a signed answer;
`transport.CallTransport` is the keep-alive HTTP client under it; `delivery`
drains the outbox to participants' callback URLs. Domain services reach the
network only through this package.
"""

from hutong.net.calls import CallFailed, CallRefused, call
from hutong.net.transport import CallTransport, Reply, TransportError, TransportTimeout

__all__ = [
    "CallFailed",
    "CallRefused",
    "CallTransport",
    "Reply",
    "TransportError",
    "TransportTimeout",
    "call",
]
