# SPDX-License-Identifier: GPL-2.0-or-later
"""Typing into a Finch conversation under tmux and reading it back: a mixin for
tbharness.E2ETestCase classes that have self.finch (tbharness.Finch)."""

import re
import time

import tbharness as h
from twoaccounts import HOME, TOKENS, WORK


class FinchConversation:
    """entry_shows, type_command and conversation_text for a test with self.finch; with several
    windows, focus_window, type_in, open_from_buddy_list and the focus seen on the screen."""

    def start_pat_in_finch(self, sim=None, settings=None, **work):
        """A simulator (self.x) with Pat's two users and dana, and Finch (self.finch) with both
        accounts; self.ids maps Pat's handles to their X ids. sim: a simulator already started
        (with what the test set up in it before Finch signs in) instead of a new one; settings:
        a dict added to both accounts (dm_interval among them); work: settings added to the
        work account."""
        self.x = sim or self.sim()
        h.raise_dm_limit(self.x)
        self.ids = {HOME: self.x.add_user(HOME, 'Pat', token=TOKENS[HOME])['id'],
                    WORK: self.x.add_user(WORK, 'Pat at Acme', token=TOKENS[WORK])['id']}
        self.x.add_user('dana', 'Dana Example', token='tok-dana')
        accounts = []
        for handle, role in ((HOME, 'personal'), (WORK, 'work')):
            s = dict({'dm_interval': 1}, **(settings or {}))
            s.update(work if handle == WORK else {})
            accounts.append(h.account(handle, TOKENS[handle], self.x.api_base, role=role, **s))
        self.finch = h.Finch(accounts, logdir=self.logdir, width=160, height=45).start()

    def entry_shows(self, text):
        # The conversation's entry line: "│text____...│"
        return re.search(r'│%s_+│' % re.escape(text), self.finch.screen())

    def type_command(self, text):
        """Alt+n moves the focus from the buddy list to the conversation window; the text must
        land in its entry before Enter runs it."""
        for _ in range(3):
            if not self.entry_shows(text):
                self.finch.keys('M-n')
                time.sleep(0.3)
                self.finch.keys('-l', text)
            try:
                h.wait_until(lambda: self.entry_shows(text), 2, interval=0.1,
                             what='the text in the conversation entry')
                break
            except TimeoutError:
                self.finch.keys('Escape')  # typed into another window: drop it, try the next
        else:
            self.fail('could not type into the conversation:\n' + self.finch.screen())
        self.finch.keys('Enter')

    def conversation_text(self):
        """The conversation window's lines (the left box), joined: Finch wraps long lines."""
        rows = []
        for line in self.finch.screen().splitlines():
            if line.startswith('│') and '│' in line[1:]:
                rows.append(line[1:line.index('│', 1)].rstrip(' ▒'))
        return re.sub(r'\s+', ' ', ' '.join(rows))

    # -- several windows: which one has the focus, moving it, the buddy list, dialogs ----------
    # Finch draws the focused window's title, the selected buddy-list row and the focused
    # button on blue; tmux capture-pane -e gives the colours as SGR sequences.

    SGR = re.compile(r'\x1b\[([0-9;]*)m')

    def blue_runs(self):
        """The texts drawn on a blue background, as (row, column, text)."""
        out = self.finch._t('capture-pane', '-p', '-e', '-t', 'finch', check=False).stdout
        runs = []
        for y, line in enumerate(out.splitlines()):
            bg, x, run, run_x = None, 0, [], 0
            pos = 0
            for m in list(self.SGR.finditer(line)) + [None]:
                text = line[pos:m.start() if m else len(line)]
                for ch in text:
                    if bg == 4:
                        if not run:
                            run_x = x
                        run.append(ch)
                    elif run:
                        runs.append((y, run_x, ''.join(run)))
                        run = []
                    x += 1
                if m is None:
                    break
                pos = m.end()
                codes = [int(c) for c in m.group(1).split(';') if c] or [0]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c in (0, 49):
                        bg = None
                    elif 40 <= c <= 47:
                        bg = c - 40
                    elif 100 <= c <= 107:
                        bg = c - 100
                    elif c in (38, 48) and i + 1 < len(codes):  # 256 or RGB colours
                        if c == 48:
                            bg = None
                        i += 2 if codes[i + 1] == 5 else 4
                    i += 1
            if run:
                runs.append((y, run_x, ''.join(run)))
        return runs

    def focused_title(self):
        """The title of the window that has the focus (drawn on blue between ┤ and ├)."""
        screen = self.finch.screen().splitlines()
        for y, x, text in self.blue_runs():
            line = screen[y] if y < len(screen) else ''
            if line[x - 1:x] == '┤' and line[x + len(text):x + len(text) + 1] == '├':
                return text
        return None

    def focused_button(self):
        for _, _, text in self.blue_runs():
            if text.strip() in ('OK', 'Cancel'):
                return text.strip()
        return None

    def selected(self, regex):
        """A text on blue (the selected buddy-list row) matches regex."""
        return any(re.search(regex, text) for _, _, text in self.blue_runs())

    def wait_focus(self, title, timeout=5):
        """title (a regex) is the focused window's title."""
        try:
            return h.wait_until(lambda: re.search(title, self.focused_title() or ''), timeout,
                                interval=0.1, what='the focus on the window %r' % title)
        except TimeoutError as e:
            raise AssertionError('%s; focused: %r\nscreen:\n%s'
                                 % (e, self.focused_title(), self.finch.screen()))

    def focus_window(self, title, tries=10):
        """Alt+n (Finch's next window) until the window whose title matches title has the
        focus."""
        for _ in range(tries):
            if re.search(title, self.focused_title() or ''):
                return
            before = self.focused_title()
            self.finch.keys('M-n')
            try:
                h.wait_until(lambda: self.focused_title() != before, 2, interval=0.1,
                             what='the focus to move')
            except TimeoutError:
                pass
        self.fail('no window %r to focus (focused: %r):\n%s'
                  % (title, self.focused_title(), self.finch.screen()))

    def open_from_buddy_list(self, row):
        """Focuses the buddy list, selects the row matching row (a regex) with Ctrl+n/Ctrl+p
        (the arrow keys do not reach Finch's tree through tmux) and opens it with Enter."""
        self.focus_window(r'^Buddy List$')
        for key in ('C-n', 'C-p'):
            for _ in range(20):
                if self.selected(row):
                    self.finch.keys('Enter')
                    return
                self.finch.keys(key)
                time.sleep(0.15)
        self.fail('no buddy-list row %r:\n%s' % (row, self.finch.screen()))

    def type_in(self, title, text):
        """Types text into the entry of the conversation whose title matches title, then Enter.
        A text longer than the entry is checked by its end, which the entry scrolls to."""
        shown = text if len(text) < 60 else text[-40:]
        self.focus_window(title)
        self.finch.keys('-l', text)
        try:
            h.wait_until(lambda: re.search(r'%s_*│' % re.escape(shown), self.finch.screen()), 5,
                         interval=0.1, what='the text in the entry of %r' % title)
        except TimeoutError as e:
            raise AssertionError('%s\nscreen:\n%s' % (e, self.finch.screen()))
        self.wait_focus(title, 1)  # still there: Enter goes to that conversation
        self.finch.keys('Enter')
