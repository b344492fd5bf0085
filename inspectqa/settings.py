"""Settings, read from ``INSPECTQA_*`` environment variables (and the CLI's options).

Build a ``Settings`` where the program starts (the CLI, the app factory, a test), never at import
time, so that each test can pass its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

EmbedBackend = Literal["onnx-int8", "torch"]
# Passages up to which dense search is exact (indexer.ann says why this many).
ANN_EXACT_MAX_PASSAGES = 100_000


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "inspectqa"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INSPECTQA_", extra="ignore", frozen=True)

    # --- corpus and index -------------------------------------------------------------------
    corpus: Path = Field(
        Path("../shared/corpus/ilacs"),
        description="Folder of reports, with a manifest.csv or plain .pdf/.html/.txt files.",
    )
    index: Path = Field(Path("var/index"), description="Index directory (built when missing by `serve`).")
    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL (with pgvector) to serve the index from instead of the directory, e.g. "
        "postgresql://reader:secret@db/inspectqa; `index build` also publishes each generation there.",
    )
    database_pool_size: int = Field(4, ge=1, le=64, description="Connections each server process keeps.")

    # --- embedding model ---------------------------------------------------------------------
    model_path: Path | None = Field(
        None, description="A sentence-transformers model folder; default: the bundled all-MiniLM-L6-v2."
    )
    model_name: str = Field(
        "sentence-transformers/all-MiniLM-L6-v2",
        description="The model's name, recorded in the index manifest and checked on load.",
    )
    embed_backend: EmbedBackend = Field(
        "onnx-int8", description="onnx-int8 (fast, quantised ONNX Runtime) or torch (fp32)."
    )
    quantization_target: Literal["auto", "avx2", "avx512", "avx512_vnni", "arm64"] = Field(
        "auto",
        description="The int8 ONNX Runtime config for onnx-int8: auto (from the CPU's flags) or a target "
        "forced, e.g. avx2 to reproduce an AVX2 machine's vectors on an AVX-512 one.",
    )
    cache_dir: Path = Field(
        default_factory=default_cache_dir, description="Where exported ONNX models are kept."
    )
    batch_size: int = Field(32, ge=1, le=1024)
    chunk_max_tokens: int = Field(
        256, ge=32, le=512, description="Token budget of a chunk, special tokens included."
    )
    extract_memory_mb: int = Field(
        3072, ge=256, description="Address space of each process reading a report while indexing."
    )
    extract_timeout_s: float = Field(
        120.0, gt=0, description="Time to read one report while indexing; past it the file fails."
    )
    ann_exact_max_passages: int = Field(
        ANN_EXACT_MAX_PASSAGES,
        ge=0,
        description="Passages up to which dense search is exact; past it the build also writes an "
        "approximate (IVF) index into the generation (indexer.ann).",
    )
    unit_vectors: bool | None = Field(
        None,
        description="Whether `index build` also stores vectors of each passage's sentences (and pairs of "
        "them), so the LLM path's grounding check embeds only the answer (indexer.unit_vectors); they "
        "cost about 2.5 times the passages' embedding time. Unset: when an LLM answerer is configured.",
    )

    # --- service ----------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(
        1, ge=1, le=32, description="Server processes; each loads the index and answers on its own core."
    )
    state_dir: Path | None = Field(
        None,
        description="Folder the server processes share (rate-limit buckets, metrics); "
        "`serve --workers N` makes one when unset. None: everything in this process's memory.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_question_chars: int = Field(2000, ge=10)
    max_history_turns: int = Field(20, ge=0)

    # --- optional LLM answerer (any OpenAI-compatible chat-completions server) ------------------
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(60.0, gt=0)

    # --- administration -----------------------------------------------------------------------
    admin_token: SecretStr | None = None
    upload_max_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, description="Largest report PDF accepted by POST /admin/reports."
    )
    uploads_dir: Path = Field(
        Path("var/uploads"), description="Where uploaded reports are kept (a corpus folder of its own)."
    )
    reload_poll_s: float = Field(
        2.0, ge=0, description="How often to check INDEX/current for a new generation; 0 turns the watch off."
    )

    metrics_token: SecretStr | None = Field(
        None, description="Bearer token GET /metrics requires; unset: /metrics is open to every client."
    )
    api_token: SecretStr | None = Field(
        None,
        description="Bearer token the OpenAI-compatible /v1 routes and the /mcp endpoint require "
        "(the API key a client is configured with); unset: they are open, like /ask.",
    )

    # --- limits (per client, per request) ---------------------------------------------------------
    rate_limit_per_minute: int = Field(
        120, ge=0, description="Questions (/ask, /ask/stream) per client per minute; 0 turns the limit off."
    )
    rate_limit_burst: int = Field(20, ge=1, description="Questions a client may send at once before waiting.")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest request body outside uploads.")
    request_timeout_s: float = Field(
        30.0, gt=0, description="Time budget of one request; past it the request ends with 504."
    )
    max_concurrency: int = Field(
        4, ge=1, description="Questions and searches worked on at once; the rest wait their turn."
    )
    queue_timeout_s: float = Field(
        10.0, gt=0, description="How long a request waits for a free slot before a 503 asks it to retry."
    )

    @field_validator("corpus", "index", "cache_dir", "model_path", "uploads_dir", "state_dir", mode="after")
    @classmethod
    def _expand_user(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("admin_token", "metrics_token", "api_token", "llm_api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # INSPECTQA_ADMIN_TOKEN= (set but empty) must not turn on a route guarded by the empty token.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # Accept "https://a.example,https://b.example" as well as a JSON list.
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def stores_unit_vectors(self) -> bool:
        """Whether builds store passage unit vectors (``unit_vectors``; unset: with an LLM answerer)."""
        return self.llm_enabled if self.unit_vectors is None else self.unit_vectors
