"""Storage: tables, the database handle, repositories and migrations."""
