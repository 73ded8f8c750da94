"""Settings: environment ``EC112_…`` (nested with ``__``) over a TOML file over defaults.

Built once by the composition root (``daemon.py``) or the CLI and passed down; never a module global.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ec112.config.caller_settings import (
    CallbackSettings,
    IncidentSettings,
    JunkCallSettings,
    LocationSettings,
    PromptSettings,
    SilentCallSettings,
    TextSettings,
)
from ec112.config.ops_settings import (
    AuditSettings,
    BackupSettings,
    LogSettings,
    OperationsSettings,
    WatchdogSettings,
)
from ec112.config.room_settings import RecordingSettings, ReportSettings, SpySettings
from ec112.config.settings_file import discover_settings_file
from ec112.config.site_settings import SiteSettings, SoftphoneSettings
from ec112.domain.kpi_ratings import KpiThresholds, higher_pct, lower_pct, lower_seconds
from ec112.routing.queue_plan import DEFAULT_PLAN, QueuePlan

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
    busy_intakes: int = Field(20, ge=1)  # this many intakes at once (worker behind): the next get busy_deadline
    busy_deadline: float = Field(0.5, gt=0)
    max_header_bytes: int = 16384


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8112
    session_idle_minutes: int = 240  # no request for this long: log in again
    session_lifetime_hours: float = 12.0  # after this, whatever happens: a shift and its overtime
    secure_cookies: bool | None = None  # None: Secure when the request came over https (or X-Forwarded-Proto)
    login_failures_per_user: int = 5  # within login_window_seconds, then refused (429) until the window passes
    login_failures_per_address: int = 20
    login_window_seconds: int = 300
    # The console's map: a tile URL template (e.g. a local tile server "http://tiles.lan/{z}/{x}/{y}.png") and its
    # attribution. Empty: no tiles are fetched; the map shows the caller's point, its uncertainty circle and a scale.
    map_tile_url: str = ""
    map_attribution: str = ""
    # HTTPS served by ec112 itself (PEM files; both or neither): the AML intake must be HTTPS for handsets.
    # Empty: plain HTTP (behind a TLS proxy, or on the loopback).
    tls_certificate: Path | None = None
    tls_key: Path | None = None

    @field_validator("tls_certificate", "tls_key", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _tls_pair(self) -> WebSettings:
        if (self.tls_certificate is None) != (self.tls_key is None):
            raise ValueError("web.tls_certificate and web.tls_key go together: set both or neither")
        return self


class DatabaseSettings(BaseModel):
    # Relative SQLite paths are resolved under ``var_dir``.
    url: str = "sqlite+aiosqlite:///ec112.sqlite3"
    # SQLite: how long a write waits for a lock held by another connection or process before it fails.
    # Below agi.intake_deadline, so that a locked database fails the intake's insert in time for the
    # dialplan to queue the call anyway (the ticket is written later by the AMI tracker or the backfill).
    busy_timeout: float = Field(1.5, gt=0)


class RecordsSettings(BaseModel):
    """Asterisk's own call records, read back to ticket the calls ec112 missed (see README, "Backfill").

    Paths as ec112 sees them (the lab passes its own). A missing file is a warning, not an error.
    """

    cdr_csv: Path | None = Path("/var/log/asterisk/cdr-custom/ec112-cdr.csv")  # asterisk-conf/cdr_custom.conf
    queue_log: Path | None = Path("/var/log/asterisk/queue_log")  # asterisk-conf/logger.conf
    interval: float = Field(10.0, gt=0)  # seconds between two reads (and the first one at start-up)
    max_age_hours: float = Field(168.0, gt=0)  # older calls are not backfilled (a first start on old files)
    chunk_bytes: int = Field(1 << 20, ge=4096)  # one read of one file at most

    @field_validator("cdr_csv", "queue_log", mode="before")
    @classmethod
    def _empty_is_off(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value  # "" turns a file off


class CallCenterSettings(BaseModel):
    queue: str = DEFAULT_PLAN.queue  # the queue plan (ec112.routing.queue_plan): queue, member_interface, wrap-up
    default_region: str = "ID"  # phonenumbers region for numbers without a country code
    ticket_prefix: str = "112"
    member_interface: str = DEFAULT_PLAN.member_interface  # how a call-taker endpoint becomes a queue member
    # Why a call taker may step away; Indonesian first (shown to supervisors as given).
    pause_reasons: list[str] = Field(
        default_factory=lambda: ["istirahat", "sholat", "briefing", "administrasi", "toilet", "pelatihan"]
    )
    wrapup_seconds: int = DEFAULT_PLAN.wrapup_seconds  # must match queues.conf wrapuptime (the lab renders it)
    # The queues.conf the running Asterisk loaded, as ec112 sees it: `ec112 doctor` compares its wrapuptime with
    # wrapup_seconds (no AMI action reports a queue's wrapuptime). Unreadable, or "" (off): not checked.
    queues_conf: Path | None = Path("/etc/asterisk/queues.conf")
    timezone: str = "Asia/Makassar"  # WITA (Penajam Paser Utara); WIB centres use Asia/Jakarta, WIT Asia/Jayapura
    shift_hours: list[int] = Field(default_factory=lambda: [7, 15, 23])  # local hours a shift starts
    # Emergency categories, the agencies with authority for each, their posts and responders (TOML; see
    # ec112.config.agencies_file and `ec112 agencies check`). None: the built-in default (ec112/data/agencies.toml).
    agencies_file: Path | None = None
    ack_timeout_seconds: int = Field(default=60, ge=1)  # an agency's time to acknowledge a dispatch, unless its own

    @field_validator("queues_conf", mode="before")
    @classmethod
    def _empty_is_off(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    def queue_plan(self) -> QueuePlan:
        return QueuePlan(self.queue, self.member_interface, self.wrapup_seconds)


class WallboardSettings(BaseModel):
    """KPI colours on the supervisor's wallboard: green while at least as good as ``*_green_*``, amber while
    at least as good as ``*_amber_*``, else red. Which way is better is fixed per KPI (ec112.domain.kpi_ratings)."""

    answered_within_10s_green_pct: float = 90.0  # higher is better
    answered_within_10s_amber_pct: float = 75.0
    abandon_rate_green_pct: float = 5.0  # lower is better
    abandon_rate_amber_pct: float = 10.0
    avg_answer_green_seconds: float = 6.0  # lower is better
    avg_answer_amber_seconds: float = 10.0
    longest_wait_green_seconds: float = 10.0  # lower is better
    longest_wait_amber_seconds: float = 20.0

    @model_validator(mode="after")
    def _coherent(self) -> WallboardSettings:
        self.thresholds()  # ValueError (e.g. amber better than green) fails the settings at start
        return self

    def thresholds(self) -> KpiThresholds:
        return KpiThresholds(
            higher_pct(self.answered_within_10s_green_pct, self.answered_within_10s_amber_pct),
            lower_pct(self.abandon_rate_green_pct, self.abandon_rate_amber_pct),
            lower_seconds(self.avg_answer_green_seconds, self.avg_answer_amber_seconds),
            lower_seconds(self.longest_wait_green_seconds, self.longest_wait_amber_seconds),
        )


class WebhookSettings(BaseModel):
    """Signed notifications to agencies' webhooks (``webhook_url`` in the agencies file; see README, "Webhooks")."""

    # agency code → HMAC secret (>= 16 characters); a webhook_url without one is refused at start.
    # Env: EC112_WEBHOOKS__SECRETS__DAMKAR=… (a "-" in a code is "_" there).
    secrets: dict[str, SecretStr] = Field(default_factory=dict)
    timeout: float = Field(5.0, gt=0)  # seconds per attempt
    max_attempts: int = Field(8, ge=1)  # then the delivery is "failed"
    backoff_min: float = Field(1.0, gt=0)  # wait after the 1st failed attempt; doubles each time (±20 % jitter)
    backoff_max: float = Field(300.0, gt=0)

    @model_validator(mode="after")
    def _coherent(self) -> WebhookSettings:
        if self.backoff_min > self.backoff_max:
            raise ValueError("webhooks: backoff_min must not exceed backoff_max")
        self.secrets = {code.lower(): secret for code, secret in self.secrets.items()}
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EC112_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )
    # Set by ``load_settings`` before construction; a ClassVar so it is not a field.
    toml_path: ClassVar[Path | None] = None

    lab_mode: bool = False
    log_level: str = "INFO"
    # UU 27/2022: caller numbers and locations are personal data: never logged at INFO or above unless this is
    # on (DEBUG, a troubleshooting level, also shows the raw AGI environment).
    log_personal_data: bool = False
    # The worker's loop (uvloop when installed; "asyncio": the standard one) and niceness (Asterisk runs at 0).
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"
    nice: int = Field(5, ge=0, le=19)
    log: LogSettings = Field(default_factory=LogSettings)
    var_dir: Path = Path("var")
    ami: AmiSettings = Field(default_factory=AmiSettings)
    agi: AgiSettings = Field(default_factory=AgiSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    callcenter: CallCenterSettings = Field(default_factory=CallCenterSettings)
    watchdog: WatchdogSettings = Field(default_factory=WatchdogSettings)
    wallboard: WallboardSettings = Field(default_factory=WallboardSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    records: RecordsSettings = Field(default_factory=RecordsSettings)
    location: LocationSettings = Field(default_factory=LocationSettings)
    prompts: PromptSettings = Field(default_factory=PromptSettings)
    silent: SilentCallSettings = Field(default_factory=SilentCallSettings)
    callbacks: CallbackSettings = Field(default_factory=CallbackSettings)
    junk: JunkCallSettings = Field(default_factory=JunkCallSettings)
    incidents: IncidentSettings = Field(default_factory=IncidentSettings)
    text: TextSettings = Field(default_factory=TextSettings)
    recording: RecordingSettings = Field(default_factory=RecordingSettings)
    spy: SpySettings = Field(default_factory=SpySettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    operations: OperationsSettings = Field(default_factory=OperationsSettings)
    softphones: SoftphoneSettings = Field(default_factory=SoftphoneSettings)
    site: SiteSettings = Field(default_factory=SiteSettings)

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
    def _db_waits_fit_the_intake(self) -> Settings:
        if self.database.busy_timeout >= self.agi.intake_deadline:
            raise ValueError("database.busy_timeout must be below agi.intake_deadline: a locked database must "
                             "fail the intake in time for the dialplan to queue the call")
        return self

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
    """Build the settings once from ``config_file``, else the file ``discover_settings_file`` finds (EC112_CONFIG,
    ./var/ec112.toml written by the lab, /etc/ec112/ec112.toml), else defaults and the environment alone."""
    path = config_file or discover_settings_file()
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    # A subclass per call keeps the TOML path out of any shared class state.
    bound: type[Settings] = type("BoundSettings", (Settings,), {"toml_path": path})
    return bound(**overrides)
