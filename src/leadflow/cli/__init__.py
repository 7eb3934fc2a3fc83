"""The `leadflow` command line (Typer): argument parsing and printing, no business logic."""
