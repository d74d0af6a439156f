"""Pages for people: link resolution pages (and, later, the dashboard)."""
