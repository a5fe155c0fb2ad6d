from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import load_settings


def test_defaults_are_embedded_and_offline(monkeypatch):
    monkeypatch.delenv("RESOLUTE_DATA_DIR")
    settings = load_settings()
    assert settings.data_dir == Path("data")
    assert settings.knowledge_dir == Path("knowledge")
    assert settings.llm == "none"
    assert settings.embeddings == "local"
    assert settings.chroma_host is None
    assert settings.sqlalchemy_url.startswith("sqlite:///") and settings.sqlalchemy_url.endswith(
        "data/resolute.db"
    )


def test_environment_and_dotenv_are_read(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("RESOLUTE_LLM=openai:gpt-4o-mini\nCHROMA_HOST=chroma.internal\n")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    settings = load_settings()
    assert settings.llm == "openai:gpt-4o-mini"
    assert settings.chroma_host == "chroma.internal"
    assert settings.openai_base_url == "http://127.0.0.1:9/v1"


@pytest.mark.parametrize(("name", "value"), [("RESOLUTE_LLM", "gpt4"), ("RESOLUTE_EMBEDDINGS", "openai:")])
def test_a_bad_model_string_names_the_setting(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name):
        load_settings()


def test_data_dir_moves_sqlite_and_chroma_together(tmp_path):
    settings = load_settings(data_dir=tmp_path / "elsewhere")
    assert settings.chroma_dir == tmp_path / "elsewhere" / "chroma"
    assert str(tmp_path / "elsewhere" / "resolute.db") in settings.sqlalchemy_url


def test_services_default_chunk_size_is_the_chunkers():
    from bot.knowledge.chunking import DEFAULT_MAX_TOKENS
    from bot.services import DEFAULT_CHUNK_TOKENS

    assert DEFAULT_CHUNK_TOKENS == DEFAULT_MAX_TOKENS


def test_blank_server_settings_mean_the_embedded_defaults(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("CHROMA_HOST=\nDATABASE_URL=  \n")
    settings = load_settings()
    assert settings.chroma_host is None
    assert settings.sqlalchemy_url == f"sqlite:///{(tmp_path / 'data' / 'resolute.db').resolve()}"


def test_a_chroma_server_and_postgresql_are_read(monkeypatch):
    monkeypatch.setenv("CHROMA_HOST", "chroma.district.internal")
    monkeypatch.setenv("CHROMA_PORT", "8001")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://resolute:pw@db.district.internal:5432/resolute")
    settings = load_settings()
    assert (settings.chroma_host, settings.chroma_port) == ("chroma.district.internal", 8001)
    assert settings.sqlalchemy_url == "postgresql+psycopg://resolute:pw@db.district.internal:5432/resolute"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql://resolute:hunter2@db/resolute", "DATABASE_URL is a mysql URL"),
        ("DATABASE_URL", "db.district.internal:hunter2", "DATABASE_URL is not a SQLAlchemy URL"),
        ("CHROMA_PORT", "70000", "CHROMA_PORT"),
        ("SLACK_BOT_TOKEN", "xoxp-hunter2", "SLACK_BOT_TOKEN must start with 'xoxb-'"),
    ],
)
def test_a_bad_server_setting_is_named_and_its_value_not_repeated(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message) as error:
        load_settings()
    assert "hunter2" not in str(error.value)  # passwords and tokens stay out of logs and terminals
