"""Where translation models live on disk, and the argostranslate settings that keep it offline.

argostranslate reads its settings once, when ``argostranslate.settings`` is first imported, and
creates directories under ``$XDG_DATA_HOME``, ``$XDG_CONFIG_HOME`` and ``$XDG_CACHE_HOME`` at that
moment (STACK-NOTES "Machine translation"). Everything argos may touch is therefore kept under one
directory that the operator controls, ``HOTLINE_ARGOS_DIR`` (default ``<repo>/var/argos``):

    packages/     installed models, one folder per pair (ARGOS_PACKAGES_DIR)
    minisbd/      optional MiniSBD sentence models, ``<lang>.onnx``, shared by every pair
    .staging/     the installer's work folder (same file system, so moves are atomic renames)
    xdg/data, xdg/config, xdg/cache   argos's own XDG directories (nothing useful is kept there)
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_DIR = "HOTLINE_ARGOS_DIR"
ENV_THREADS = "HOTLINE_ARGOS_THREADS"

# A package index address that cannot reach any network: if anything inside argostranslate ever
# tried to refresh its index, urllib fails locally at once instead of retrying a remote host
# (STACK-NOTES: get_available_packages() retries for 23 s, then RecursionError).
OFFLINE_INDEX = "file:///nonexistent/hotline-offline-index/"


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ArgosLayout:
    """The directories of one model store."""

    root: Path

    @classmethod
    def from_env(cls, root: str | os.PathLike[str] | None = None) -> "ArgosLayout":
        """The layout named by ``root``, else ``HOTLINE_ARGOS_DIR``, else ``<var dir>/argos`` where
        the var dir is ``HOTLINE_VAR_DIR`` or ``<repo>/var`` as in ``hotline.settings``."""
        chosen = root if root is not None else os.environ.get(ENV_DIR)
        if not chosen:
            chosen = Path(os.environ.get("HOTLINE_VAR_DIR") or _repo_root() / "var") / "argos"
        return cls(Path(chosen).expanduser().resolve())

    @property
    def packages(self) -> Path:
        return self.root / "packages"

    @property
    def minisbd(self) -> Path:
        return self.root / "minisbd"

    @property
    def staging(self) -> Path:
        """Where the installer unpacks and deletes, beside (not inside) the packages folder, so
        argostranslate never scans a half-written or half-deleted package."""
        return self.root / ".staging"

    @property
    def xdg(self) -> Path:
        return self.root / "xdg"

    def ensure(self) -> None:
        """Create the directories (argostranslate would otherwise create them in $HOME)."""
        for path in (self.packages, self.minisbd, self.staging, self.xdg / "data", self.xdg / "config", self.xdg / "cache"):
            path.mkdir(parents=True, exist_ok=True)

    def argos_environment(self, threads: int | None = None) -> dict[str, str]:
        """The environment argostranslate must see when it is first imported.

        Every value that could make argos use the network or the wrong directory is set
        explicitly, overriding whatever the process environment holds: the model provider
        (LibreTranslate/OpenAI providers call remote APIs), the chunk type (the spaCy chunk type
        downloads a model at import) and the package index.
        """
        if threads is None:
            threads = int(os.environ.get(ENV_THREADS, "1") or "1")
        return {
            "XDG_DATA_HOME": str(self.xdg / "data"),
            "XDG_CONFIG_HOME": str(self.xdg / "config"),
            "XDG_CACHE_HOME": str(self.xdg / "cache"),
            "ARGOS_PACKAGES_DIR": str(self.packages),
            "ARGOS_PACKAGE_INDEX": OFFLINE_INDEX,
            "ARGOS_MODEL_PROVIDER": "OPENNMT",
            "ARGOS_CHUNK_TYPE": "ARGOSTRANSLATE",
            "ARGOS_DEVICE_TYPE": "cpu",
            # 1 intra-op thread: 1.9 ms warm instead of 48 ms on 2 cores (STACK-NOTES).
            "ARGOS_INTRA_THREADS": str(max(1, threads)),
            "ARGOS_INTER_THREADS": "1",
            "ARGOS_DEBUG": "0",
        }
