#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 15 item 2 and issue 16 item 5: the plugin speaks German, French and Spanish, from its
own text domain ("twinbird"), never the host's.

Catalogs: every po/<lang>.po named in po/LINGUAS (de, es and fr at least) compiles with
`msgfmt --check --statistics`, nothing fuzzy or untranslated, and holds exactly the messages of
po/twinbird.pot; the .pot is what xgettext makes of po/POTFILES.in now, with the keywords of
meson's glib preset (what `meson compile -C build twinbird-pot` runs); POTFILES.in names every
file under plugin/ that marks a string; each such file takes _() from <glib/gi18n-lib.h>, which
looks in GETTEXT_PACKAGE's domain, and the plugin never sets the host's default domain; meson
installs each catalog where the plugin binds its domain (TB_LOCALEDIR).

Host: tb-host under LANGUAGE=de and LANGUAGE=fr (LC_ALL=C.UTF-8, which glibc has built in, so
no locale is generated), with --localedir pointing at the build tree's catalogs, build/po/ (the
plugin's own bindtextdomain call gets that directory: tests/host/tb-host.c). It shows, as the
catalog says: account option labels (translated when the plugin initialises), a bad account
option refused by core/ ("dm_interval" named as it is), an unreadable answer of X built by api/
while signing in and the retry notice around it, the `help` list, and the tagged line of a DM
sent from another app, its tag "[work @pat_work]" as it is. Every other test runs tb-host in
the C locale and reads English."""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from tbharness import contains, has  # noqa: E402

PO_DIR = os.path.join(h.SOURCE_ROOT, 'po')
POT = os.path.join(PO_DIR, 'twinbird.pot')
POTFILES = os.path.join(PO_DIR, 'POTFILES.in')
PLUGIN_SRC = os.path.join(h.SOURCE_ROOT, 'plugin')
DOMAIN = 'twinbird'
LANGUAGES = ('de', 'es', 'fr')  # complete, by issue 15

# A call that marks a string for xgettext (meson's glib preset and xgettext's own C keywords).
MARKS = re.compile(r'(?<![A-Za-z0-9_])(?:N?_|C_|NC_|Q_|g_dngettext|dngettext|ngettext)\s*\(')
# Calls that look in the default domain, the host's (Pidgin's "pidgin"), not the plugin's.
HOST_DOMAIN_CALLS = re.compile(r'(?<![A-Za-z0-9_])(?:gettext|ngettext)\s*\(')
# Known, and to be g_dngettext(GETTEXT_PACKAGE, ...) once plugin/purple/ is free to edit: these
# plural messages are translated in the catalogs but shown in English. No new file may join.
KNOWN_HOST_DOMAIN_CALLS = set()


def read_po(path):
    """The entries of a .po or .pot file: dicts with msgctxt, msgid, msgid_plural (when set),
    msgstr (index -> text) and flags; obsolete (#~) entries are left out."""
    entries, cur, field = [], None, None

    def flush():
        if cur is not None and 'msgid' in cur:
            entries.append(cur)

    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line.strip():
                flush()
                cur, field = None, None
                continue
            if line.startswith('#~'):
                continue
            if cur is None:
                cur = {'flags': [], 'msgstr': {}}
            if line.startswith('#,'):
                cur['flags'] += [x.strip() for x in line[2:].split(',')]
            elif line.startswith('#'):
                continue
            elif line.startswith('"'):
                text = ast.literal_eval(line)
                if field[0] == 'msgstr':
                    cur['msgstr'][field[1]] += text
                else:
                    cur[field[0]] += text
            else:
                key, rest = line.split(' ', 1)
                m = re.match(r'msgstr(?:\[(\d+)\])?$', key)
                field = ('msgstr', int(m.group(1) or 0)) if m else (key, None)
                if m:
                    cur['msgstr'][field[1]] = ast.literal_eval(rest)
                else:
                    cur[key] = ast.literal_eval(rest)
    flush()
    return entries


def keys(entries):
    """What identifies a message: (context, msgid, plural); the header (msgid "") left out."""
    return {(e.get('msgctxt'), e['msgid'], e.get('msgid_plural')) for e in entries if e['msgid']}


def linguas():
    with open(os.path.join(PO_DIR, 'LINGUAS'), encoding='utf-8') as f:
        return [w for line in f if not line.lstrip().startswith('#') for w in line.split()]


def potfiles():
    with open(POTFILES, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip() and not line.lstrip().startswith('#')]


def plugin_sources():
    """plugin/**/*.c and *.h, relative to the source root."""
    out = []
    for d, _, files in os.walk(PLUGIN_SRC):
        for name in files:
            if name.endswith(('.c', '.h')):
                out.append(os.path.relpath(os.path.join(d, name), h.SOURCE_ROOT))
    return sorted(out)


def read_source(rel):
    with open(os.path.join(h.SOURCE_ROOT, rel), encoding='utf-8') as f:
        return f.read()


def without_comments_and_strings(code):
    code = re.sub(r'/\*.*?\*/', ' ', code, flags=re.S)
    code = re.sub(r'//[^\n]*', ' ', code)
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', code)


class Catalogs(unittest.TestCase):

    def test_every_catalog_compiles_complete(self):
        self.assertLessEqual(set(LANGUAGES), set(linguas()), 'po/LINGUAS')
        pot = keys(read_po(POT))
        self.assertGreater(len(pot), 150, 'po/twinbird.pot looks empty')
        for lang in linguas():
            with self.subTest(lang=lang):
                path = os.path.join(PO_DIR, lang + '.po')
                r = subprocess.run(['msgfmt', '--check', '--statistics', '-o', os.devnull, path],
                                   capture_output=True, text=True, env=h.base_env(LC_ALL='C'))
                stats = (r.stdout + r.stderr).strip()
                self.assertEqual(r.returncode, 0, stats)
                self.assertNotIn('fuzzy', stats)
                self.assertNotIn('untranslated', stats)
                m = re.search(r'(\d+) translated message', stats)
                self.assertIsNotNone(m, stats)
                entries = read_po(path)
                self.assertEqual(keys(entries), pot,
                                 '%s.po is not merged with twinbird.pot (meson compile -C build '
                                 'twinbird-update-po, then translate)' % lang)
                self.assertEqual(int(m.group(1)), len(pot), stats)
                empty = [e['msgid'] for e in entries
                         if e['msgid'] and not all(e['msgstr'].values())]
                self.assertEqual(empty, [], 'untranslated plural forms in %s.po' % lang)

    def test_pot_is_what_the_sources_say(self):
        try:
            from mesonbuild.modules.i18n import PRESET_ARGS  # Debian's meson, /usr/bin/python3
        except ImportError as e:
            self.fail('cannot read the keywords of meson\'s glib preset: %s' % e)
        tmp = tempfile.mkdtemp(prefix='tb-pot-')
        self.addCleanup(shutil.rmtree, tmp, True)
        fresh = os.path.join(tmp, DOMAIN + '.pot')
        # the command meson's `twinbird-pot` target runs (mesonbuild/scripts/gettext.py)
        cmd = ['xgettext', '--package-name=' + DOMAIN, '-p', tmp, '-f', POTFILES,
               '-D', h.SOURCE_ROOT, '-k_', '-o', fresh] + PRESET_ARGS['glib']
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=h.SOURCE_ROOT)
        self.assertEqual(r.returncode, 0, r.stderr)
        want, have = keys(read_po(fresh)), keys(read_po(POT))
        hint = ('po/twinbird.pot is not up to date with the sources: meson compile -C build '
                'twinbird-pot twinbird-update-po, translate the new messages, commit')
        self.assertEqual(sorted(want - have, key=str), [], 'missing from the .pot; ' + hint)
        self.assertEqual(sorted(have - want, key=str), [], 'no longer in the sources; ' + hint)

    def test_potfiles_lists_every_source_that_marks_strings(self):
        listed = potfiles()
        for rel in listed:
            self.assertTrue(os.path.isfile(os.path.join(h.SOURCE_ROOT, rel)),
                            'po/POTFILES.in names %s, which does not exist' % rel)
        marking = [rel for rel in plugin_sources()
                   if MARKS.search(without_comments_and_strings(read_source(rel)))]
        self.assertGreater(len(marking), 10)
        self.assertEqual(sorted(set(marking) - set(listed)), [],
                         'these mark strings but po/POTFILES.in does not list them')

    def test_strings_are_looked_up_in_the_plugins_domain(self):
        host_domain = []
        for rel in plugin_sources():
            code = without_comments_and_strings(read_source(rel))
            with self.subTest(source=rel):
                self.assertNotIn('<glib/gi18n.h>', read_source(rel),
                                 'gi18n.h looks in the host\'s domain: use gi18n-lib.h')
                self.assertIsNone(re.search(r'(?<![A-Za-z0-9_])textdomain\s*\(', code),
                                  'a plugin never sets the host\'s default domain')
                if MARKS.search(code):
                    self.assertIn('#include <glib/gi18n-lib.h>', read_source(rel))
                if HOST_DOMAIN_CALLS.search(code):
                    host_domain.append(rel)
        self.assertLessEqual(set(host_domain), KNOWN_HOST_DOMAIN_CALLS,
                             'gettext()/ngettext() look in the host\'s domain: use _() or '
                             'g_dngettext(GETTEXT_PACKAGE, ...)')

    def test_catalogs_are_installed_where_the_plugin_looks(self):
        with open(os.path.join(h.BUILD_ROOT, 'tb-build-config.h'), encoding='utf-8') as f:
            m = re.search(r'#define TB_LOCALEDIR "([^"]*)"', f.read())
        self.assertIsNotNone(m, 'TB_LOCALEDIR in tb-build-config.h')
        with open(os.path.join(h.BUILD_ROOT, 'meson-info', 'intro-installed.json'),
                  encoding='utf-8') as f:
            installed = json.load(f)
        for lang in linguas():
            with self.subTest(lang=lang):
                built = os.path.join(h.PO_BUILD_DIR, lang, 'LC_MESSAGES', DOMAIN + '.mo')
                self.assertTrue(os.path.isfile(built), built + ' is not built')
                self.assertEqual(installed.get(built),
                                 os.path.join(m.group(1), lang, 'LC_MESSAGES', DOMAIN + '.mo'))


