"""Translator through the real argostranslate code path, with the network made unreachable.

Models are installed with the real `hotline models install` subprocess; translation runs
in-process under a guard that fails on any socket connection or name lookup."""
from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from argos_fixture import (  # noqa: F401 - fixtures
    ArgosPackages, GuardedRunner, Variant, argos_packages, build_minisbd_onnx, no_network,
)

from hotline.translation import Translation, Translator
from hotline.translation.catalog import normalise_code
from hotline.translation.sentences import PunctuationSentencizer, split_sentences


def install(runner: GuardedRunner, store: Path, package: Path) -> None:
    result = runner.hotline("models", "--dir", str(store), "install", str(package))
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, argos_packages: ArgosPackages) -> Path:
    """A model store with ro->en, en->ro and en->uk, installed through the CLI."""
    root = tmp_path_factory.mktemp("store")
    runner = GuardedRunner(root / "guard")
    for package in (argos_packages.ro_en, argos_packages.en_ro, argos_packages.en_uk):
        install(runner, root / "argos", package)
    assert runner.attempts() == []
    return root / "argos"


@pytest.fixture
def translator(store: Path, no_network) -> Translator:
    instance = Translator(argos_dir=str(store))
    yield instance
    instance.close()
    assert list(no_network) == [], f"network attempted: {list(no_network)}"


def loaded_sentencizers() -> dict[str, object]:
    import argostranslate.translate as argos

    return {e.package_key: e.cached_translation.underlying.sentencizer for e in argos.installed_translates}


