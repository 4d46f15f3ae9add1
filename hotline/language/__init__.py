"""Language identification and explicit language choice.

Two entry points, both pure and offline:

- :func:`hotline.language.detect.detect_language` guesses the language of one message and says
  whether it is strong enough evidence to change a conversation's sticky language;
- :func:`hotline.language.choice.parse_language_choice` recognises a person *choosing* a language
  ("romana", "po polsku", "3" when the menu is open).

An explicit choice always wins over detection; detection only fills the gap and is guarded so
that "ok", "1", "STOP", emoji or a name never flip the conversation (docs/CONTRACTS.md,
/work/shared/domain/anchors-notes.md section 7.3).
"""
