# SPDX-License-Identifier: GPL-2.0-or-later
"""Post text as X handles it: URLs (t.co wrapping happens in model.py), mentions, hashtags and
cashtags with indices in Unicode code points, weighted length per twitter-text v3 (approximate
emoji handling), and a rough language guess."""

import re
import unicodedata

URL_RE = re.compile(r'https?://[^\s<>"\u3000\u200b]+', re.I)
MENTION_RE = re.compile(r'(?<![A-Za-z0-9_!@#$%&*\uff20])[@\uff20]([A-Za-z0-9_]{1,15})'
                        r'(?![A-Za-z0-9_@\uff20])')
HASHTAG_RE = re.compile(r'(?<![\w&#\uff03])[#\uff03](\w+)')
CASHTAG_RE = re.compile(r'(?<![\w$])\$([A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?)(?![\w$])')
STATUS_URL_RE = re.compile(r'https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/'
                           r'(?:[A-Za-z0-9_]{1,15}|i/web)/status(?:es)?/(\d{1,19})', re.I)


def find_urls(text):
    out = []
    for m in URL_RE.finditer(text):
        u = m.group(0)
        while u and u[-1] in '.,;:!?\'"]}\u2026>':
            u = u[:-1]
        while u.endswith(')') and u.count('(') < u.count(')'):
            u = u[:-1]
        if len(u) > len('https://'):
            out.append((m.start(), m.start() + len(u), u))
    return out


def display_url(u):
    d = re.sub(r'^https?://', '', u, flags=re.I)
    d = re.sub(r'^www\.', '', d, flags=re.I)
    return d if len(d) <= 35 else d[:35] + '\u2026'


_W100 = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def _is_emoji(cp):
    return (cp >= 0x1F000 and cp <= 0x1FAFF) or 0x2600 <= cp <= 0x27BF or \
        0x2B00 <= cp <= 0x2BFF or 0x1F1E6 <= cp <= 0x1F1FF


def _emoji_extender(cp):
    return cp in (0xFE0F, 0xFE0E, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF or \
        0xE0020 <= cp <= 0xE007F


def ch_is_keycap(text, i):
    """'1', '#', '*' followed by an optional U+FE0F and U+20E3."""
    if text[i] not in '0123456789#*':
        return False
    rest = text[i + 1:i + 3]
    return rest[:1] == '\u20e3' or rest == '\ufe0f\u20e3'


def weighted_length(text):
    """twitter-text v3: URLs 23, weight-100 ranges count 1, the rest 2, one
    emoji sequence 2.  Returns (length, valid_chars)."""
    text = unicodedata.normalize('NFC', text)
    urls = {s: e for s, e, _u in find_urls(text)}
    total, i, n, ok = 0, 0, len(text), True
    while i < n:
        if i in urls:
            total += 2300
            i = urls[i]
            continue
        cp = ord(text[i])
        if cp in (0xFFFE, 0xFEFF, 0xFFFF):
            ok = False
        keycap = ch_is_keycap(text, i)
        if _is_emoji(cp) or keycap:
            total += 200
            ri = 0x1F1E6 <= cp <= 0x1F1FF
            i += 1
            while i < n:
                c = ord(text[i])
                if _emoji_extender(c):
                    i += 1
                elif c == 0x200D and i + 1 < n:
                    i += 2
                elif ri and 0x1F1E6 <= c <= 0x1F1FF:
                    ri = False
                    i += 1
                else:
                    break
            continue
        total += 100 if any(a <= cp <= b for a, b in _W100) else 200
        i += 1
    return total // 100, ok


def guess_lang(text):
    body = URL_RE.sub('', text)
    body = MENTION_RE.sub('', body)
    body = HASHTAG_RE.sub('', body)
    letters = [c for c in body if c.isalpha()]
    if not letters:
        return 'zxx'
    def share(lo, hi):
        return sum(1 for c in letters if lo <= ord(c) <= hi) / len(letters)
    if share(0x3040, 0x30FF) > 0.1:
        return 'ja'
    if share(0xAC00, 0xD7AF) > 0.3:
        return 'ko'
    if share(0x4E00, 0x9FFF) > 0.3:
        return 'zh'
    if share(0x0400, 0x04FF) > 0.3:
        return 'ru'
    if share(0x0600, 0x06FF) > 0.3:
        return 'ar'
    return 'en'
