#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Twinbird demo (run through tools/demo, which installs and builds first).

One person, Pat, has a personal X account (@pat_home) and a work one (@pat_at_acme). The demo
starts the simulated X API with both and a few followers, starts BitlBee with the plugin on
127.0.0.1, signs both accounts in over its own IRC connection and prints what an IRC user sees:
both accounts coming online, then a DM and a mention arriving on each account and tagged answers
going out from the right account; the work account away outside its hours, a work post held
until they start and a personal post scheduled for that minute, both going out tagged. Then it
tells you how to connect your own IRC client and waits
(Ctrl-C stops everything it started, by PID).

  tools/demo.py [--finch | --pidgin] [--no-wait] [--build-dir DIR] [--port N]

--finch opens Finch (in tmux, in this terminal) instead, --pidgin opens Pidgin (needs a DISPLAY,
else it runs under a private Xvfb and saves a screenshot). --no-wait runs the scripted part and
exits: 0 when both accounts came online.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------------------------------------
# The cast

PAT = [  # (handle, display name, token, role, BitlBee tag once added)
    {'handle': 'pat_home', 'name': 'Pat', 'token': 'demo-token-pat-home', 'role': 'personal'},
    {'handle': 'pat_at_acme', 'name': 'Pat at Acme', 'token': 'demo-token-pat-at-acme',
     'role': 'work'},
]
FOLLOWERS = [  # handle, name, follows
    ('sam_rivera', 'Sam Rivera', ['pat_home']),
    ('lee_chen', 'Lee Chen', ['pat_home', 'pat_at_acme']),
    ('dana_ops', 'Dana (Acme Ops)', ['pat_at_acme']),
    ('acme_news', 'Acme News', ['pat_at_acme']),
]
MUTUALS = [('pat_home', 'sam_rivera'), ('pat_at_acme', 'dana_ops')]
IRC_NICK = 'pat'
IRC_PASSWORD = 'twinbird-demo'
POLL_SECONDS = 2  # dm_interval and mention_interval: the simulator allows fast polling


def scenario():
    users = [{'username': p['handle'], 'name': p['name'], 'token': p['token']} for p in PAT]
    users += [{'username': h, 'name': n} for h, n, _ in FOLLOWERS]
    follows = [{'follower': h, 'followee': f} for h, _, fs in FOLLOWERS for f in fs]
    follows += [{'follower': a, 'followee': b} for a, b in MUTUALS]
    return {'users': users, 'follows': follows}


# ---------------------------------------------------------------------------------------------
# Output

class Out:
    def __init__(self):
        self.tty = sys.stdout.isatty()
        self.t0 = time.monotonic()

    def _c(self, code, text):
        return '\033[%sm%s\033[0m' % (code, text) if self.tty else text

    def step(self, text):
        print('\n' + self._c('1', '== ' + text), flush=True)

    def info(self, text):
        print('   ' + text, flush=True)

    def line(self, text, code=None):
        stamp = '%6.1fs' % (time.monotonic() - self.t0)
        print('   %s  %s' % (self._c('2', stamp), self._c(code, text) if code else text),
              flush=True)

    def ok(self, text):
        print('   ' + self._c('32', 'ok  ') + text, flush=True)

    def warn(self, text):
        print('   ' + self._c('33', 'not shown  ') + text, flush=True)


out = Out()
SECRETS = [p['token'] for p in PAT]


def mask(text):
    for s in SECRETS:
        text = text.replace(s, '********')
    return text


_IRC = re.compile(r'^:(?P<nick>[^!\s]+)!(?P<user>[^@\s]+)@(?P<host>\S+) (?P<cmd>\S+) '
                  r':?(?P<target>\S+)(?: :(?P<text>.*))?$')


