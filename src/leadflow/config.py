"""Settings, read from the environment (prefix LEADFLOW_) when the application starts."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide settings; build one with `Settings()` at start-up, never at import."""

    model_config = SettingsConfigDict(env_prefix="LEADFLOW_", extra="ignore")

    database_url: str = "sqlite:///leadflow.db"
    secret_key: str = "change-me"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    # Seconds a webhook receiver has to answer (connect, send, each read) before the try fails.
    webhook_timeout: float = 10.0
