#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 6 items 2, 3 and 4 in the headless libpurple host (tb-host, an unknown UI: HTML mode)
against the simulated X API; one account, pat_home, polled every second.

Too long: a post over 280 weighted characters is refused before anything is sent, with the
count; URLs count 23; with long_posts=thread it is posted as a numbered thread of replies, in
order, each part tagged when X confirms it; a failed part is named, the later parts are kept and
`!retry oN` posts the rest once. Incoming: t.co links expanded, note_tweet text for long posts,
quotes and reposts shown with their author and text. Injection: HTML, X's entities, IRC control
characters, line breaks and a right-to-left override in DMs, mentions and display names arrive
escaped in the HTML and legible in its plain text, with nothing that acts on the client."""

import html as htmllib
import json
import os
import re
import sys
import time
import unicodedata
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from tbharness import contains, has  # noqa: E402

HOME = 'pat_home'
TOKEN = 'tok-pat-home'
TAG = '[personal @pat_home]'
WAIT = 10  # seconds for anything a 1-second poll should bring
MAX = 280

# 146 CJK ideographs: weight 2 each in twitter-text v3, 292 in all.
CJK_292 = ''.join(chr(0x4E00 + (i * 7) % 500) for i in range(146))

# What strangers put in tweets, DMs and display names.
SCRIPT = '<script>alert(1)</script>'
JS_LINK = '<a href="javascript:alert(1)">x</a>'
QA = '<Q&A>'
CTCP = '\x01ACTION x\x01'
COLOUR = '\x034,12red'
CRLF_LINE = '\r\nPRIVMSG #x :pwned'
RLO = '\u202e'
EVIL_NAME = 'Eve %s %s %s%sevil%s' % (SCRIPT, CTCP, RLO, COLOUR, CRLF_LINE)

# Tags the HTML of a line may hold: only Twinbird's own links to the web and line breaks.
ALLOWED_TAG = re.compile(r'^(<a href="https?://[^"<>\s]+">|</a>|<br>)$')
# Characters that act instead of being read: C0/C1 controls, bidi embeddings/overrides/isolates.
ACTING = re.compile('[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]')


def weighted_length(text):
    """twitter-text v3, computed here without the plugin: NFC, code points weigh 1 in the
    ranges below and 2 elsewhere, every http(s) URL 23 (the texts used here have no emoji)."""
    text = unicodedata.normalize('NFC', text)
    n, pos = 0, 0
    for m in re.finditer(r'https?://\S+', text):
        n += _weigh(text[pos:m.start()]) + 23
        pos = m.end()
    return n + _weigh(text[pos:])


def _weigh(s):
    light = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
    return sum(1 if any(a <= ord(c) <= b for a, b in light) else 2 for c in s)


def visible(markup):
    """What a reader of HTML sees: tags gone, <br> a line break, entities decoded once (the
    host's own `plain` comes from libpurple's purple_markup_strip_html, which shows a link's
    target after its text and decodes &amp;lt; twice)."""
    text = re.sub(r'<br>', '\n', markup)
    return htmllib.unescape(re.sub(r'<[^>]*>', '', text))


class TextHost(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)  # the tests poll every second on purpose
        self.me = self.x.add_user(HOME, 'Pat', token=TOKEN)
        self.users = {u: self.x.add_user(u, u.capitalize() + ' Example')
                      for u in ('alice', 'bob')}

    # -- helpers --------------------------------------------------------------------------------

    def start_host(self, **settings):
        acct = h.account(HOME, TOKEN, self.x.api_base, dm_interval=1, mention_interval=1,
                         **settings)
        host = h.Host([acct], logdir=self.logdir).start()
        host.wait_for({'event': 'signed-on', 'account': HOME}, 15)
        h.wait_first_polls(self.x, self.me['id'], TOKEN, WAIT)
        return host

    def posts(self):
        """What X accepted through the API, oldest first (DMs aside)."""
        return [p for p in self.x.posted() if p['kind'] != 'dm']

    def post_requests(self):
        return self.x.requests_to('/2/tweets', method='POST')

    def post(self, host, text):
        """Typed in the own buddy's conversation: a post."""
        host.send('send-im', account=HOME, to=HOME, text=text)

    def echo(self, host, text, since):
        return host.wait_for({'event': 'write-conv', 'account': HOME, 'flags': has('send'),
                              'plain': contains(TAG + ' ' + text)}, WAIT, since=since,
                             what='tagged echo of %r' % text)

    def refusal(self, host, since, *parts):
        e = host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': HOME,
                           'plain': contains('Not sent from @pat_home', *parts)}, WAIT,
                          since=since, what='the refusal naming %r' % (parts,))
        self.assertNotIn('send', e['flags'], 'a refusal must not look like a sent post: %r' % e)
        return e

    def api(self, method, path, token, body):
        """A request to the API port as another X user would make it from X's own app."""
        req = urllib.request.Request(self.x.api_base + path, method=method,
                                     data=json.dumps(body).encode(),
                                     headers={'Authorization': 'Bearer ' + token,
                                              'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def check_thread(self, host, text, posts, since, first_kind='tweet', first_parent=None):
        """posts (as X stored them, in order) are text as a numbered thread of replies, each
        within 280, from pat_home's token, each echoed with the tag and its own link."""
        n = len(posts)
        self.assertGreaterEqual(n, 2, posts)
        bodies = []
        for i, p in enumerate(posts, 1):
            raw = p['raw_text']
            suffix = ' (%d/%d)' % (i, n)
            self.assertTrue(raw.endswith(suffix), 'part %d is not numbered: %r' % (i, raw))
            self.assertLessEqual(weighted_length(raw), MAX, 'part %d too long: %r' % (i, raw))
            self.assertEqual((p['token'], p['username']), (TOKEN, HOME), p)
            if i == 1:
                self.assertEqual(p['kind'], first_kind, p)
                self.assertEqual(p.get('in_reply_to_tweet_id'), first_parent, p)
            else:
                self.assertEqual(p['kind'], 'reply', p)
                self.assertEqual(p['in_reply_to_tweet_id'], posts[i - 2]['id'],
                                 'part %d does not answer part %d' % (i, i - 1))
            bodies.append(raw[:-len(suffix)])
            e = self.echo(host, raw, since)
            self.assertIn('https://x.com/pat_home/status/%s' % p['id'], e['plain'])
        sep = '' if ' ' not in text else ' '
        self.assertEqual(sep.join(bodies), text, 'the parts do not add up to the text')
        seqs = [p['seq'] for p in posts]
        self.assertEqual(seqs, sorted(seqs), 'parts posted out of order')

    def assert_harmless_html(self, event, *legible):
        """The HTML written holds only Twinbird's own tags and no acting characters; its plain
        text (what a reader sees) still holds each of legible literally."""
        html, plain = event['text'], visible(event['text'])
        for tag in re.findall(r'<[^>]*>?', html):
            self.assertRegex(tag, ALLOWED_TAG, 'markup from X reached the HTML unescaped: %r '
                             'in %r' % (tag, html))
        self.assertNotRegex(html.lower(), r'<script|href="javascript:|href=\'javascript:')
        for what, s in (('HTML', html), ('plain text', plain)):
            self.assertIsNone(ACTING.search(s), 'an acting character in the %s: %r' % (what, s))
        for part in legible:
            self.assertIn(part, plain, 'not legible in what the reader sees')

    def assert_clean_name(self, name, what):
        self.assertIsInstance(name, str, what)
        self.assertIsNone(ACTING.search(name), '%s carries an acting character: %r' % (what, name))
        self.assertNotIn('\n', name, what)

    # -- item 2: too long -----------------------------------------------------------------------

    def test_too_long_is_refused_with_the_count_and_urls_count_23(self):
        self.assertEqual(weighted_length(CJK_292), 292)
        host = self.start_host()
        since = host.mark()
        self.post(host, CJK_292)
        e = self.refusal(host, since, 'too long for X: 292/280 characters')
        self.assertIn('long_posts', e['plain'], 'the refusal names the option that threads')

        # a URL counts 23 however long it is: 257 + 1 + 23 = 281 is refused ...
        url = 'https://example.com/' + 'p' * 100 + '?q=1'
        over = 'a' * 257 + ' ' + url
        self.assertEqual(weighted_length(over), 281)
        since = host.mark()
        self.post(host, over)
        self.refusal(host, since, 'too long for X: 281/280 characters')
        self.assertEqual(self.posts(), [])

        # markup alone (a pasted image in Pidgin) leaves nothing: kept with its id, as it
        # arrived, and no command ever posts it as it is
        since = host.mark()
        pasted = '<img src="file:///tmp/cat.png" id="7"> <b> </b>'
        host.send('send-im', account=HOME, to=HOME, raw=True, text=pasted)
        e = self.refusal(host, since, 'nothing is left once the formatting is taken out',
                         'What arrived: ' + pasted)
        m = re.search(r'kept as (o\d+) and never sent as it is', e['plain'])
        self.assertIsNotNone(m, 'the markup is not kept with an id: %r' % e['plain'])
        kept = m.group(1)
        self.assertIn('"!drop %s"' % kept, e['plain'])
        self.assertNotIn('!retry', e['plain'], 'retry offered for what can never be sent')
        for word in ('retry', 'now', 'thread'):
            since = host.mark()
            self.post(host, '!%s %s' % (word, kept))
            host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': HOME,
                           'plain': contains(kept)}, WAIT, since=since,
                          what='the answer to !%s %s' % (word, kept))
        scheduled = host.mark()
        self.post(host, '!scheduled')
        listed = host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': HOME,
                                'plain': contains(kept)}, WAIT, since=scheduled,
                               what='the kept markup in the outbox list')
        self.assertIn('cat.png', listed['plain'])
        time.sleep(1.5)
        self.assertEqual(self.post_requests(), [], 'markup alone reached X')
        since = host.mark()
        self.post(host, '!drop ' + kept)
        host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': HOME,
                       'plain': contains('dropped ' + kept)}, WAIT, since=since)
        since = host.mark()
        self.post(host, '!scheduled')
        host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': HOME}, WAIT, since=since)
        time.sleep(0.5)
        self.assertEqual(host.find({'event': 'write-conv', 'plain': contains(kept)}, since), [],
                         'the dropped markup is still listed')

        # ... and 256 + 1 + 23 = 280 fits, though it has 381 characters
        fits = 'b' * 256 + ' ' + url
        self.assertEqual((weighted_length(fits), len(fits)), (280, 381))
        since = host.mark()
        self.post(host, fits)
        p = h.wait_until(self.posts, WAIT, what='the 280-character post')[0]
        self.assertEqual((p['kind'], p['token'], p['raw_text']), ('tweet', TOKEN, fits))
        self.echo(host, fits, since)
        self.assertEqual(len(self.post_requests()), 1)

    def test_long_post_is_a_numbered_thread_of_replies(self):
        host = self.start_host(long_posts='thread')
        since = host.mark()
        self.post(host, CJK_292)
        posts = h.wait_until(lambda: len(self.posts()) >= 2 and self.posts(), WAIT,
                             what='the thread on X')
        time.sleep(1.5)  # anything posted twice or a third part would be there now
        posts = self.posts()
        self.assertEqual(len(posts), 2, posts)  # 137 + 9 ideographs with their numbers
        self.check_thread(host, CJK_292, posts, since)
        self.assertEqual(len(self.post_requests()), 2)
        self.assertEqual(host.find({'event': 'write-conv', 'plain': contains('Not sent')},
                                   since), [])

        # typed in a mention's chat, a long reply is a thread under the mention
        mention = self.x.tweet('alice', '@pat_home tell me everything')
        chat = host.wait_for({'event': 'received-chat', 'account': HOME,
                              'plain': contains('tell me everything')}, WAIT)['conv']
        words = ' '.join('word%03d' % i for i in range(70))  # 559 characters: three parts
        since = host.mark()
        host.send('chat-send', account=HOME, conv=chat, text=words)
        h.wait_until(lambda: len(self.posts()) >= 5, WAIT, what='the reply thread on X')
        time.sleep(1.5)
        posts = self.posts()[2:]
        self.assertEqual(len(posts), 3, posts)
        self.check_thread(host, words, posts, since, first_kind='reply',
                          first_parent=mention['id'])

    def test_failed_part_is_named_and_retry_posts_the_rest_once(self):
        host = self.start_host(long_posts='thread')
        words = ' '.join('part%03d' % i for i in range(72))  # 575 characters: three parts
        self.assertGreater(weighted_length(words), 2 * MAX)
        # the first POST goes through (slowly), the second one, part 2, fails with a 503
        for spec in ({'kind': 'slow', 'delay': 0.2}, {'kind': '503'}):
            self.x.call('POST', '/faults', dict(spec, count=1, match={
                'method': 'POST', 'path': '^/2/tweets$', 'token': TOKEN}))
        since = host.mark()
        self.post(host, words)
        err = host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': HOME,
                             'plain': contains('NOT SENT from @pat_home')}, WAIT, since=since,
                            what='the failure of part 2')
        self.assertIn('error', err['flags'])
        self.assertNotIn('send', err['flags'])
        first = self.posts()
        self.assertEqual(len(first), 1, first)
        self.echo(host, first[0]['raw_text'], since)
        self.assertTrue(first[0]['raw_text'].endswith(' (1/3)'))
        # which part failed: its own text, numbered 2/3; the later part is kept
        self.assertIn('503', err['plain'])
        self.assertRegex(err['plain'], r'part\d{3} \(2/3\)', 'the failed part is not named')
        self.assertIn('the 1 part after it is kept', err['plain'])
        m = re.search(r'type "(!retry (o\d+))"', err['plain'])
        self.assertIsNotNone(m, 'the error names no way to retry: %r' % err['plain'])
        time.sleep(1.5)
        self.assertEqual(len(self.posts()), 1, 'later parts went out after a failed one')
        self.assertEqual(len(self.post_requests()), 2)

        since = host.mark()
        host.send('send-im', account=HOME, to=HOME, text=m.group(1))
        h.wait_until(lambda: len(self.posts()) >= 3, WAIT, what='the rest of the thread')
        time.sleep(1.5)
        posts = self.posts()
        self.assertEqual(len(posts), 3, 'something was posted twice or lost: %r' % posts)
        self.assertFalse(any('!retry' in p['raw_text'] for p in posts), posts)
        self.check_thread(host, words, posts, 0)
        self.assertEqual(len(self.post_requests()), 4)
        for p in posts[1:]:
            self.assertEqual(len(host.find({'event': 'write-conv', 'flags': has('send'),
                                            'plain': contains(TAG + ' ' + p['raw_text'])})),
                             1, 'part echoed more than once')

    # -- item 3: incoming rendering -------------------------------------------------------------

    def test_incoming_urls_long_posts_quotes_and_reposts(self):
        host = self.start_host()
        url = 'https://example.com/articles/2024/text-rendering?id=42&lang=en'
        since = host.mark()
        t = self.x.tweet('alice', '@pat_home read this %s today' % url)
        self.assertTrue(any(u['url'].startswith('https://t.co/')
                            for u in t['entities']['urls']), 'the sim made no t.co link')
        e = host.wait_for({'event': 'received-chat', 'account': HOME,
                           'plain': contains('read this')}, WAIT, since=since)
        self.assertIn(url, e['plain'])
        self.assertNotIn('t.co/', e['plain'])
        self.assertNotIn('t.co/', e['text'])
        self.assertIn('<a href="%s">%s</a>' % (url.replace('&', '&amp;'),
                                               url.replace('&', '&amp;')), e['text'])
        self.assert_harmless_html(e)

        # over 280: X sends a cut text plus note_tweet with all of it
        long_text = '@pat_home ' + ' '.join('long%03d' % i for i in range(45)) + ' THE-END'
        self.assertGreater(weighted_length(long_text), MAX)
        t = self.x.tweet('bob', long_text)
        self.assertIn('note_tweet', t, 'the sim made no note_tweet')
        e = host.wait_for({'event': 'received-chat', 'account': HOME,
                           'plain': contains('long000')}, WAIT, since=since)
        self.assertIn(long_text, visible(e['text']), 'the full note text is not shown')
        self.assertNotIn('\u2026', e['plain'])

        # a quote shows what it quotes, with its author
        orig = self.x.tweet('alice', 'the original words of alice')
        since = host.mark()
        self.x.call('POST', '/tweets', {'author': 'bob', 'text': '@pat_home look at this',
                                        'quote_of': orig['id']})
        e = host.wait_for({'event': 'received-chat', 'account': HOME,
                           'plain': contains('look at this')}, WAIT, since=since)
        self.assertRegex(visible(e['text']), r'look at this.*@alice.*the original words of alice')
        self.assert_harmless_html(e)

        # a repost (made in X's app by bob, of alice's post mentioning pat) shows the original
        src = self.x.tweet('alice', '@pat_home worth sharing, says alice')
        host.wait_for({'event': 'received-chat', 'plain': contains('worth sharing')}, WAIT,
                      since=since)
        since = host.mark()
        self.api('POST', '/2/users/%s/retweets' % self.users['bob']['id'],
                 self.users['bob']['token'], {'tweet_id': src['id']})
        e = host.wait_for({'event': 'received-chat', 'account': HOME, 'who': 'bob',
                           'plain': contains('worth sharing')}, WAIT, since=since,
                          what='the repost by bob')
        shown = visible(e['text'])
        self.assertRegex(shown, r'@alice\b.*@pat_home worth sharing, says alice')
        self.assertNotIn('RT @alice:', shown, 'the repost shows X\'s RT text, not the original')

    # -- item 4: injection ----------------------------------------------------------------------

    def test_injection_in_dms_mentions_and_names_is_harmless_and_legible(self):
        eve = self.x.add_user('eve', EVIL_NAME)
        host = self.start_host()
        body = ('hi %s %s %s &lt;b&gt;bold?&lt;/b&gt; &amp;lt;i&amp;gt; %s %s end'
                % (SCRIPT, JS_LINK, QA, CTCP, COLOUR)) + CRLF_LINE
        since = host.mark()
        self.x.dm('eve', HOME, 'DM ' + body)
        self.x.tweet('eve', '@pat_home MENTION ' + body)
        got = [host.wait_for({'event': 'received-im', 'account': HOME, 'who': 'eve',
                              'plain': contains('DM hi')}, WAIT, since=since),
               host.wait_for({'event': 'received-chat', 'account': HOME, 'who': 'eve',
                              'plain': contains('MENTION hi')}, WAIT, since=since)]
        # A post's text comes from X with & < > as entities (xsim does the same) and is decoded
        # once, so it reads exactly as typed. A DM comes as written and is decoded once too:
        # what eve typed as &lt;b&gt; reads <b>. Neither is ever markup.
        typed = {'received-im': ('<b>bold?</b>', '&lt;i&gt;'),
                 'received-chat': ('&lt;b&gt;bold?&lt;/b&gt;', '&amp;lt;i&amp;gt;')}
        for e in got:
            self.assert_harmless_html(e, SCRIPT, JS_LINK, QA, *typed[e['event']],
                                      'ACTION x', 'red', 'PRIVMSG #x :pwned', 'end')
            self.assertNotIn('<b>', e['text'])
            self.assertIn('&lt;script&gt;', e['text'])
            # the fake IRC line stays text on a line of its own: a <br>, not a raw CR or LF
            self.assertNotIn('\r', e['text'])
            self.assertRegex(e['text'], r'end<br>PRIVMSG ')
        # every line written for eve's DM and mention, not just the received ones
        for what in ('DM hi', 'MENTION hi'):  # written to the conversation after the signal
            host.wait_for({'event': 'write-conv', 'plain': contains(what)}, WAIT, since=since)
        written = host.find({'event': 'write-conv', 'plain': contains('hi <script>')}, since)
        self.assertEqual(len(written), 2, written)
        for e in written:
            self.assert_harmless_html(e, SCRIPT)
            self.assert_clean_name(e.get('alias') or '', 'the alias written with the line')

        # the display name: one line, no controls, no RLO; the words and the markup as text
        buddy = h.wait_until(lambda: [b for b in host.buddies(HOME) if b['buddy'] == 'eve'],
                             WAIT, what='eve in the buddy list')[0]
        self.assert_clean_name(buddy['alias'], 'the buddy list alias')
        for part in ('Eve', SCRIPT, 'ACTION x', 'evil', 'PRIVMSG #x :pwned'):
            self.assertIn(part, buddy['alias'])
        for e in host.find({'event': 'blist-update', 'buddy': 'eve'}):
            self.assert_clean_name(e.get('alias') or '', 'a blist-update alias')
            self.assert_clean_name(e.get('server_alias') or '', 'a blist-update server alias')
        # a thread's chat is titled with its first words: none of them may act there either
        since = host.mark()
        self.x.tweet('eve', '@pat_home %s%s%s title words' % (CTCP, RLO, COLOUR))
        chat2 = host.wait_for({'event': 'received-chat', 'account': HOME,
                               'plain': contains('title words')}, WAIT, since=since)['conv']
        titled = 0
        for chat in (got[1]['conv'], chat2):
            for e in host.find({'event': re.compile('^conv-'), 'conv': chat}):
                for key in ('title', 'topic'):
                    self.assert_clean_name(e.get(key) or '', 'the chat %s' % key)
                    titled += 'title words' in (e.get(key) or '')
        self.assertTrue(titled, 'the chat is not titled with its first words')
        chat = got[1]['conv']
        for e in host.find({'event': 'chat-add-users', 'conv': chat}):
            for u in e['users']:
                self.assert_clean_name(u.get('alias') or '', 'a chat user alias')
                self.assert_clean_name(u['name'], 'a chat user name')
        self.assertEqual(eve['name'], EVIL_NAME)


if __name__ == '__main__':
    h.main()