class TranslatedHost(h.E2ETestCase):
    """@pat_work (role work) signs in and is used; @pat_bad has dm_interval 0; the first
    GET /2/users/me of @pat_side gets a 200 whose body is not JSON."""

    TAG = '[work @pat_work]'

    @classmethod
    def setUpClass(cls):
        cls.catalogs = {}
        for lang in LANGUAGES:
            cat = {}
            for e in read_po(os.path.join(PO_DIR, lang + '.po')):
                cat[e['msgid']] = e['msgstr']
            cls.catalogs[lang] = cat

    def tr(self, lang, msgid):
        """The catalog's translation, which must differ from the English."""
        text = self.catalogs[lang][msgid][0]
        self.assertNotEqual(text, msgid, 'not a test of %s: %r reads the same' % (lang, msgid))
        return text

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        self.work = self.x.add_user('pat_work', 'Pat at Work', token='tok-pat-work')['id']
        self.x.add_user('pat_side', 'Pat on the side', token='tok-pat-side')
        self.x.add_user('alice', 'Alice')

    def start(self, lang):
        self.x.fault('malformed', path='^/2/users/me$', token='tok-pat-side')
        polled = {'dm_interval': 1, 'mention_interval': 1, 'mutuals_cap': 0}
        accounts = [h.account('pat_work', 'tok-pat-work', self.x.api_base, role='work', **polled),
                    h.account('pat_bad', 'tok-pat-bad', self.x.api_base, dm_interval=0),
                    h.account('pat_side', 'tok-pat-side', self.x.api_base, role='side',
                              **polled)]
        host = self.host(accounts, env={'LANGUAGE': lang},
                         args=['--localedir', h.PO_BUILD_DIR, '--no-reconnect'], name=lang)
        host.wait_for({'event': 'signed-on', 'account': 'pat_work'}, 15)
        return host

    def check_language(self, lang):
        host = self.start(lang)

        # labels: translated while the plugin initialises, so from its own bindtextdomain call
        prpl = host.find({'event': 'prpl', 'id': h.PROTOCOL})[0]
        labels = {o['key']: o['text'] for o in prpl['options']}
        self.assertEqual(labels['dm_interval'], self.tr(lang, 'Seconds between DM checks'))
        self.assertEqual(labels['role'], self.tr(lang, 'Role (personal, work or your own label)'))

        # core/: a bad option, the key as it is
        err = host.wait_for({'event': 'connection-error', 'account': 'pat_bad'}, 10)
        self.assertEqual(err['reason_name'], 'INVALID_SETTINGS', err)
        self.assertEqual(err['description'],
                         self.tr(lang, 'Account option %s: %d is out of range (%d to %d seconds)')
                         % ('dm_interval', 0, 1, 86400))

        # api/: X's unreadable answer while signing in, inside purple/'s retry notice
        unreadable = self.tr(lang, 'X sent an unreadable answer (HTTP %d): %s') % (200, '')
        retry = self.tr(lang, '%s; trying again in %u s').split('%s', 1)[1].split('%u')[0]
        host.wait_for({'event': 'connection-progress', 'account': 'pat_side',
                       'text': contains(unreadable, retry)}, 10,
                      what='the retry notice of an unreadable answer, in %s' % lang)
        host.wait_for({'event': 'signed-on', 'account': 'pat_side'}, 15)

        # the command help, in the own-buddy conversation
        since = host.mark()
        host.send('send-im', account='pat_work', to='pat_work', text='help')
        intro = self.tr(lang, 'Twinbird commands for @%s (%s) — type them in any of its '
                        'conversations (prefix ! to be explicit; in Pidgin and Finch also '
                        '/command). Text typed in a mention thread replies; "nick: text" replies '
                        'to that person\'s last post.') % ('pat_work', 'work')
        usages = [self.tr(lang, u) for u in ('post <text>: post from this account',
                                             'retry [oN]: send again what X did not accept',
                                             'help [command]: this list')]
        e = host.wait_for({'event': 'write-conv', 'account': 'pat_work', 'conv': 'pat_work',
                           'flags': has('system'), 'plain': contains(intro, *usages)}, 10,
                          since=since, what='the help list in %s' % lang)
        self.assertTrue(e['plain'].startswith(intro), e['plain'])

        # the tag notice: Pat answers alice from the phone; shown tagged, the tag untranslated
        h.wait_first_polls(self.x, self.work, 'tok-pat-work', 10)
        self.x.dm('alice', 'pat_work', 'are you there?')
        host.wait_for({'event': 'received-im', 'account': 'pat_work', 'who': 'alice'}, 10)
        text = 'sent from the phone in %s' % lang
        dm = self.x.dm('pat_work', 'alice', text)
        line = self.tr(lang, '%s %s (DM %s, sent from another app)') % (self.TAG, text, dm['id'])
        e = host.wait_for({'event': 'write-conv', 'account': 'pat_work', 'conv': 'alice',
                           'plain': contains(text)}, 10, what='the tagged DM in %s' % lang)
        self.assertEqual(e['plain'], line)
        self.assertIn('send', e['flags'])
        host.quit()

    def test_german(self):
        self.check_language('de')

    def test_french(self):
        self.check_language('fr')


if __name__ == '__main__':
    h.main()
