"""Builds tiny but real .argosmodel packages at test time, so argostranslate runs end to end offline.

No registry package ships argos weights and argos's index is unreachable here (STACK-NOTES
"Machine translation"), so the tests make their own models, the way STACK-NOTES describes:

- a SentencePiece model trained in memory on generated Romanian/English/Ukrainian word salad,
  with the dictionary words as whole pieces;
- a one-layer CTranslate2 Transformer written with numpy weights through ``ctranslate2.specs``.
  The weights are set by hand: the decoder's cross-attention looks at the source position equal
  to its own position (sinusoid position codes, sharpened), copies that token, and the output
  projection maps it through a small dictionary (ro "ajutor" -> en "help"), so output is exact
  and repeatable: "am nevoie de ajutor" -> "am nevoie de help". Source EOS is appended, so the
  decoder stops where the source stops;
- a MiniSBD sentence model (``minisbd/<lang>.onnx``) that splits after . ! ? — an ONNX graph with
  one Gather from a per-character table, written as raw protobuf bytes (no onnx package needed),
  with the config/vocab metadata MiniSBD reads. Shipping it is what keeps argos's default
  sentence splitter offline.

``build_package`` returns the path of the zip; options make broken or unusual variants for the
installer's refusal tests.
"""
from __future__ import annotations

import io
import json
import os
import random
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

# Words the generated corpus is made of; dictionary words become single SentencePiece pieces.
RO_WORDS = "am nevoie de ajutor unde sunt acum nu pașaport bani acasă vreau să plec lucru".split()
EN_WORDS = "i need help where are you now do not have passport money home want to leave work".split()
UK_WORDS = "мені потрібна допомога де ви зараз паспорт гроші додому".split()

DICTIONARIES: dict[tuple[str, str], dict[str, str]] = {
    ("ro", "en"): {"ajutor": "help", "unde": "where", "bani": "money", "pașaport": "passport"},
    ("en", "ro"): {"help": "ajutor", "where": "unde", "money": "bani", "passport": "pașaport"},
    ("en", "uk"): {"help": "допомога", "where": "де", "money": "гроші", "passport": "паспорт"},
}
NAMES = {"ro": "Romanian", "en": "English", "uk": "Ukrainian"}


# --- SentencePiece ------------------------------------------------------------------------------

def _train_sentencepiece() -> bytes:
    import sentencepiece as spm

    rng = random.Random(7)
    words = RO_WORDS + EN_WORDS + UK_WORDS
    corpus = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 9))) for _ in range(300)]
    alphabet = (string.ascii_letters + string.digits + ".,!?;:'\"-()ăâîșțĂÂÎȘȚ"
                + "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ")
    corpus += [" ".join(alphabet)] * 3  # every character its own piece: nothing is <unk>
    dictionary_words = sorted({w for d in DICTIONARIES.values() for pair in d.items() for w in pair})
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_writer=buffer, vocab_size=240,
        user_defined_symbols=["\u2581" + w for w in dictionary_words],
        hard_vocab_limit=False, character_coverage=1.0, minloglevel=2,
    )
    return buffer.getvalue()


# --- CTranslate2 ------------------------------------------------------------------------------

def _write_ctranslate2_model(out_dir: Path, vocab: list[str], dictionary: dict[str, str]) -> None:
    """One-layer Transformer whose output at step t is dictionary(source token t)."""
    from ctranslate2.specs import transformer_spec

    V = len(vocab)
    K = 8                                   # sinusoid pairs for positions
    # Blocks of the model dimension: token one-hot | position code. The decoder's own input
    # tokens embed to zero, so the token block of the decoder is free to carry the copied token.
    T0, P0, C0 = 0, V, 0
    D = V + 2 * K
    max_len = 256
    positions = np.arange(max_len)
    encodings = np.zeros((max_len, D), np.float32)
    for k in range(K):
        w = 1.0 / (2.1 ** k)
        encodings[:, P0 + 2 * k] = np.cos(w * positions)
        encodings[:, P0 + 2 * k + 1] = np.sin(w * positions)
    embeddings = np.zeros((V, D), np.float32)
    embeddings[np.arange(V), T0 + np.arange(V)] = 4.0

    spec = transformer_spec.TransformerSpec.from_config((1, 1), 1, rms_norm=True)

    def norm(layer) -> None:
        layer.gamma = np.ones(D, np.float32)

    def zeros(layer, rows: int, cols: int) -> None:
        layer.weight = np.zeros((rows, cols), np.float32)

    for part in (spec.encoder, spec.decoder):
        part.scale_embeddings = False
        part.position_encodings.encodings = encodings.copy()
        norm(part.layer_norm)
        for layer in part.layer:   # self-attention and feed-forward add nothing (zero weights)
            norm(layer.self_attention.layer_norm)
            zeros(layer.self_attention.linear[0], 3 * D, D)
            zeros(layer.self_attention.linear[1], D, D)
            norm(layer.ffn.layer_norm)
            zeros(layer.ffn.linear_0, 4, D)
            zeros(layer.ffn.linear_1, D, 4)
    spec.encoder.embeddings[0].weight = embeddings
    spec.decoder.embeddings.weight = np.zeros((V, D), np.float32)

    cross = spec.decoder.layer[0].attention
    norm(cross.layer_norm)
    query = np.zeros((D, D), np.float32)
    query[P0:P0 + 2 * K, P0:P0 + 2 * K] = np.eye(2 * K) * 60.0      # sharp: same position wins
    key_value = np.zeros((2 * D, D), np.float32)
    key_value[P0:P0 + 2 * K, P0:P0 + 2 * K] = np.eye(2 * K)
    key_value[D + C0:D + C0 + V, T0:T0 + V] = np.eye(V)              # value: the source token
    output = np.zeros((D, D), np.float32)
    output[C0:C0 + V, C0:C0 + V] = np.eye(V)
    cross.linear[0].weight = query
    cross.linear[1].weight = key_value
    cross.linear[2].weight = output

    index = {piece: i for i, piece in enumerate(vocab)}
    projection = np.zeros((V, D), np.float32)
    for i, piece in enumerate(vocab):
        word = piece[1:] if piece.startswith("\u2581") else None
        target = "\u2581" + dictionary[word] if word in dictionary else piece
        projection[index[target], C0 + i] = 10.0
    spec.decoder.projection.weight = projection

    spec.config.add_source_eos = True
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.validate()
    out_dir.mkdir(parents=True)
    spec.save(str(out_dir))


