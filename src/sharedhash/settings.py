"""The one settings class: every field is read from a ``SHAREDHASH_<FIELD>`` environment variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sharedhash import limits


class Settings(BaseSettings):
    """Runtime settings. Defaults suit a single machine with the embedded SQLite database."""

    model_config = SettingsConfigDict(env_prefix="SHAREDHASH_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite database and index files.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in data_dir. Production: postgresql+psycopg://..."
    )
    # Defaults in limits, which quick_settings also reads (start-up-critical paths, without pydantic).
    max_image_pixels: int = Field(
        default=limits.MAX_IMAGE_PIXELS_DEFAULT, ge=1, description="Refuse images with more pixels."
    )
    max_file_bytes: int = Field(default=limits.MAX_FILE_BYTES_DEFAULT, ge=1, description="Refuse larger files.")
    # Videos (vPDQ). Every limit is checked from the header before decoding where the header says, and again while
    # decoding (a header can lie).
    max_video_bytes: int = Field(default=4 * 1024**3, ge=1, description="Refuse larger video files.")
    video_max_seconds: float = Field(default=4 * 3600, gt=0, description="Refuse longer videos (seconds).")
    video_max_frames: int = Field(default=1_000_000, ge=1, description="Refuse videos with more frames.")
    video_max_frame_pixels: int = Field(
        default=8192 * 4320, ge=1, description="Refuse videos whose frames have more pixels (8K by default)."
    )
    video_max_fps: float = Field(default=1000.0, gt=0, description="Refuse videos with a higher frame rate.")
    video_max_wall_seconds: float = Field(
        default=600.0, gt=0, description="Stop decoding one video after this many seconds of wall time."
    )
    vpdq_seconds_per_hash: float = Field(
        default=1.0, ge=0, description="vPDQ hashes one frame per this many seconds (0: every frame)."
    )
    pdq_match_threshold: int = Field(default=31, ge=0, le=63, description="Default PDQ match distance.")
    pdq_min_quality: int = Field(default=50, ge=0, le=100, description="PDQ hashes below this are not contributed.")
    deterrence_max_query_chars: int = Field(
        default=1000, ge=1, description="Deterrence checks read at most this many characters of a query."
    )
    deterrence_lexicon: str | None = Field(
        default=None,
        description="Benign words that fuzzy matching never bends: unset for the shipped lexicon, 'none', "
        "'wordfreq', a word-list path or a *.lexicon.gz file.",
    )
    testdata: Path | None = Field(default=None, description="Reference test data (default ../shared/testdata).")
    # Talking to a hub (the CLI and sync).
    hub_url: str = Field(default="http://127.0.0.1:8000", description="The hub the CLI talks to.")
    api_key: str | None = Field(default=None, description="The org API key the CLI sends to the hub.")
    # Hub server limits and timings.
    max_request_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, description="Largest API request body.")
    max_import_bytes: int = Field(
        default=2 * 1024 * 1024 * 1024, ge=1024, description="Largest bulk-import body (streamed to disk)."
    )
    decode_memory_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=64 * 1024 * 1024,
        description="Memory all concurrent image and video decodes of uploads may take together (the default suits "
        "a 2 GB server); an upload that needs more than is free waits, then gets 503 busy.",
    )
    decode_wait_seconds: float = Field(
        default=2.0, ge=0, description="How long an upload waits for decode memory before it gets 503 busy."
    )
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="A connection whose request headers take longer is closed (slow clients)."
    )
    body_idle_timeout_seconds: float = Field(
        default=30.0, gt=0, description="A request body that pauses longer than this is answered 408 and dropped."
    )
    max_lookup_hashes: int = Field(default=10_000, ge=1, description="Most hashes in one lookup request.")
    index_follow_seconds: float = Field(
        default=1.0, gt=0, description="How often the server picks up writes other processes made (e.g. sync)."
    )
    audit_flush_seconds: float = Field(
        default=0.5, gt=0, description="Lookup audit events are written in batches this often."
    )
    subscription_poll_seconds: float = Field(
        default=5.0, gt=0, description="How often the server checks whether a subscription is due."
    )
    # Deterrence service.
    deterrence_refresh_seconds: float = Field(
        default=0.25, gt=0, description="How often the server looks for changed term lists (rules take effect then)."
    )
    deterrence_counter_flush_seconds: float = Field(
        default=1.0, gt=0, description="Deterrence counters are added up in memory and written this often."
    )
    deterrence_public_client_per_minute: int = Field(
        default=60, ge=1, description="Public deterrence checks allowed per client per minute (over: 429)."
    )
    deterrence_click_base_url: str | None = Field(
        default=None, description="Base URL of click-through links (default: the URL the request came to)."
    )
    deterrence_cors_origins: str = Field(
        default="",
        description="Web origins (comma-separated, e.g. 'https://www.example.org', or '*') whose pages may call the "
        "public deterrence check and the help-link redirect from the browser (CORS); empty: none.",
    )
    # Acting on a match (content checks, action rules, retroactive matching).
    check_retention_days: float = Field(
        default=90,
        ge=0,
        description="Days a content check keeps its hashes and metadata (for retroactive matching); 0: keep none.",
    )
    check_purge_seconds: float = Field(default=60.0, gt=0, description="How often expired checks are purged.")
    retroactive_seconds: float = Field(
        default=0.5, gt=0, description="How often new list hashes are matched against recent checks."
    )
    lookup_cache_entries: int = Field(
        default=5_000_000, ge=0, description="Most entries whose match facts the server keeps in memory (0: none)."
    )
    # Review in the browser (issue 13).
    review_claim_seconds: float = Field(
        default=600.0, gt=0, description="A claimed review item goes back to the queue after this long untouched."
    )
    review_session_idle_seconds: float = Field(
        default=1800.0, gt=0, description="A signed-in person is signed out after this long without a request."
    )
    review_session_max_seconds: float = Field(
        default=12 * 3600.0, gt=0, description="A sign-in lasts at most this long, active or not."
    )
    review_lock_seconds: float = Field(
        default=900.0, gt=0, description="How long a person is locked out after too many failed sign-ins."
    )
    review_invite_hours: float = Field(
        default=72.0, gt=0, description="How long an invitation or password-reset link works."
    )
    review_media_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="The media proxy refuses larger files."
    )
    review_media_timeout_seconds: float = Field(
        default=10.0, gt=0, description="The media proxy gives up on a platform's media URL after this long."
    )
    review_media_allow_private: bool = Field(
        default=False,
        description="Let the media proxy fetch from private and loopback addresses (development and tests only).",
    )
    # CyberTipline reports.
    report_poll_seconds: float = Field(
        default=5.0, gt=0, description="How often the server looks for reports due for a submission attempt."
    )
    report_retry_hours: float = Field(
        default=72.0, gt=0, description="How long a report's submission is retried (with back-off) before it fails."
    )
    report_backoff_seconds: float = Field(
        default=30.0, gt=0, description="The first retry's delay; each later one doubles it (with jitter)."
    )
    report_backoff_max_seconds: float = Field(
        default=3600.0, gt=0, description="The longest delay between two submission attempts of a report."
    )
    report_ncmec_expiry_hours: float = Field(
        default=24.0,
        gt=0,
        description="How long NCMEC keeps a report open unfinished before cancelling it (a report older than this "
        "is started again rather than continued).",
    )
    report_preservation_days: int = Field(
        default=365, ge=1, description="How long a preservation record of each reported file is kept (US: 1 year)."
    )
    secret_key: str | None = Field(
        default=None,
        repr=False,
        description="Key (Fernet, url-safe base64 of 32 bytes) that encrypts stored subscription API keys, "
        "CyberTipline passwords and reported files' bytes; "
        "default: the file secret.key in data_dir, created with permissions 0600.",
    )
    webhook_worker: bool = Field(
        default=True,
        description="Deliver webhook events from the outbox in the server process (off when `sharedhash webhook "
        "worker` runs beside it).",
    )
    webhook_allow_loopback: bool = Field(
        default=False,
        description="Allow webhook URLs on loopback addresses (127.0.0.0/8, ::1), over http too: tests and a "
        "receiver on the same machine only.",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Allow webhook URLs that resolve to private, link-local or other non-public addresses.",
    )
    webhook_connect_timeout: float = Field(default=5.0, gt=0, le=60, description="Seconds to connect to a receiver.")
    webhook_read_timeout: float = Field(
        default=10.0, gt=0, le=300, description="Seconds to wait for a receiver's answer (and to send the event)."
    )
    webhook_retry_total_seconds: float = Field(
        default=24 * 3600.0,
        ge=0,
        description="How long an event is retried (exponential back-off with jitter) before it is marked dead.",
    )
    webhook_retry_base_seconds: float = Field(
        default=5.0, gt=0, description="The first retry's delay; each further one doubles, up to the maximum."
    )
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0, description="The longest delay between retries.")
    webhook_probe_max_seconds: float = Field(
        default=30.0,
        gt=0,
        description="While an endpoint's receiver is down (its circuit breaker open), the longest delay between the "
        "single events that probe whether it is back (at most webhook_retry_max_seconds).",
    )
    webhook_concurrency: int = Field(
        default=64, ge=1, le=1024, description="Events in flight at once (each ordering key one at a time)."
    )
    webhook_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a claimed event is reserved for one worker; a worker that died mid-delivery leaves its "
        "events to be sent again (with the same webhook-id) after this.",
    )
    webhook_poll_seconds: float = Field(
        default=0.5, gt=0, description="Seconds between looks at the outbox when it had nothing due."
    )
    # Quarantine of review media (issue 13).
    quarantine_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="The quarantine store refuses larger files (413)."
    )
    quarantine_retention_days: float = Field(
        default=30.0,
        gt=0,
        description="Days a quarantined file is kept when no decision deletes or preserves it first.",
    )
    quarantine_preservation_days: float = Field(
        default=365.0,
        gt=0,
        description="Days a quarantined file of confirmed content is kept after the decision (legal preservation; "
        "US: 1 year).",
    )
    quarantine_purge_seconds: float = Field(
        default=300.0, gt=0, description="How often quarantined files past their time are deleted."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