def test_ro_to_en_is_machine_translated_and_labelled(translator: Translator,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        result = translator.translate("am nevoie de ajutor", "ro", "en")
    # argostranslate logs inputs and outputs at INFO by default; the service silences that.
    assert "nevoie" not in caplog.text and "help" not in caplog.text
    assert result == Translation(
        text="am nevoie de help", source="ro", target="en", machine=True, available=True,
        original="am nevoie de ajutor", path=("ro", "en"),
        notice="Machine translation from Romanian to English; it may be wrong. The original is kept.",
    )


def test_worker_reply_en_to_ro_and_sentences(translator: Translator) -> None:
    result = translator.translate("where is the money? i can help. passport", "en", "ro")
    assert result.text == "unde is the bani? i can ajutor. pașaport"
    assert result.machine and result.original == "where is the money? i can help. passport"
    # The package's own MiniSBD model splits sentences: argos's offline path, no download.
    sentencizer = loaded_sentencizers()["en-ro"]
    assert type(sentencizer).__name__ == "MiniSBDSentencizer"
    assert str(sentencizer.lang).endswith("en_ro/minisbd/en.onnx")
    assert sentencizer.split_sentences("i need help. where? ok") == ["i need help.", "where?", "ok"]


def test_pivot_through_english(translator: Translator) -> None:
    result = translator.translate("unde sunt bani? ajutor", "ro", "uk")
    assert result.text == "де sunt гроші? допомога"
    assert result.path == ("ro", "en", "uk") and result.pivot == "en"
    assert "via English" in result.notice


def test_same_language_is_the_original(translator: Translator) -> None:
    result = translator.translate("Bună ziua", "ro", "RO-ro")
    assert (result.text, result.machine, result.available, result.notice) == ("Bună ziua", False, True, None)


def test_missing_pair_gives_the_original_with_a_notice(translator: Translator) -> None:
    result = translator.translate("mi serve aiuto", "it", "en")
    assert result.text == result.original == "mi serve aiuto"
    assert (result.machine, result.available) == (False, False)
    assert result.notice == ("No machine translation model is installed for Italian to English. "
                             "Showing the original text.")
    # uk->ro has en->uk and en->ro but no uk->en: no chain exists
    assert translator.translate("допомога", "uk", "ro").available is False
    assert not translator.can_translate("uk", "ro") and translator.can_translate("ro", "uk")


@pytest.mark.parametrize("source", [None, "", "und", "??"])
def test_unknown_source_language_is_not_guessed(translator: Translator, source) -> None:
    result = translator.translate("ajutor", source, "en")
    assert result.available is False and result.text == "ajutor" and "not known" in result.notice


def test_too_long_message_is_shown_as_original(translator: Translator) -> None:
    text = "ajutor " * 800
    result = translator.translate(text, "ro", "en")
    assert result.available is False and result.text == text and "longer than" in result.notice


def test_results_are_cached_until_forgotten(translator: Translator) -> None:
    first = translator.translate("unde ajutor", "ro", "en")
    assert translator.translate("unde ajutor", "ro", "en") is first
    translator.forget()
    again = translator.translate("unde ajutor", "ro", "en")
    assert again == first and again is not first


def test_threads_translate_concurrently_and_correctly(translator: Translator) -> None:
    words = ["ajutor", "unde", "bani", "acum", "pașaport"]
    expected = {"ajutor": "help", "unde": "where", "bani": "money", "acum": "acum", "pașaport": "passport"}
    errors: list[str] = []

    def work(worker: int) -> None:
        for i in range(15):
            word = words[(worker + i) % len(words)]
            text = f"{word} {i} {worker}"
            got = translator.translate(text, "ro", "en").text
            if got != f"{expected[word]} {i} {worker}":
                errors.append(f"{text!r} -> {got!r}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def test_async_translation_runs_off_the_event_loop(translator: Translator) -> None:
    seen: list[str] = []
    original = translator.translate

    def spy(*args):
        seen.append(threading.current_thread().name)
        return original(*args)

    translator.translate = spy  # only records the thread; the real method does the work

    async def main() -> Translation:
        return await translator.atranslate("ajutor acum", "ro", "en")

    result = asyncio.run(main())
    assert result.text == "help acum"
    assert seen and seen[0].startswith("translate") and seen[0] != threading.current_thread().name


def test_models_installed_while_running_are_picked_up(tmp_path: Path, argos_packages: ArgosPackages,
                                                      no_network) -> None:
    runner = GuardedRunner(tmp_path / "guard")
    store = tmp_path / "argos"
    translator = Translator(argos_dir=str(store))
    assert translator.translate("ajutor", "ro", "en").available is False
    install(runner, store, argos_packages.ro_en)
    assert translator.translate("ajutor", "ro", "en").text == "help"
    removed = runner.hotline("models", "--dir", str(store), "remove", "ro", "en")
    assert removed.returncode == 0
    after = translator.translate("ajutor", "ro", "en")
    assert after.available is False and after.text == "ajutor"
    translator.close()
    assert list(no_network) == [] and runner.attempts() == []


def test_package_without_sentence_model_uses_offline_splitter(tmp_path: Path, argos_packages: ArgosPackages,
                                                              no_network) -> None:
    """argos 1.11 would download MiniSBD (or, for stanza/ packages, fetch Stanza resources)."""
    runner = GuardedRunner(tmp_path / "guard")
    store = tmp_path / "argos"
    install(runner, store, argos_packages.build("ro", "en", Variant(sbd="none", version="2.0")))
    install(runner, store, argos_packages.build("en", "ro", Variant(sbd="stanza", version="2.0")))
    translator = Translator(argos_dir=str(store))
    assert translator.translate("ajutor. unde? bani", "ro", "en").text == "help. where? money"
    assert translator.translate("help! where", "en", "ro").text == "ajutor! unde"
    sentencizers = loaded_sentencizers()
    assert isinstance(sentencizers["ro-en"], PunctuationSentencizer)
    assert isinstance(sentencizers["en-ro"], PunctuationSentencizer)
    translator.close()
    assert list(no_network) == []


def test_shared_minisbd_model_is_used_offline(tmp_path: Path, argos_packages: ArgosPackages, no_network) -> None:
    runner = GuardedRunner(tmp_path / "guard")
    store = tmp_path / "argos"
    install(runner, store, argos_packages.build("ro", "en", Variant(sbd="none", version="2.1")))
    (store / "minisbd").mkdir(parents=True, exist_ok=True)
    (store / "minisbd" / "ro.onnx").write_bytes(build_minisbd_onnx("ro"))
    translator = Translator(argos_dir=str(store))
    assert translator.translate("ajutor! unde", "ro", "en").text == "help! where"
    sentencizer = loaded_sentencizers()["ro-en"]
    assert type(sentencizer).__name__ == "MiniSBDSentencizer" and sentencizer.lang == str(store / "minisbd" / "ro.onnx")
    translator.close()
    assert list(no_network) == []


def test_guard_catches_argos_default_sentence_splitter(tmp_path: Path, argos_packages: ArgosPackages,
                                                       no_network) -> None:
    """Proves the guard bites: argos's own splitter, without the service's fix, goes online."""
    runner = GuardedRunner(tmp_path / "guard")
    store = tmp_path / "argos"
    install(runner, store, argos_packages.build("ro", "en", Variant(sbd="none", version="3.0")))
    Translator(argos_dir=str(store)).translate("ajutor", "ro", "en")  # points argos at this store
    from argostranslate.package import Package
    from argostranslate.sbd import MiniSBDSentencizer

    unpatched = MiniSBDSentencizer(Package(store / "packages" / "ro_en"))
    with pytest.raises(Exception):
        unpatched.split_sentences("ajutor. unde")
    assert list(no_network), "the guard did not see argos's download attempt"
    no_network.clear()


def test_broken_model_does_not_break_the_conversation(tmp_path: Path, argos_packages: ArgosPackages,
                                                      no_network, caplog: pytest.LogCaptureFixture) -> None:
    runner = GuardedRunner(tmp_path / "guard")
    store = tmp_path / "argos"
    install(runner, store, argos_packages.build("ro", "en", Variant(version="4.0")))
    (store / "packages" / "ro_en" / "model" / "model.bin").write_bytes(b"damaged on disk")
    translator = Translator(argos_dir=str(store))
    secret = "numele meu este Ana si numarul 0712345678"
    with caplog.at_level(logging.DEBUG):
        result = translator.translate(secret, "ro", "en")
    assert result.available is False and result.text == secret and "failed" in result.notice
    assert "0712345678" not in caplog.text and "Ana" not in caplog.text
    translator.close()
    assert list(no_network) == []


def test_start_up_does_not_import_argostranslate(tmp_path: Path) -> None:
    """Creating the translator and answering for a pair without a model stays cheap."""
    code = (
        "import sys; from hotline.translation import get_translator\n"
        "t = get_translator(); r = t.translate('ajutor', 'ro', 'de')\n"
        "assert r.available is False and r.text == 'ajutor'\n"
        "assert 'argostranslate' not in sys.modules and 'torch' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={"HOTLINE_ARGOS_DIR": str(tmp_path / "argos"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("code, expected", [
    ("ro", "ro"), ("RO", "ro"), ("ro-RO", "ro"), ("pt_BR", "pb"), ("zh-Hant", "zt"),
    ("und", None), ("", None), (None, None), ("r0", None),
])
def test_language_codes_are_normalised(code, expected) -> None:
    assert normalise_code(code) == expected


def test_punctuation_splitter_keeps_all_text() -> None:
    assert split_sentences('Am nevoie de ajutor. Unde sunt? He said "stop." ok') == [
        "Am nevoie de ajutor.", "Unde sunt?", 'He said "stop."', "ok"]
    assert split_sentences("مرحبا؟ أين أنا") == ["مرحبا؟", "أين أنا"]
    assert split_sentences("3.5 euro") == ["3.5 euro"] and split_sentences("  ") == []
    long = "cuvant " * 200
    assert " ".join(split_sentences(long)) == long.strip() and all(len(p) <= 400 for p in split_sentences(long))


def test_forget_also_empties_argos_paragraph_cache(translator: Translator) -> None:
    import argostranslate.translate as argos

    translator.translate("bani acum", "ro", "en")
    caches = [e.cached_translation.cache for e in argos.installed_translates if e.package_key == "ro-en"]
    assert caches and "bani acum" in caches[0]
    translator.forget()
    assert all(not e.cached_translation.cache for e in argos.installed_translates)


def test_stray_folder_in_the_store_does_not_stop_translation(tmp_path: Path, argos_packages: ArgosPackages,
                                                             no_network) -> None:
    """argostranslate alone raises FileNotFoundError for a folder without metadata.json."""
    runner = GuardedRunner(tmp_path / "guard")
    store = tmp_path / "argos"
    install(runner, store, argos_packages.build("ro", "en", Variant(version="5.0")))
    (store / "packages" / "lost+found").mkdir()
    (store / "packages" / "copied-by-hand" / "model").mkdir(parents=True)
    translator = Translator(argos_dir=str(store))
    assert translator.translate("ajutor", "ro", "en").text == "help"
    listing = runner.hotline("models", "--dir", str(store), "list")
    assert listing.returncode == 0 and "ro    en    5.0" in listing.stdout
    translator.close()
    assert list(no_network) == []


def test_model_store_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from hotline.translation.layout import ArgosLayout

    monkeypatch.delenv("HOTLINE_ARGOS_DIR", raising=False)
    monkeypatch.delenv("HOTLINE_VAR_DIR", raising=False)
    assert ArgosLayout.from_env().root == Path(__file__).resolve().parents[1] / "var" / "argos"
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path / "var"))
    assert ArgosLayout.from_env().root == tmp_path / "var" / "argos"
    monkeypatch.setenv("HOTLINE_ARGOS_DIR", str(tmp_path / "models"))
    layout = ArgosLayout.from_env()
    assert layout.root == tmp_path / "models" and layout.packages == tmp_path / "models" / "packages"
    env = layout.argos_environment(threads=1)
    assert env["ARGOS_PACKAGES_DIR"] == str(layout.packages) and env["ARGOS_MODEL_PROVIDER"] == "OPENNMT"
    assert env["ARGOS_PACKAGE_INDEX"].startswith("file:") and env["ARGOS_INTRA_THREADS"] == "1"