# --- MiniSBD ONNX (hand-written protobuf) ---------------------------------------------------------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _f_int(num: int, value: int) -> bytes:
    return _varint(num << 3) + _varint(value)


def _f_bytes(num: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint((num << 3) | 2) + _varint(len(data)) + data


def _value_info(name: str, elem_type: int, dims: list[int | str]) -> bytes:
    shape = b"".join(_f_bytes(1, _f_int(1, d) if isinstance(d, int) else _f_bytes(2, d)) for d in dims)
    return _f_bytes(1, name) + _f_bytes(2, _f_bytes(1, _f_int(1, elem_type) + _f_bytes(2, shape)))


def build_minisbd_onnx(lang: str) -> bytes:
    """An ONNX model MiniSBD accepts: class 2 (sentence end) after . ! ?, class 1 at spaces."""
    FLOAT, INT64 = 1, 7
    units = ["<PAD>", "<UNK>"] + sorted(set(string.printable) | set("ăâîșțĂÂÎȘȚ"))
    table = np.zeros((len(units), 5), np.float32)
    table[:, 0] = 1.0
    for i, unit in enumerate(units):
        if unit in ".!?":
            table[i] = [0, 0, 1, 0, 0]
        elif unit == " ":
            table[i] = [0, 1, 0, 0, 0]
    tensor = (_f_int(1, table.shape[0]) + _f_int(1, table.shape[1]) + _f_int(2, FLOAT)
              + _f_bytes(8, "table") + _f_bytes(9, table.tobytes()))
    gather = (_f_bytes(1, "table") + _f_bytes(1, "units") + _f_bytes(2, "logits")
              + _f_bytes(3, "lookup") + _f_bytes(4, "Gather"))
    graph = (_f_bytes(1, gather) + _f_bytes(2, "sbd") + _f_bytes(5, tensor)
             + _f_bytes(11, _value_info("units", INT64, ["batch", "length"]))
             + _f_bytes(11, _value_info("features", FLOAT, ["batch", "length", "nfeat"]))
             + _f_bytes(12, _value_info("logits", FLOAT, ["batch", "length", 5])))
    vocab = {"lang": lang, "idx": 0, "cutoff": 0, "lower": False,
             "_unit2id": {u: i for i, u in enumerate(units)}, "_id2unit": units}
    meta = {"lang_code": lang, "config": json.dumps({"feat_funcs": ["space_before"]}),
            "vocab": json.dumps(vocab)}
    model = _f_int(1, 8) + _f_bytes(2, "hotline-tests") + _f_bytes(7, graph)
    model += _f_bytes(8, _f_bytes(1, "") + _f_int(2, 13))           # opset 13
    model += b"".join(_f_bytes(14, _f_bytes(1, k) + _f_bytes(2, v)) for k, v in meta.items())
    return model


# --- packages -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    """Options for unusual packages (the defaults make a normal, installable one)."""

    version: str = "1.0"
    sbd: str = "minisbd"          # "minisbd", "none" or "stanza" (an argos package of the 1.9 era)
    extra_top_level: bool = False
    drop_metadata: bool = False
    metadata_override: dict | None = None
    corrupt_model: bool = False
    traversal: bool = False


def build_package(dest: Path, src: str, dst: str, spm_proto: bytes | None = None,
                  variant: Variant = Variant()) -> Path:
    """Write ``<dest>/translate-<src>_<dst>-<version>.argosmodel`` and return its path."""
    import sentencepiece as spm

    spm_proto = spm_proto if spm_proto is not None else _train_sentencepiece()
    sp = spm.SentencePieceProcessor(model_proto=spm_proto)
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    top = f"translate-{src}_{dst}-{variant.version.replace('.', '_')}"
    work = Path(tempfile.mkdtemp(prefix="argos-build-"))
    try:
        root = work / top
        _write_ctranslate2_model(root / "model", vocab, DICTIONARIES[(src, dst)])
        if variant.corrupt_model:
            (root / "model" / "model.bin").write_bytes(b"not a model")
        (root / "sentencepiece.model").write_bytes(spm_proto)
        metadata = {"package_version": variant.version, "argos_version": "1.9", "type": "translate",
                    "from_code": src, "from_name": NAMES[src], "to_code": dst, "to_name": NAMES[dst],
                    "links": []}
        metadata.update(variant.metadata_override or {})
        if not variant.drop_metadata:
            (root / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
        if variant.sbd == "minisbd":
            (root / "minisbd").mkdir()
            (root / "minisbd" / f"{src}.onnx").write_bytes(build_minisbd_onnx(src))
        elif variant.sbd == "stanza":
            # Stanza would fetch resources.json from the network for this folder.
            (root / "stanza" / src).mkdir(parents=True)
            (root / "stanza" / "resources.json").write_text("{}", encoding="utf-8")
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / f"{top}.argosmodel"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for path in sorted(root.rglob("*")):
                archive.write(path, path.relative_to(work).as_posix())
            if variant.extra_top_level:
                archive.writestr("README.md", "stray file beside the folder")
            if variant.traversal:
                archive.writestr(f"{top}/../../escaped.txt", "outside")
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclass(frozen=True)
class ArgosPackages:
    folder: Path
    spm_proto: bytes
    ro_en: Path
    en_ro: Path
    en_uk: Path

    def build(self, src: str, dst: str, variant: Variant = Variant()) -> Path:
        return build_package(self.folder / "variants", src, dst, self.spm_proto, variant)


@pytest.fixture(scope="session")
def argos_packages(tmp_path_factory: pytest.TempPathFactory) -> ArgosPackages:
    """ro->en, en->ro and en->uk packages (with MiniSBD sentence models), built once per session."""
    folder = tmp_path_factory.mktemp("argosmodels")
    proto = _train_sentencepiece()
    return ArgosPackages(
        folder=folder, spm_proto=proto,
        ro_en=build_package(folder, "ro", "en", proto),
        en_ro=build_package(folder, "en", "ro", proto),
        en_uk=build_package(folder, "en", "uk", proto),
    )


# --- network guards ------------------------------------------------------------------------
# Any attempt to open a network connection is recorded and fails: in-process (the ``no_network``
# fixture) and in subprocesses (a sitecustomize on PYTHONPATH, proxies pointing at a closed port,
# and ``unshare -n`` when running as root).

SITECUSTOMIZE = '''
import os, socket
_LOG = os.environ.get("NETGUARD_LOG")
_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

def _record(what):
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as handle:
            handle.write(what + "\\n")

def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _record("connect %r" % (address,))
        raise OSError("network disabled by the test guard")
    return _connect(self, address)

def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _record("connect_ex %r" % (address,))
        raise OSError("network disabled by the test guard")
    return _connect_ex(self, address)

def getaddrinfo(host, *args, **kwargs):
    _record("getaddrinfo %r" % (host,))
    raise socket.gaierror("name resolution disabled by the test guard")

socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
'''

CLOSED_PROXY = "http://127.0.0.1:9"


class Attempts(list):
    """Network attempts seen by the in-process guard."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch):
    """Fail any in-process network attempt, and fail the test afterwards even if code swallowed it."""
    attempts = Attempts()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(("connect", address))
            raise OSError("network disabled by the test guard")
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(("connect_ex", address))
            raise OSError("network disabled by the test guard")
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        attempts.append(("getaddrinfo", host))
        raise socket.gaierror("name resolution disabled by the test guard")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts


def _unshare_works() -> bool:
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


UNSHARE = _unshare_works()


class GuardedRunner:
    """Runs commands with no network: guard sitecustomize, closed proxies, unshare -n if possible."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        self.log = folder / "attempts.log"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "PYTHONPATH": str(self.folder), "NETGUARD_LOG": str(self.log),
            "http_proxy": CLOSED_PROXY, "https_proxy": CLOSED_PROXY, "HTTP_PROXY": CLOSED_PROXY,
            "HTTPS_PROXY": CLOSED_PROXY, "ALL_PROXY": CLOSED_PROXY, "all_proxy": CLOSED_PROXY,
            "NO_PROXY": "", "no_proxy": "",
        })
        env.update(extra)
        return env

    def run(self, args: list[str], timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
        prefix = ["unshare", "-n"] if UNSHARE else []
        return subprocess.run(prefix + args, env=self.env(**extra), capture_output=True, text=True,
                              timeout=timeout)

    def attempts(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []

    def hotline(self, *args: str, **extra: str) -> subprocess.CompletedProcess:
        script = Path(sys.executable).parent / "hotline"
        command = [str(script)] if script.exists() else [sys.executable, "-m", "hotline"]
        return self.run([*command, *args], **extra)
