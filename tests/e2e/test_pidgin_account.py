#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 14 in Pidgin under a private Xvfb, typed with xdotool like a person would ("Know which
account you are about to speak as, before you send; and lose nothing you typed"), with Pat's two
accounts, pat_home (personal) and pat_at_acme (work, confirm_public=all):

- sam DMs both accounts: two conversation windows, each titled with the account's tag, each
  opening with "You are writing as [...]" (libpurple's wrote-im-msg signal on Pidgin's private
  D-Bus); the answer typed in each window goes out from that account. Get Info on sam (Ctrl+O,
  the Conversation menu's Get Info) opens Pidgin's Buddy Information window with one row per
  field: its text is copied out with Ctrl+A Ctrl+C, as a person would, and read from the X
  clipboard;
- a post too long for X typed in the personal account's own window is refused and kept (its oN
  and what can be done with it in the notice); "/thread oN" posts it as a numbered thread. Its
  echo ends with a short id, and "/delete <short id>" deletes that post on X;
- with confirm_public=all a post typed in the work account's own window is held until Pidgin's
  "Post publicly?" dialog is answered: Return (Cancel is the default) keeps it unsent with its
  oN, Alt+O (OK) posts it once, tagged. The dialog's text is read from the X selection too.

Screenshots of each window are kept in the test's log directory."""

import ctypes
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import clientlib as c  # noqa: E402
from twoaccounts import HOME, TAGS, TOKENS, WORK  # noqa: E402

IM = 1  # PURPLE_CONV_TYPE_IM
WAIT = 15
# 45 words of 7 characters: 314 characters, over X's 280; typed quickly, split into two parts
LONG = ' '.join('word%02d' % i for i in range(45))


# ---------------------------------------------------------------------------------------------
# The X selections (CLIPBOARD, PRIMARY), read with libX11 through ctypes: no xclip here.

class _XSelectionEvent(ctypes.Structure):
    _fields_ = [('type', ctypes.c_int), ('serial', ctypes.c_ulong), ('send_event', ctypes.c_int),
                ('display', ctypes.c_void_p), ('requestor', ctypes.c_ulong),
                ('selection', ctypes.c_ulong), ('target', ctypes.c_ulong),
                ('property', ctypes.c_ulong), ('time', ctypes.c_ulong)]


class _XEvent(ctypes.Union):
    _fields_ = [('type', ctypes.c_int), ('xselection', _XSelectionEvent),
                ('pad', ctypes.c_long * 24)]


def _xlib():
    x = ctypes.cdll.LoadLibrary('libX11.so.6')
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XDefaultRootWindow.restype = ctypes.c_ulong
    x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x.XCreateSimpleWindow.restype = ctypes.c_ulong
    x.XCreateSimpleWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                                      ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong,
                                      ctypes.c_ulong]
    x.XInternAtom.restype = ctypes.c_ulong
    x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x.XConvertSelection.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong,
                                    ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    x.XPending.argtypes = [ctypes.c_void_p]
    x.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.POINTER(_XEvent)]
    x.XFlush.argtypes = [ctypes.c_void_p]
    x.XGetWindowProperty.argtypes = [
        ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long, ctypes.c_long,
        ctypes.c_int, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte))]
    x.XFree.argtypes = [ctypes.c_void_p]
    x.XDestroyWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x.XCloseDisplay.argtypes = [ctypes.c_void_p]
    return x


def read_selection(display, selection='CLIPBOARD', timeout=5.0):
    """The selection's text (UTF8_STRING) as its owner gives it, or None without an owner."""
    x = _xlib()
    dpy = x.XOpenDisplay(display.encode())
    if not dpy:
        raise AssertionError('cannot open display %s' % display)
    try:
        win = x.XCreateSimpleWindow(dpy, x.XDefaultRootWindow(dpy), 0, 0, 1, 1, 0, 0, 0)
        sel = x.XInternAtom(dpy, selection.encode(), 0)
        utf8 = x.XInternAtom(dpy, b'UTF8_STRING', 0)
        prop = x.XInternAtom(dpy, b'TWINBIRD_TEST_SELECTION', 0)
        x.XConvertSelection(dpy, sel, utf8, prop, win, 0)
        x.XFlush(dpy)
        ev = _XEvent()
        deadline = time.monotonic() + timeout
        while True:
            if x.XPending(dpy):
                x.XNextEvent(dpy, ctypes.byref(ev))
                if ev.type == 31:  # SelectionNotify
                    break
                continue
            if time.monotonic() > deadline:
                raise AssertionError('no answer from the owner of %s' % selection)
            time.sleep(0.02)
        if ev.xselection.property == 0:
            return None
        kind, fmt = ctypes.c_ulong(), ctypes.c_int()
        n, after = ctypes.c_ulong(), ctypes.c_ulong()
        data = ctypes.POINTER(ctypes.c_ubyte)()
        x.XGetWindowProperty(dpy, win, prop, 0, 1 << 22, 1, 0, ctypes.byref(kind),
                             ctypes.byref(fmt), ctypes.byref(n), ctypes.byref(after),
                             ctypes.byref(data))
        text = ctypes.string_at(data, n.value).decode('utf-8', 'replace') if data else ''
        if data:
            x.XFree(data)
        x.XDestroyWindow(dpy, win)
        return text
    finally:
        x.XCloseDisplay(dpy)


