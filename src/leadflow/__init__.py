"""leadflow: lead management and lead scoring."""

__version__ = "0.1.0"
