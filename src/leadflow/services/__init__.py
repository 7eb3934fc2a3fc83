"""Use cases. Each runs inside one transaction given by the caller; none commits."""
