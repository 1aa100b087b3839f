"""Maximum independent set (placeholder module, filled in by the MIS family)."""
