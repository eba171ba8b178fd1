"""The Bahasa Indonesia catalogue: complete, compiled, and used by the pages."""

import ast
import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "id" / "LC_MESSAGES"
PO_FILE = CATALOGUE / "django.po"
MO_FILE = CATALOGUE / "django.mo"

# A %-style placeholder such as %(name)s, %(distance).1f or %s, or the
# escaped percent sign %%. The space flag is left out on purpose: xgettext
# reads "(% of price)" in a verbose name as the directive "% o", which
# is never formatted, and no string of ours uses that flag.
PERCENT_PLACEHOLDER = re.compile(
    r"%(?:\(\w+\))?[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]"
)
NAMED_PLACEHOLDER = re.compile(r"%\(\w+\)[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACE_PLACEHOLDER = re.compile(r"\{\{?\s*\w+\s*\}?\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        """The msgid as gettext stores it, prefixed by its context if any."""
        if self.msgctxt is None:
            return self.msgid
        return f"{self.msgctxt}\x04{self.msgid}"


def read_po(path: Path) -> list[Entry]:
    """Parse the active entries of a .po file, skipping obsolete (#~) ones."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, target
        if entry.line:
            entries.append(entry)
        entry, target = Entry(), None

    keyword = re.compile(
        r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$'
    )
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            # A comment after the strings of an entry starts the next entry.
            if target is not None:
                finish()
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        match = keyword.match(line)
        if match:
            name, index, literal = match.groups()
            if name in ("msgctxt", "msgid") and target and target[0] == "msgstr":
                finish()
            value = ast.literal_eval(literal)
            if name == "msgstr":
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = value
            else:
                target = (name, 0)
                setattr(entry, name, value)
                entry.line = entry.line or number
            continue
        if line.startswith('"') and target is not None:
            value = ast.literal_eval(line)
            if target[0] == "msgstr":
                entry.msgstr[target[1]] += value
            else:
                setattr(entry, target[0], getattr(entry, target[0]) + value)
            continue
        raise ValueError(f"{path}:{number}: invalid .po line {raw!r}")
    finish()
    return entries


def messages() -> list[Entry]:
    """Return every entry except the header."""
    return [entry for entry in read_po(PO_FILE) if entry.msgid]


def describe(entry: Entry) -> str:
    return f"line {entry.line}: {entry.msgid!r}"


def placeholders(text: str, percent_format: bool) -> Counter[str]:
    pattern = PERCENT_PLACEHOLDER if percent_format else NAMED_PLACEHOLDER
    found = pattern.findall(text) + BRACE_PLACEHOLDER.findall(text)
    # A translation may repeat or drop a repeated name, so compare which
    # placeholders occur, except that the escaped percent sign must be kept.
    counts = Counter(set(found))
    counts["%%"] = text.count("%%") if percent_format else 0
    return counts


def test_header_declares_indonesian_plurals():
    header = next(entry for entry in read_po(PO_FILE) if not entry.msgid)

    assert "Language: id\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert "fuzzy" not in header.flags


def test_catalogue_has_messages():
    # Guards the other tests against passing on an empty or misread file.
    assert len(messages()) > 100


def test_catalogue_has_no_untranslated_entries():
    untranslated = [
        describe(entry)
        for entry in messages()
        if not entry.msgstr or not all(entry.msgstr.values())
    ]

    assert untranslated == []


def test_catalogue_has_no_fuzzy_entries():
    fuzzy = [describe(entry) for entry in messages() if "fuzzy" in entry.flags]

    assert fuzzy == []


def test_plural_entries_have_one_form():
    wrong = [
        describe(entry)
        for entry in messages()
        if entry.msgid_plural is not None and sorted(entry.msgstr) != [0]
    ]

    assert wrong == []


def test_placeholders_match_source():
    wrong = []
    for entry in messages():
        percent_format = "python-format" in entry.flags
        # With one plural form, msgstr[0] is used for every count, so it
        # carries the placeholders of the plural source.
        source = entry.msgid_plural or entry.msgid
        expected = placeholders(source, percent_format)
        for index, msgstr in entry.msgstr.items():
            if placeholders(msgstr, percent_format) != expected:
                wrong.append(f"{describe(entry)} msgstr[{index}] {msgstr!r}")

    assert wrong == []


def test_markup_matches_source():
    wrong = [
        describe(entry)
        for entry in messages()
        for msgstr in entry.msgstr.values()
        if sorted(HTML_TAG.findall(msgstr)) != sorted(HTML_TAG.findall(entry.msgid))
    ]

    assert wrong == []


def test_compiled_catalogue_matches_po():
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = compiled._catalog  # type: ignore[attr-defined]

    stale = []
    expected_keys: set[object] = {""}
    for entry in messages():
        if entry.msgid_plural is None:
            keys: list[object] = [entry.key]
            found = [catalog.get(entry.key)]
        else:
            keys = [(entry.key, index) for index in entry.msgstr]
            found = [catalog.get(key) for key in keys]
        expected_keys.update(keys)
        if found != [entry.msgstr[index] for index in sorted(entry.msgstr)]:
            stale.append(describe(entry))
    extra = [key for key in catalog if key not in expected_keys]

    assert stale == [], "run: manage.py compilemessages --ignore=.venv"
    assert extra == [], "run: manage.py compilemessages --ignore=.venv"


def choose_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302


PAGES = {
    "home": (
        ["Walker terverifikasi untuk anjing Anda", "Daftar dan pesan"],
        ["Verified walkers for your dog", "Sign up and book"],
    ),
    "account_login": (
        ["Lupa kata sandi Anda?", "Ingat Saya", "Semua waktu dalam WIB"],
        ["Forgot your password?", "Remember Me", "All times are WIB"],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", PAGES)
def test_page_in_indonesian_by_default(client, url_name):
    indonesian, english = PAGES[url_name]

    html = client.get(reverse(url_name)).content.decode()

    assert '<html lang="id">' in html
    for text in indonesian:
        assert text in html
    for text in english:
        assert text not in html


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", PAGES)
def test_page_in_english_after_choosing_english(client, url_name):
    indonesian, english = PAGES[url_name]
    choose_english(client)

    html = client.get(reverse(url_name)).content.decode()

    assert '<html lang="en">' in html
    for text in english:
        assert text in html
    for text in indonesian:
        assert text not in html


BOOKING_FORM_INDONESIAN = [
    "Pesan jalan-jalan",
    "Jam mulai (WIB)",
    "Gunakan lokasi saya",
    "Catatan untuk walker Anda",
    "Pesan sekarang",
]
BOOKING_FORM_ENGLISH = [
    "Book a walk",
    "Start time (WIB)",
    "Use my location",
    "Notes for your walker",
    "Book now",
]


def test_booking_form_in_indonesian_by_default(owner_client, dog):
    html = owner_client.get(reverse("bookings:create")).content.decode()

    assert '<html lang="id">' in html
    for text in BOOKING_FORM_INDONESIAN:
        assert text in html
    for text in BOOKING_FORM_ENGLISH:
        assert text not in html


def test_booking_form_in_english_after_choosing_english(owner_client, dog):
    choose_english(owner_client)

    html = owner_client.get(reverse("bookings:create")).content.decode()

    assert '<html lang="en">' in html
    for text in BOOKING_FORM_ENGLISH:
        assert text in html
    for text in BOOKING_FORM_INDONESIAN:
        assert text not in html
