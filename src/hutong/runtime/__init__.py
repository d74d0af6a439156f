"""What every domain service is handed: settings, the database, the clock, the switch's key.

`Services` is the one container of the running switch's shared parts (group
commit, key loader, ledger, link resolver); it is built once per process by
the API's start-up or by the CLI, and passed down. Nothing in it knows HTTP.
"""

from hutong.runtime.services import Services, utc_now

__all__ = ["Services", "utc_now"]
