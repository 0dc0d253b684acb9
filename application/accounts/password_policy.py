"""The password policy of NIST SP 800-63B: a length range, no composition rules, and none of
the most common passwords.

A password is taken in Unicode NFKC form, as the guideline recommends, so that the same
password typed on another keyboard or input method (full-width letters, ligatures) hashes the
same. common_passwords.txt lists, lowercased and in order of frequency, the passwords of 8 to
128 characters in the list of 20,000 common passwords that Django ships
(django/contrib/auth/common-passwords.txt.gz, BSD licence, compiled by Royce Williams from
public breach corpora), after NFKC normalisation. To regenerate it: `pip download --no-deps
django`, unzip that file from the wheel, and keep the lines that normalise to 8-128 characters.
"""

from __future__ import annotations

import functools
import unicodedata
from importlib import resources

# NIST SP 800-63B: at least 8 characters, allow at least 64.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def normalised_password(password: str) -> str:
    """The password as it is hashed (NFKC); raises ValueError saying which rule it breaks,
    never quoting it."""
    if any(unicodedata.category(character) == "Cs" for character in password):
        # A lone surrogate is not a character: no encoding, so no hash, can hold it.
        raise ValueError("contains an invalid character (a lone UTF-16 surrogate)")
    normalised = unicodedata.normalize("NFKC", password)
    length = len(normalised)
    if not MIN_PASSWORD_LENGTH <= length <= MAX_PASSWORD_LENGTH:
        raise ValueError(
            f"must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, got {length}"
        )
    if normalised.lower() in _common_passwords():
        raise ValueError("is one of the most common passwords, which attackers try first")
    return normalised


@functools.cache
def _common_passwords() -> frozenset[str]:
    # Read on first use, so that a command that never checks a password never loads the list.
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(text.splitlines())