class Transcript:
    """Turns raw IRC lines into what a person reads in their IRC client."""

    def __init__(self):
        self.welcome = False  # inside BitlBee's welcome text, which is not shown

    def __call__(self, direction, line):
        text = self.render(direction, line)
        if text:
            out.line(*text) if isinstance(text, tuple) else out.line(text)

    def render(self, direction, line):
        if direction == '>>>':
            m = re.match(r'PRIVMSG (\S+) :(.*)', line)
            if not m:
                return None
            target, text = m.groups()
            if target == '&bitlbee':
                return ('%s> %s' % (IRC_NICK, mask(text)), '36')
            return ('<%s> %s   (typed in %s)' % (IRC_NICK, text, target), '36')
        m = _IRC.match(line)
        if m is None:
            if re.match(r'^:\S+ 001 ', line):
                return 'connected to BitlBee as %s' % IRC_NICK
            return None
        nick, host, cmd, target, text = (m.group('nick'), m.group('host'), m.group('cmd'),
                                         m.group('target'), m.group('text'))
        if text is not None:  # IRC bold, colour, underline... as plain text
            text = re.sub(r'\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x16\x1d\x1f]', '', text)
        if cmd == 'JOIN':
            if target == '&bitlbee' and nick != IRC_NICK:
                return ('* %s is online (account %s)' % (nick, host), '32')
            if target.startswith('#') and nick == IRC_NICK:
                return ('* you join %s' % target, '32')
            return None
        if cmd != 'PRIVMSG' or text is None:
            return None
        if nick == 'root':
            if text.startswith('Welcome to the BitlBee gateway'):
                self.welcome = True
            if self.welcome:
                self.welcome = 'identify command' not in text
                return None
            return ('root: %s' % text, '2')
        if nick == IRC_NICK:  # an echo of what was sent, shown by BitlBee as a self-message
            return ('<%s> %s   (in %s)' % (nick, text, target), '35')
        if target.startswith('#'):
            return '[%s] <%s> %s' % (target, nick, text)
        return ('<%s> %s   (a DM on account %s)' % (nick, text, host), '1')


# ---------------------------------------------------------------------------------------------
# BitlBee demo

