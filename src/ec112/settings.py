"""Settings: environment ``EC112_…`` (nested with ``__``) over a TOML file over defaults.

Built once by the composition root (``daemon.py``) or the CLI and passed down; never a module global.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# Secrets shipped in the repository for the lab. A real centre must set its own.
SAMPLE_AMI_SECRET = "ec112-lab-secret"  # noqa: S105


class AmiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "ec112"
    secret: SecretStr = SecretStr(SAMPLE_AMI_SECRET)
    connect_timeout: float = 3.0
    login_timeout: float = 3.0
    action_timeout: float = 5.0
    ping_interval: float = 5.0
    pong_timeout: float = 3.0
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0


class AgiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 4573
    header_timeout: float = 2.0  # time for Asterisk to send the agi_* block
    command_timeout: float = 2.0  # per AGI command round trip
    intake_deadline: float = 3.0  # whole intake route; past it we return and the dialplan falls back
    max_header_bytes: int = 16384


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8112


class DatabaseSettings(BaseModel):
    # Relative SQLite paths are resolved under ``var_dir``.
    url: str = "sqlite+aiosqlite:///ec112.sqlite3"


class CallCenterSettings(BaseModel):
    queue: str = "112"
    default_region: str = "ID"  # phonenumbers region for numbers without a country code
    ticket_prefix: str = "112"
    member_interface: str = "PJSIP/{endpoint}"  # how a call-taker endpoint becomes a queue member
    # Why a call taker may step away; Indonesian first (shown to supervisors as given).
    pause_reasons: list[str] = Field(
        default_factory=lambda: ["istirahat", "sholat", "briefing", "administrasi", "toilet", "pelatihan"]
    )
    wrapup_seconds: int = 5  # must match queues.conf wrapuptime (the lab renders it from here)
    timezone: str = "Asia/Jakarta"  # WIB; WITA centres use Asia/Makassar, WIT Asia/Jayapura
    shift_hours: list[int] = Field(default_factory=lambda: [7, 15, 23])  # local hours a shift starts


class WatchdogSettings(BaseModel):
    """The supervisor that restarts a frozen or crashed worker (see README, "Fail open")."""

    enabled: bool = True
    heartbeat_interval: float = 0.5
    timeout: float = 3.0  # no heartbeat for this long: the worker is killed and restarted
    restart_delay: float = 0.2


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EC112_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )
    # Set by ``load_settings`` before construction; a ClassVar so it is not a field.
    toml_path: ClassVar[Path | None] = None

    lab_mode: bool = False
    log_level: str = "INFO"
    # UU 27/2022: caller numbers and locations are personal data; only logged when this is on.
    log_personal_data: bool = False
    var_dir: Path = Path("var")
    ami: AmiSettings = Field(default_factory=AmiSettings)
    agi: AgiSettings = Field(default_factory=AgiSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    callcenter: CallCenterSettings = Field(default_factory=CallCenterSettings)
    watchdog: WatchdogSettings = Field(default_factory=WatchdogSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.toml_path))
        return tuple(sources)

    @model_validator(mode="after")
    def _refuse_sample_secrets(self) -> Settings:
        if not self.lab_mode and self.ami.secret.get_secret_value() == SAMPLE_AMI_SECRET:
            raise ValueError(
                "the AMI secret is the sample one shipped with ec112; set EC112_AMI__SECRET "
                "(or [ami] secret in the config file), or run in lab mode (EC112_LAB_MODE=1)"
            )
        return self

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite file placed under ``var_dir``."""
        url = self.database.url
        prefix = "sqlite+aiosqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str((self.var_dir / url[len(prefix) :]).resolve())
        return url


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings once. ``config_file`` (or ``EC112_CONFIG``) names an optional TOML file."""
    import os

    path = config_file or (Path(os.environ["EC112_CONFIG"]) if os.environ.get("EC112_CONFIG") else None)
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    # A subclass per call keeps the TOML path out of any shared class state.
    bound: type[Settings] = type("BoundSettings", (Settings,), {"toml_path": path})
    return bound(**overrides)