class PidginAccount(c.PatInPidgin, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        self.x.add_user('sam', 'Sam Example', description='Birds and bikes', location='Lyon')
        self.start_pidgin(confirm_public='all')  # the work account's setting only
        self.x.follow('sam', HOME)    # Get Info: "Follows you: yes" on the personal account
        self.x.follow('dana', 'sam')  # and one follower
        self.acct = {HOME: self.pb.wait_account(HOME), WORK: self.pb.wait_account(WORK)}

    # -- helpers --------------------------------------------------------------------------------

    def conv_of(self, account, who):
        return h.wait_until(lambda: self.pb.call('PurpleFindConversationWithAccount', IM, who,
                                                 self.acct[account]),
                            WAIT, what='the conversation with %s on @%s' % (who, account))

    def lines(self, conv, since=0):
        """What was written in that conversation (wrote-im-msg), in order."""
        return [a[2] for a in self.pb.find('WroteImMsg', since) if a[3] == conv]

    def notice(self, conv, since, regex):
        got = self.pb.wait_signal('WroteImMsg', WAIT, since, a2=re.compile(regex))
        self.assertEqual(got[3], conv, got)
        return got[2]

    def own_window(self, account, role, pos):
        """The account's own buddy's conversation (opened over D-Bus), placed at pos."""
        since = self.pb.mark()
        conv = self.pb.call('PurpleConversationNew', IM, self.acct[account], account)
        win = self.d.wait_window(r'^@%s \(%s\)$' % (account, role), WAIT)
        self.d.xdo('windowmove', win, *pos)
        self.d.xdo('windowsize', win, 620, 420)
        self.pb.wait_signal('WroteImMsg', WAIT, since,
                            a2='You are writing as %s: what you type here is posted publicly.'
                               % TAGS[account])
        self.assertTrue(self.lines(conv, since)[0].startswith('You are writing as'),
                        'the account is named first')
        return conv, win

    def copy_text(self, win, x, y):
        """Clicks into window at (x, y), selects all and copies it, as a person would; returns
        the copied text (read from the X clipboard)."""
        self.d.xdo('windowfocus', '--sync', win)
        self.d.xdo('mousemove', '--window', win, x, y, 'click', 1)
        self.d.xdo('key', 'ctrl+a')
        self.d.xdo('key', 'ctrl+c')
        return read_selection(self.d.display) or ''

    def posted(self, text=None, **match):
        return [p for p in self.x.posted()
                if (text is None or p.get('raw_text', p.get('text')) == text)
                and all(p.get(k) == v for k, v in match.items())]

    def wait_posted(self, text, **match):
        return h.wait_until(lambda: self.posted(text, **match), WAIT, interval=0.3,
                            what='X to accept %r' % text)[0]

    def tweet_on_x(self, tweet_id):
        return [t for t in self.x.call('GET', '/state')['tweets'] if str(t['id']) == tweet_id][0]

    def quit_pidgin(self):
        self.pidgin.quit(self.pb)
        self.assertEqual(self.pidgin.proc.returncode, 0)

    # -- tests ----------------------------------------------------------------------------------

    def test_one_person_on_both_accounts_two_named_windows_and_get_info(self):
        since = self.pb.mark()
        self.x.dm('sam', HOME, 'Coffee on Saturday?')
        self.x.dm('sam', WORK, 'Is the invoice sent?')
        wins, convs = {}, {}
        for account, pos in ((HOME, (310, 0)), (WORK, (310, 360))):
            # the title names the account before anything is typed
            wins[account] = self.d.wait_window(r'^Sam Example · %s$' % re.escape(TAGS[account]),
                                               WAIT)
            self.d.xdo('windowmove', wins[account], *pos)
            self.d.xdo('windowsize', wins[account], 620, 320)
            convs[account] = self.conv_of(account, 'sam')
        self.assertNotEqual(wins[HOME], wins[WORK])
        for account in (HOME, WORK):
            self.pb.wait_until(lambda: len(self.lines(convs[account], since)) >= 2, WAIT,
                               what='the first line and the DM on @%s' % account)
            first = self.lines(convs[account], since)
            self.assertEqual(first[0], 'You are writing as %s: a direct message to this person.'
                             % TAGS[account], first)
            self.assertIn('Coffee on Saturday?' if account == HOME else 'Is the invoice sent?',
                          first[1])

        # the answer typed in each window goes out from that window's account
        answers = {HOME: 'Saturday at ten works', WORK: 'Sent it this morning'}
        for account in (HOME, WORK):
            self.type_into(wins[account], answers[account])
        for account in (HOME, WORK):
            dm = self.wait_posted(answers[account], kind='dm')
            self.assertEqual((dm['token'], dm['recipient']), (TOKENS[account], 'sam'))
            self.wait_log(account, 'sam', r'%s %s · DM %s'
                          % (re.escape(TAGS[account]), answers[account], dm['id']))
        self.assertEqual(len(self.posted(kind='dm')), 2, self.x.posted())
        self.assertNotIn(TAGS[WORK], self.pidgin.log_text(HOME, 'sam'))
        self.assertNotIn(TAGS[HOME], self.pidgin.log_text(WORK, 'sam'))
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-sam-personal.png'), wins[HOME])
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-sam-work.png'), wins[WORK])

        # Get Info from the personal window's Conversation menu (Ctrl+O): one row per field
        since = self.pb.mark()
        self.d.xdo('windowfocus', '--sync', wins[HOME])
        self.d.xdo('key', 'ctrl+o')
        self.pb.wait_signal('DisplayingUserinfo', WAIT, since, a0=self.acct[HOME], a1='sam')
        info = self.d.wait_window(r'^Buddy Information$', WAIT)
        self.d.xdo('windowmove', info, 0, 0)
        self.d.xdo('windowsize', info, 420, 460)

        def rows():
            text = self.copy_text(info, 150, 150)
            return 'Followers:' in text and text
        text = h.wait_until(rows, WAIT, interval=0.5, what='the profile in Buddy Information')
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-get-info.png'), info)
        got = {}
        for line in text.splitlines():
            label, sep, value = line.partition(': ')
            if sep:
                got[label.strip()] = value.strip()
        want = {'Handle': '@sam', 'Name': 'Sam Example', 'Bio': 'Birds and bikes',
                'Location': 'Lyon', 'Followers': '1', 'Following': '1', 'Follows you': 'yes',
                'Profile': 'https://x.com/sam'}
        self.assertEqual({k: got.get(k) for k in want}, want, text)
        for label in ('Posts', 'Joined X', 'Takes your DMs'):
            self.assertIn(label, got, text)
        self.assertEqual(self.posted(kind='dm'), self.posted(), 'Get Info sent nothing')
        self.quit_pidgin()

    def test_too_long_is_kept_then_threaded_and_a_short_id_deletes(self):
        conv, win = self.own_window(HOME, 'personal', (310, 0))

        # too long: refused before X, kept with its oN and what can be done with it
        since = self.pb.mark()
        self.type_into(win, LONG)
        msg = self.notice(conv, since, r'Not sent from @pat_home: too long for X: 314/280')
        oid = re.search(r'Your text is kept \((o\d+)\)', msg).group(1)
        for choice in ('!thread %s' % oid, '!retry %s' % oid, '!drop %s' % oid):
            self.assertIn(choice, msg)
        self.assertIn(LONG, msg, 'the text itself is shown, to copy')
        self.assertEqual(self.posted(), [], 'a refused text reached X')

        # "/thread oN" (Pidgin's command) posts it now as a numbered thread
        self.type_into(win, '/thread %s' % oid)
        parts = h.wait_until(lambda: len(self.posted()) >= 2 and self.posted(), WAIT,
                             interval=0.3, what='the thread on X')
        self.assertEqual(len(parts), 2, parts)
        self.assertEqual([p['token'] for p in parts], [TOKENS[HOME]] * 2)
        self.assertEqual((parts[0]['kind'], parts[1]['kind']), ('tweet', 'reply'))
        self.assertEqual(parts[1]['in_reply_to_tweet_id'], parts[0]['id'])
        self.assertEqual([p['raw_text'][-5:] for p in parts], ['(1/2)', '(2/2)'])
        self.assertEqual(' '.join(p['raw_text'][:-6] for p in parts), LONG)
        for p in parts:
            self.wait_log(HOME, HOME, r'%s .* · https://x\.com/pat_home/status/%s \[[0-9a-f]+\]'
                          % (re.escape(TAGS[HOME]), p['id']))

        # the echo of an own post ends with its short id, and /delete takes it
        self.type_into(win, 'Posted too soon')
        post = self.wait_posted('Posted too soon')
        self.assertEqual((post['kind'], post['token']), ('tweet', TOKENS[HOME]))
        m = self.wait_log(HOME, HOME, r'%s Posted too soon · https://x\.com/pat_home/status/%s '
                          r'\[([0-9a-f]{1,3})\]' % (re.escape(TAGS[HOME]), post['id']))
        short = m.group(1)
        self.assertFalse(self.tweet_on_x(post['id'])['deleted'])
        self.type_into(win, '/delete %s' % short)
        d = self.wait_posted(None, kind='delete')
        self.assertEqual((d['id'], d['token']), (post['id'], TOKENS[HOME]))
        self.assertTrue(self.tweet_on_x(post['id'])['deleted'])
        self.wait_log(HOME, HOME, r'deleted https://x\.com/i/status/%s' % post['id'])
        self.assertFalse(any(self.tweet_on_x(p['id'])['deleted'] for p in parts),
                         'only that post was deleted')
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-thread-and-delete.png'), win)
        self.quit_pidgin()

    def test_confirm_public_all_asks_in_a_dialog_cancel_keeps_ok_posts(self):
        conv, win = self.own_window(WORK, 'work', (310, 0))

        # Cancel (the default, so Return): nothing reaches X, the text is kept with its oN
        since = self.pb.mark()
        self.type_into(win, 'Quarterly numbers are up')
        dialog = self.d.wait_window(r'^Post publicly\?$', WAIT)
        self.d.xdo('windowmove', dialog, 0, 340)
        self.d.xdo('windowfocus', '--sync', dialog)
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-confirm-dialog.png'), dialog)
        question = self.copy_text(dialog, 120, 40)
        for part in ('This goes out publicly from @pat_at_acme.', 'yes (OK) sends it as %s'
                     % TAGS[WORK], 'no (Cancel) keeps it unsent as o', 'Quarterly numbers are up'):
            self.assertIn(part, question)
        self.assertEqual(self.posted(), [], 'sent before the question was answered')
        self.d.xdo('windowfocus', '--sync', dialog)
        self.d.xdo('key', 'Return')
        msg = self.notice(conv, since, r'Not sent from @pat_at_acme: you answered no \(Cancel\)')
        oid = re.search(r'Your text is kept \((o\d+)\)', msg).group(1)
        self.assertIn('Quarterly numbers are up', msg)
        self.assertIn('no (Cancel) keeps it unsent as %s' % oid, question)
        h.wait_until(lambda: not self.d.windows(r'^Post publicly\?$'), WAIT,
                     what='the dialog to close')

        # OK (Alt+O): it reaches X once, from the work account, tagged
        self.type_into(win, 'Quarterly report is out')
        dialog = self.d.wait_window(r'^Post publicly\?$', WAIT)
        self.assertEqual(self.posted(), [], 'sent before the question was answered')
        self.d.xdo('windowfocus', '--sync', dialog)
        self.d.xdo('key', 'alt+o')
        post = self.wait_posted('Quarterly report is out')
        self.assertEqual((post['kind'], post['token']), ('tweet', TOKENS[WORK]))
        self.wait_log(WORK, WORK, r'%s Quarterly report is out · '
                      r'https://x\.com/pat_at_acme/status/%s' % (re.escape(TAGS[WORK]), post['id']))
        # once, and the cancelled one never (it would have gone out before this one)
        self.assertEqual(self.posted(), [post])
        self.assertEqual(self.d.windows(r'^Post publicly\?$'), [])
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-confirm-work.png'), win)
        self.quit_pidgin()


if __name__ == '__main__':
    h.main()
