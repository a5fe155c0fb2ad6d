"""Settings: one typed object, read once from the environment and `.env`."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Everything Resolute can be configured with: each field in `.env.example` and docs/configuration.md."""

    # errors never repeat a value: tokens and database URLs carry secrets
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    data_dir: Path = Field(
        Path("data"),
        validation_alias=_env("RESOLUTE_DATA_DIR"),
        description="Where the SQLite database and the embedded Chroma index live.",
    )
    knowledge_dir: Path = Field(
        Path("knowledge"),
        validation_alias=_env("RESOLUTE_KNOWLEDGE_DIR"),
        description="Documents and local data ingested by default.",
    )
    district_file: Path | None = Field(
        None,
        validation_alias=_env("RESOLUTE_DISTRICT_FILE"),
        description="The district file; default <knowledge dir>/district/district.toml.",
    )
    llm: str = Field(
        "none",
        validation_alias=_env("RESOLUTE_LLM"),
        description="'none' for extractive answers, or a LangChain 'provider:model' string.",
    )
    llm_timeout: float = Field(
        60.0,
        validation_alias=_env("RESOLUTE_LLM_TIMEOUT"),
        description="Seconds to wait for the model before falling back to an extractive answer.",
    )
    embeddings: str = Field(
        "local",
        validation_alias=_env("RESOLUTE_EMBEDDINGS"),
        description="'local' (all-MiniLM-L6-v2 shipped as a package) or 'openai:...' / 'ollama:...'.",
    )
    reranker: str = Field(
        "signals",
        validation_alias=_env("RESOLUTE_RERANKER"),
        description="How answers rank sentences: 'signals' (the default scorer) or 'cross-encoder' (a model "
        "trained with bench/train_reranker.py).",
    )
    reranker_model: Path | None = Field(
        None,
        validation_alias=_env("RESOLUTE_RERANKER_MODEL"),
        description="The cross-encoder's ONNX file; default <data dir>/models/cross-encoder-minilm.onnx.",
    )
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    chroma_host: str | None = Field(
        None,
        validation_alias=_env("CHROMA_HOST"),
        description="Host of a Chroma server (`chroma run`); unset: the embedded store under the data dir.",
    )
    chroma_port: int = Field(
        8000, validation_alias=_env("CHROMA_PORT"), ge=1, le=65535, description="Port of the Chroma server."
    )
    database_url: str | None = Field(
        None,
        validation_alias=_env("DATABASE_URL"),
        description="SQLAlchemy URL (SQLite or PostgreSQL); defaults to SQLite under the data dir.",
    )

    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_BOT_TOKEN"), description="Bot token (xoxb-...)."
    )
    slack_app_token: SecretStr | None = Field(
        None,
        validation_alias=_env("SLACK_APP_TOKEN"),
        description="App-level token for Socket Mode (xapp-...).",
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=_env("SLACK_SIGNING_SECRET"),
        description="Verifies every request in HTTP mode.",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        validation_alias=_env("SLACK_API_URL"),
        description="Base URL of the Slack Web API (a proxy, or the local fake Slack in tests and the console).",
    )

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _token_kind(cls, value: SecretStr | None, info) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        prefix, env = (
            ("xoxb-", "SLACK_BOT_TOKEN")
            if info.field_name == "slack_bot_token"
            else ("xapp-", "SLACK_APP_TOKEN")
        )
        if not value.get_secret_value().startswith(prefix):
            raise ValueError(f"{env} must start with '{prefix}' (see README, 'Connect to Slack')")
        return value

    @field_validator("slack_signing_secret")
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    @field_validator("chroma_host", "database_url")
    @classmethod
    def _blank_text_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:  # the value is not repeated: it may hold a password
            raise ValueError(
                "DATABASE_URL is not a SQLAlchemy URL; for PostgreSQL use "
                "postgresql+psycopg://user:password@host:5432/database"
            ) from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(
                f"DATABASE_URL is a {backend} URL; Resolute runs on SQLite (the default) or PostgreSQL "
                "(postgresql+psycopg://user:password@host:5432/database)"
            )
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"SLACK_API_URL={value!r} is not an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("llm", "embeddings")
    @classmethod
    def _provider_model(cls, value: str, info) -> str:
        value = value.strip()
        default = "none" if info.field_name == "llm" else "local"
        if value.lower() in ("", default):
            return default
        provider, sep, model = value.partition(":")
        if not sep or not provider or not model:
            env = "RESOLUTE_LLM" if info.field_name == "llm" else "RESOLUTE_EMBEDDINGS"
            raise ValueError(
                f"{env}={value!r} is not '{default}' or a 'provider:model' string "
                f"such as 'openai:gpt-4o-mini' or 'ollama:llama3.1'"
            )
        return value

    @field_validator("reranker")
    @classmethod
    def _reranker(cls, value: str) -> str:
        value = value.strip().lower() or "signals"
        if value not in ("signals", "cross-encoder"):
            raise ValueError(f"RESOLUTE_RERANKER={value!r} is not 'signals' or 'cross-encoder'")
        return value

    @field_validator("llm_timeout")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("RESOLUTE_LLM_TIMEOUT must be a positive number of seconds")
        return value

    @cached_property
    def chroma_dir(self) -> Path:
        """Folder of the embedded Chroma store."""
        return self.data_dir / "chroma"

    @cached_property
    def models_dir(self) -> Path:
        """Where the embedding model exported for onnxruntime is kept (made once, at the first ingest)."""
        return self.data_dir / "models"

    @cached_property
    def reranker_file(self) -> Path:
        """The trained cross-encoder (RESOLUTE_RERANKER=cross-encoder), by default in the models folder."""
        return self.reranker_model or self.models_dir / "cross-encoder-minilm.onnx"

    @cached_property
    def cards_dir(self) -> Path:
        """Where the data cards written from the district's results live (and are indexed from)."""
        return self.data_dir / "cards"

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The database URL, SQLite under the data dir unless DATABASE_URL is set."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'resolute.db').resolve()}"


def load_settings(**overrides) -> Settings:
    """Read settings once; keyword overrides win over the environment (used by tests and the CLI)."""
    return Settings(**overrides)
