#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 5 item 1 in Pidgin under a private Xvfb, typed with xdotool: Twinbird's commands as
libpurple /commands in a conversation window of the work account (a DM from dana opens it).

"/help post" shows the post command's help (a notice: not logged, so read from libpurple's
wrote-im-msg signal on Pidgin's private D-Bus); "/post ..." posts from the work account, the
text as typed, and Pidgin's conversation log holds the line tagged "[work @pat_at_acme]" with
the post's link."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import clientlib as c  # noqa: E402
from twoaccounts import TOKENS, WORK  # noqa: E402


class PidginCommands(c.PatInPidgin, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        self.start_pidgin()
        self.pb.wait_account('pat_at_acme')

    def test_help_and_post_typed_as_slash_commands(self):
        self.x.dm('dana', 'pat_at_acme', 'Is the release note out?')
        conv = self.d.wait_window(r'^Dana Example · \[work @pat_at_acme\]$', 15)

        since = self.pb.mark()
        self.type_into(conv, '/help post')
        # HTML for Pidgin: "<text>" escaped, so it shows instead of vanishing as a tag
        self.pb.wait_signal('WroteImMsg', 10, since,
                            a2='post &lt;text&gt;: post from this account')
        self.assertEqual(self.x.posted(), [])

        self.type_into(conv, '/post Release note & changelog are out')
        post = h.wait_until(lambda: self.x.posted(), 10, interval=0.5, what='the post')[0]
        self.assertEqual((post['kind'], post['token'], post['raw_text']),
                         ('tweet', TOKENS[WORK], 'Release note & changelog are out'))
        rx = (r'\[work @pat_at_acme\] Release note & changelog are out · '
              r'https://x\.com/pat_at_acme/status/%s' % post['id'])
        try:
            h.wait_until(lambda: re.search(rx, self.pidgin.log_text('pat_at_acme', 'dana')), 10,
                         interval=0.2, what='/%s/ in the log' % rx)
        except TimeoutError as e:
            raise AssertionError('%s; log:\n%s' % (e, self.pidgin.log_text('pat_at_acme', 'dana')))
        log = self.pidgin.log_text('pat_at_acme', 'dana')
        self.assertNotIn('/post', log, 'the command line itself went into the conversation')
        self.assertNotIn('[personal @pat_home]', log)
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-commands.png'), conv)

        self.pidgin.quit(self.pb)
        self.assertEqual(self.pidgin.proc.returncode, 0)


if __name__ == '__main__':
    h.main()
