"""The dashboard's reads (issue 16): what each page shows, from the switch's own tables.

`service` has one call per page; `cells` the matrix's vocabulary and the
openness index; `session` the operator's signed session cookie. Rendering
is `hutong.web.pages`; the routes are `hutong.api.routes.dashboard`.
"""

from hutong.web.dashboard import service, session
from hutong.web.dashboard.cells import LinkCell, Status, openness_index

__all__ = ["LinkCell", "Status", "openness_index", "service", "session"]
