# SPDX-License-Identifier: GPL-2.0-or-later
"""Typing into a Finch conversation under tmux and reading it back: a mixin for
tbharness.E2ETestCase classes that have self.finch (tbharness.Finch)."""

import re
import time

import tbharness as h
from twoaccounts import HOME, TOKENS, WORK


class FinchConversation:
    """entry_shows, type_command and conversation_text for a test with self.finch."""

    def start_pat_in_finch(self, **work):
        """A simulator (self.x) with Pat's two users and dana, and Finch (self.finch) with both
        accounts; work: settings added to the work account."""
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        self.x.add_user(HOME, 'Pat', token=TOKENS[HOME])
        self.x.add_user(WORK, 'Pat at Acme', token=TOKENS[WORK])
        self.x.add_user('dana', 'Dana Example', token='tok-dana')
        self.finch = h.Finch([h.account(HOME, TOKENS[HOME], self.x.api_base, role='personal',
                                        dm_interval=1),
                              h.account(WORK, TOKENS[WORK], self.x.api_base, role='work',
                                        dm_interval=1, **work)],
                             logdir=self.logdir, width=160, height=45).start()

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