class Demo:
    def __init__(self, args, h):
        self.args = args
        self.h = h
        self.results = []  # (what, ok, detail)

    def start_sim(self):
        out.step('1. The simulated X API (tests/sim/xsim.py) on 127.0.0.1')
        self.x = self.h.Sim(scenario=scenario(), logdir=self.logdir).start()
        # X allows 15 DM reads per 15 minutes, and Twinbird spreads them (a check about every
        # minute); the demo's simulator allows more so that a DM shows within seconds.
        self.h.raise_dm_limit(self.x)
        out.info('api_base %s   (pid %d)' % (self.x.api_base, self.x.proc.pid))
        out.info('DM reads: X allows 15 per 15 minutes (Twinbird checks about once a minute); '
                 'this simulator allows more, so DMs show within seconds')
        out.info('Pat: @%s (personal) and @%s (work); followers: %s'
                 % (PAT[0]['handle'], PAT[1]['handle'],
                    ', '.join('@' + f[0] for f in FOLLOWERS)))

    def start_bitlbee(self):
        out.step('2. BitlBee with the Twinbird plugin')
        self.bb = self.h.BitlBee(logdir=self.logdir, port=self.args.port).start()
        out.info('listening on 127.0.0.1:%d   (pid %d, plugin %s)'
                 % (self.bb.port, self.bb.proc.pid,
                    os.path.join(self.h.PLUGIN_DIR, self.h.PLUGIN_SO)))
        self.irc = self.bb.connect(IRC_NICK, transcript_name='irc-transcript',
                                   echo=Transcript())
        self.irc.register()

    def sign_in(self):
        out.step('3. Pat signs in both accounts, as typed in &bitlbee')
        irc = self.irc
        for p in PAT:
            irc.root('account add twinbird %s %s' % (p['handle'], p['token']))
            p['tag'] = irc.expect_root(r'Account successfully added with tag (\S+)').group(1)
            for key, value in (('api_base', self.x.api_base), ('auth', 'bearer'),
                               ('role', p['role']), ('dm_interval', POLL_SECONDS),
                               ('mention_interval', POLL_SECONDS)):
                irc.root('account %s set %s %s' % (p['tag'], key, value))
                irc.expect_root(r'%s = `' % key)
            irc.root('account %s on' % p['tag'])
        online = 0
        for p in PAT:
            try:
                irc.expect(r'PRIVMSG &bitlbee :%s - Logging in: Logged in' % re.escape(p['tag']),
                           30, since=0)
                irc.expect(r'^:%s_*!\S+ JOIN :?&bitlbee' % re.escape(p['handle']), 10, since=0)
                online += 1
                self.results.append(('@%s (%s) online' % (p['handle'], p['role']), True, ''))
            except AssertionError:
                self.results.append(('@%s (%s) online' % (p['handle'], p['role']), False,
                                     'no "Logged in" within 30 s'))
        return online == len(PAT)

    # Each scene: do something on X (through the simulator's control port, standing in for
    # other people using X's own app), then wait for what the IRC user should see. A scene that
    # the plugin cannot show yet is reported and the demo goes on.
    def scene(self, title, fn):
        out.step(title)
        try:
            detail = fn() or ''
            self.results.append((title.split('. ', 1)[-1], True, detail))
        except (AssertionError, self.h.SimError, KeyError) as e:
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            first = first.split('; last lines')[0]
            out.warn(first)
            self.results.append((title.split('. ', 1)[-1], False, first))

    def dm_each_account(self):
        self.x.dm('sam_rivera', 'pat_home', 'Hi Pat! Lunch on Friday?')
        self.x.dm('dana_ops', 'pat_at_acme', 'Can you review the Q3 deck today?')
        self.irc.expect(r'^:sam_rivera_*!\S+ PRIVMSG %s :.*Lunch on Friday' % IRC_NICK, 20,
                        since=0)
        self.irc.expect(r'^:dana_ops_*!\S+ PRIVMSG %s :.*Q3 deck' % IRC_NICK, 20, since=0)

    def mention_each_account(self):
        self.mention_home = self.x.tweet('lee_chen', '@pat_home loved your photo from the hike!')
        self.mention_work = self.x.tweet('acme_news', '@pat_at_acme congrats on the launch!')
        self.irc.expect(r'^:lee_chen_*!\S+ PRIVMSG (#\S+) :.*photo from the hike', 20, since=0)
        m = self.irc.expect(r'^:acme_news_*!\S+ PRIVMSG (#\S+) :.*congrats on the launch', 20,
                            since=0)
        self.work_channel = m.group(1)

    def tagged_dm_answer(self):
        since = self.irc.mark()
        self.irc.send('PRIVMSG sam_rivera :Friday works!')
        dm = self.wait_posted(lambda p: p.get('kind') == 'dm' and
                              'Friday works' in (p.get('text') or ''))
        out.info('X received: a DM to @%s from @%s, sent with @%s\'s token'
                 % (dm.get('recipient'), dm['username'], self.token_owner(dm)))
        assert dm['username'] == 'pat_home', 'the DM went out from @%s' % dm['username']
        self.irc.expect(r'\[personal @pat_home\].*Friday works', 20, since=since)

    def tagged_thread_reply(self):
        since = self.irc.mark()
        self.irc.send('PRIVMSG %s :Thanks, it was a team effort!' % self.work_channel)
        # a reply typed in a mention thread asks first (confirm_public=replies): yes sends it
        self.irc.expect(r'PRIVMSG &bitlbee :.*New request: .*Post publicly', 20, since=since)
        self.irc.send('PRIVMSG &bitlbee :yes')
        reply = self.wait_posted(lambda p: p.get('kind') == 'reply' and
                                 'team effort' in (p.get('text') or ''))
        out.info('X received: a reply to post %s from @%s, sent with @%s\'s token: %s'
                 % (reply.get('in_reply_to_tweet_id'), reply['username'],
                    self.token_owner(reply), reply.get('text')))
        assert reply['username'] == 'pat_at_acme', 'the reply went out from @%s' % \
            reply['username']
        assert reply.get('in_reply_to_tweet_id') == self.mention_work['id'], \
            'the reply does not answer the mention'
        self.irc.expect(r'\[work @pat_at_acme\].*team effort', 20, since=since)

    def work_hours(self):
        """The work account's hours start at the next minute: until then its own buddy is away
        and a post typed to it is held; a personal post is scheduled for the same minute."""
        irc, work = self.irc, PAT[1]
        start = (int(time.time()) // 60 + 1) * 60
        if start - time.time() < 15:
            start += 60
        self.start = start
        self.start_hhmm = time.strftime('%H:%M', time.gmtime(start))
        hours = 'daily %s-%s' % (self.start_hhmm,
                                 time.strftime('%H:%M', time.gmtime(start + 3600)))
        irc.root('account %s off' % work['tag'])
        irc.expect_root(r'%s - Signing off' % re.escape(work['tag']), 10)
        for key, value in (('work_hours', hours), ('time_zone', 'UTC')):
            irc.root('account %s set %s "%s"' % (work['tag'], key, value))
            irc.expect_root(r'%s = `' % key)
        since = irc.mark()
        irc.root('account %s on' % work['tag'])
        irc.expect(r'PRIVMSG &bitlbee :%s - Logging in: Logged in' % re.escape(work['tag']), 30,
                   since=since)
        irc.send('WHOIS pat_at_acme')
        away = irc.expect(r' 301 %s pat_at_acme :(.*)' % IRC_NICK, 10, since=since).group(1)
        out.info('pat_at_acme is away: %s' % away)
        since = irc.mark()
        irc.send('PRIVMSG pat_at_acme :Our Q3 numbers are out: a record quarter!')
        # Twinbird's notices come from the account's own buddy, never as Pat's own lines
        irc.expect(r'^:pat_at_acme!\S+ PRIVMSG %s :\*\*\* HELD \(o\d+\)' % IRC_NICK, 10,
                   since=since)
        irc.send('PRIVMSG pat_home :schedule %s Weekend hike photos are up' % self.start_hhmm)
        irc.expect(r'^:pat_home!\S+ PRIVMSG %s :\*\*\* SCHEDULED \(o\d+\)' % IRC_NICK, 10,
                   since=since)
        return 'work starts at %s UTC' % self.start_hhmm

    def work_starts(self):
        """At the start of the hours: the held post and the scheduled one go out, tagged, from
        the right accounts, and the work buddy is back."""
        since = self.irc.mark()
        out.info('waiting for %s UTC (%d s)' % (self.start_hhmm, max(0, self.start - time.time())))
        timeout = self.start - time.time() + 20
        held = self.wait_posted(lambda p: 'record quarter' in (p.get('text') or ''), timeout)
        assert held['username'] == 'pat_at_acme', 'the held post went out from @%s' % \
            held['username']
        assert time.time() >= self.start - 1, 'the held post went out before work started'
        sched = self.wait_posted(lambda p: 'hike photos' in (p.get('text') or ''), 20)
        assert sched['username'] == 'pat_home', 'the scheduled post went out from @%s' % \
            sched['username']
        self.irc.expect(r'\[work @pat_at_acme\].*record quarter', 20, since=since)
        self.irc.expect(r'\[personal @pat_home\].*hike photos', 20, since=since)
        since = self.irc.mark()
        self.irc.send('WHOIS pat_at_acme')
        self.irc.expect(r' 318 %s pat_at_acme' % IRC_NICK, 10, since=since)
        assert not self.irc.find(r' 301 %s pat_at_acme' % IRC_NICK, since=since), \
            'pat_at_acme is still away'
        out.info('pat_at_acme is available again')

    def wait_posted(self, pred, timeout=20):
        def find():
            return next((p for p in self.x.posted() or [] if pred(p)), None)
        try:
            return self.h.wait_until(find, timeout, interval=0.2, what='the post on X')
        except TimeoutError as e:
            raise AssertionError(str(e))

    def token_owner(self, posted):
        return next((p['handle'] for p in PAT if p['token'] == posted.get('token')), '?')

    def summary(self):
        out.step('Summary')
        for what, ok, detail in self.results:
            (out.ok if ok else out.warn)(what + ('   ' + detail if detail and not ok else ''))
        both = all(ok for what, ok, _ in self.results if what.endswith(' online'))
        print('\nRESULT: %s' % ('both accounts online' if both else 'NOT both accounts online'),
              flush=True)
        out.info('logs and the raw IRC transcript: %s' % self.logdir)
        return both

    def hand_over(self):
        """Save Pat's BitlBee account so that the user's own client gets both accounts."""
        self.irc.root('register %s' % IRC_PASSWORD)
        self.irc.expect_root(r'Account successfully created|already registered', 10)
        self.irc.root('save')
        self.irc.expect_root(r'Configuration saved', 10)
        self.irc.quit('the demo hands over to you')
        port = self.bb.port
        out.step('Your turn')
        out.info('Connect your IRC client to BitlBee (nick %s, server password %s):'
                 % (IRC_NICK, IRC_PASSWORD))
        out.info('   irssi -c 127.0.0.1 -p %d -n %s -w %s' % (port, IRC_NICK, IRC_PASSWORD))
        out.info('   (weechat: /server add demo 127.0.0.1/%d -password=%s; /set '
                 'irc.server.demo.nicks %s; /connect demo)' % (port, IRC_PASSWORD, IRC_NICK))
        out.info('Both accounts sign in again; message pat_home or pat_at_acme to post from it.')
        interact(self.x)

    def run(self):
        self.logdir = self.args.logdir
        self.start_sim()
        self.start_bitlbee()
        online = self.sign_in()
        if online:
            self.scene('4. A DM arrives on each account', self.dm_each_account)
            self.scene('5. A mention arrives on each account', self.mention_each_account)
            self.scene('6. Pat answers the DM on the personal account: tagged, from @pat_home',
                       self.tagged_dm_answer)
            if getattr(self, 'work_channel', None):
                self.scene('7. Pat replies in the work thread: tagged, from @pat_at_acme',
                           self.tagged_thread_reply)
            self.scene('8. Work hours: @pat_at_acme away, a work post held, a personal one '
                       'scheduled', self.work_hours)
            if getattr(self, 'start', None):
                self.scene('9. Work starts: the held and the scheduled post go out, tagged',
                           self.work_starts)
        ok = self.summary()
        if ok and not self.args.no_wait:
            self.hand_over()
        return 0 if ok else 1


# ---------------------------------------------------------------------------------------------
# Waiting, with a few commands to make things happen on X

HELP = """   While you wait, type here (Ctrl-C or "quit" stops everything):
     dm FROM TO TEXT      e.g.  dm sam_rivera pat_home are you there?
     post FROM TEXT       e.g.  post lee_chen @pat_at_acme @pat_home both of you?
     posted               what the plugin has posted to X so far"""


def interact(x):
    if not sys.stdin.isatty():
        out.info('Waiting; Ctrl-C (or kill %d) stops everything.' % os.getpid())
        signal.pause()
        return
    print(HELP, flush=True)
    while True:
        try:
            line = input('demo> ').strip()
        except EOFError:
            return
        if not line:
            continue
        words = line.split(None, 3)
        try:
            if words[0] in ('quit', 'exit'):
                return
            if words[0] == 'dm' and len(words) == 4:
                x.dm(words[1], words[2], words[3])
            elif words[0] == 'post' and len(words) >= 3:
                x.tweet(words[1], line.split(None, 2)[2])
            elif words[0] == 'posted':
                for p in x.posted() or []:
                    print('   %s by @%s: %s' % (p.get('kind'), p.get('username'), p.get('text')))
            else:
                print(HELP)
        except Exception as e:  # a typo must not end the demo
            print('   error: %s' % e)


def signed_in(x, handle_token):
    return all(any(r.get('status') == 200 for r in x.requests_to('/2/users/me', token=tok))
               for tok in handle_token)


def finch_demo(args, h):
    out.step('1. The simulated X API on 127.0.0.1')
    x = h.Sim(scenario=scenario(), logdir=args.logdir).start()
    h.raise_dm_limit(x)  # DMs within seconds, not X's minute (see start_sim)
    out.info('api_base %s   (pid %d)' % (x.api_base, x.proc.pid))
    out.step('2. Finch (in a private tmux server) with both accounts')
    accounts = [h.account(p['handle'], p['token'], x.api_base, role=p['role'],
                          dm_interval=POLL_SECONDS, mention_interval=POLL_SECONDS) for p in PAT]
    finch = h.Finch(accounts, logdir=args.logdir, width=160, height=44).start()
    out.info('finch pid %d, tmux socket %s' % (finch.pid, finch.socket))
    try:
        finch.wait_screen(r'pat_at_acme[^\n]*\n(.*\n)*.*pat_home|pat_home[^\n]*\n(.*\n)*'
                          r'.*pat_at_acme', 30)
        ok = True
    except AssertionError:
        ok = False
    x.dm('sam_rivera', 'pat_home', 'Hi Pat! Lunch on Friday?')
    x.tweet('acme_news', '@pat_at_acme congrats on the launch!')
    time.sleep(POLL_SECONDS + 2)
    print(finch.screen(), flush=True)
    print('RESULT: %s' % ('both accounts online' if ok else 'NOT both accounts online'))
    if not args.no_wait and ok:
        out.step('Your turn')
        out.info('Attaching Finch here. Alt+q quits Finch (and the demo); Ctrl-b d detaches.')
        out.info('Elsewhere: tmux -S %s attach' % finch.socket)
        time.sleep(2)
        subprocess.call([finch.tmux, '-S', finch.socket, 'attach', '-t', 'finch'])
    return 0 if ok else 1


def arrange_windows(display):
    """No window manager on Xvfb: every window opens at 0,0. Put the buddy list on the left and
    the conversations beside it."""
    xdotool = shutil.which('xdotool', path='/usr/bin')
    if xdotool is None:
        return
    env = dict(os.environ, DISPLAY=display)

    def run(*a):
        r = subprocess.run([xdotool] + list(a), env=env, capture_output=True, text=True,
                           timeout=10)
        return r.stdout.split()
    blist = run('search', '--onlyvisible', '--name', '^Buddy List$')
    for w in run('search', '--onlyvisible', '--name', '.'):
        if w in blist:
            run('windowmove', w, '0', '0', 'windowsize', w, '300', '560')
        else:
            run('windowmove', w, '310', '0', 'windowsize', w, '640', '560')


def pidgin_demo(args, h):
    out.step('1. The simulated X API on 127.0.0.1')
    x = h.Sim(scenario=scenario(), logdir=args.logdir).start()
    h.raise_dm_limit(x)  # DMs within seconds, not X's minute (see start_sim)
    out.info('api_base %s   (pid %d)' % (x.api_base, x.proc.pid))
    display = os.environ.get('DISPLAY')
    xvfb = None
    if not display:
        xvfb = h.Xvfb(logdir=args.logdir).start()
        display = xvfb.display
        out.info('no DISPLAY: Pidgin runs on a private Xvfb (%s); a screenshot is saved' % display)
    out.step('2. Pidgin with both accounts')
    accounts = [h.account(p['handle'], p['token'], x.api_base, role=p['role'],
                          dm_interval=POLL_SECONDS, mention_interval=POLL_SECONDS) for p in PAT]
    pidgin = h.Pidgin(accounts, logdir=args.logdir, display=display).start()
    out.info('pidgin pid %d' % pidgin.proc.pid)
    try:
        h.wait_until(lambda: signed_in(x, [p['token'] for p in PAT]), 30,
                     what='both accounts signed in')
        ok = True
    except TimeoutError:
        ok = False
    x.dm('sam_rivera', 'pat_home', 'Hi Pat! Lunch on Friday?')
    x.tweet('acme_news', '@pat_at_acme congrats on the launch!')
    print('RESULT: %s' % ('both accounts online' if ok else 'NOT both accounts online'))
    if xvfb is not None:
        time.sleep(12)  # Pidgin shows a fresh buddy's "signing on" icon for ~10 s
        arrange_windows(display)
        shot = os.path.join(args.logdir, 'pidgin.png')
        if shutil.which('import', path='/usr/bin'):
            subprocess.call(['/usr/bin/import', '-display', display, '-window', 'root', shot])
            out.info('screenshot: %s' % shot)
    if not args.no_wait and ok:
        out.step('Your turn')
        out.info('Pidgin is open on %s; Ctrl-C here stops everything.' % display)
        interact(x)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument('--finch', action='store_true', help='open Finch instead of BitlBee')
    mode.add_argument('--pidgin', action='store_true', help='open Pidgin instead of BitlBee')
    ap.add_argument('--no-wait', action='store_true', help='run the scripted part and exit')
    ap.add_argument('--build-dir', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--port', type=int, default=None, help='BitlBee port (default: a free one)')
    ap.add_argument('--logdir', default=None, help='where logs go (default: under the build dir)')
    args = ap.parse_args()

    build = os.path.abspath(args.build_dir)
    os.environ['TB_BUILD_ROOT'] = build
    os.environ['TB_SOURCE_ROOT'] = ROOT
    os.environ.setdefault('TB_PLUGIN_DIR', os.path.join(build, 'plugin', 'purple'))
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'e2e'))
    import tbharness as h

    so = os.path.join(h.PLUGIN_DIR, h.PLUGIN_SO)
    if not os.path.exists(so):
        sys.exit('tools/demo: the plugin is not built (%s); run tools/demo without --no-build'
                 % so)
    args.logdir = args.logdir or h.log_dir('demo')

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    print('Twinbird demo: one person, two X accounts (personal and work), on 127.0.0.1 only.')
    try:
        if args.finch:
            return finch_demo(args, h)
        if args.pidgin:
            return pidgin_demo(args, h)
        return Demo(args, h).run()
    except KeyboardInterrupt:
        print('\nstopping', flush=True)
        return 130
    finally:
        h.cleanup()
        print('demo: every process it started is stopped.', flush=True)


if __name__ == '__main__':
    sys.exit(main())
