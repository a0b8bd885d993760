"""Which interface languages are offered to a user.

Every compiled catalogue can be used (tracker.i18n), but a user is offered a language (the
switch, ``?lang=``, an account's language, the command line's ``--lang``) only once its
catalogue translates at least ``UPR_TRACKER_MIN_TRANSLATED`` percent of the template's
messages (default 95): below that the "translated" interface is mostly English, which reads
as broken. The shares are counted once per process from the compiled files.
"""

from __future__ import annotations

from tracker import i18n, settings


def offered_languages() -> tuple[str, ...]:
    """English plus every language whose compiled catalogue is complete enough."""
    minimum = float(settings.value(settings.MIN_TRANSLATED)) / 100
    shares = i18n.translated_shares(i18n.LOCALE_DIR)
    return (i18n.DEFAULT_LANGUAGE, *(lang for lang, share in shares.items() if share >= minimum))


def use_language(lang: str | None) -> str:
    """Use the language a user asked for (the URL, an account, ``--lang``) in this context
    when it is offered, else English; returns the one in force."""
    return i18n.set_language(lang if lang in offered_languages() else None)


__all__ = ["offered_languages", "use_language"]
