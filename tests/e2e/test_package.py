#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 15, the Debian package: `tools/package` builds purple-twinbird from a copy of this
source tree (dpkg-buildpackage, then lintian with no errors), the .deb is unpacked with
`dpkg-deb -x` into a throwaway root, and there the plugin, the protocol icons, the translations
and the docs are at Debian's paths and nothing else is shipped. The unpacked plugin loads in
tb-host from that root's libpurple plugin directory, registers prpl-twinbird and signs an account
in against the simulator; BitlBee loads the same file and knows the protocol.

The package's unit tests are not run here (DEB_BUILD_OPTIONS=nocheck: the unit suite runs in
tools/check anyway); `tools/package` alone runs them. Skips (exit 77) when dpkg-buildpackage,
debhelper or lintian is missing: `tools/deps` installs them."""

import gettext
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

PACKAGE = 'purple-twinbird'
ICON_SIZES = (16, 22, 48)
BUILD_TIMEOUT = 200  # seconds; about 40 on an idle 2-core machine


def missing_tools():
    """Programs tools/package needs that are not installed, with their Debian packages."""
    need = {'dpkg-buildpackage': 'dpkg-dev', 'dh': 'debhelper', 'lintian': 'lintian',
            'dpkg-deb': 'dpkg'}
    return ['%s (%s)' % (prog, pkg) for prog, pkg in need.items()
            if shutil.which(prog, path=h.BASE_PATH) is None]


def skip_reason():
    missing = missing_tools()
    if missing:
        return ('cannot build a Debian package here: %s not installed (tools/deps installs them)'
                % ', '.join(missing))
    return None


def run(args, **kw):
    return subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True, **kw).stdout


def png_size(path):
    with open(path, 'rb') as f:
        head = f.read(24)
    if head[:8] != b'\x89PNG\r\n\x1a\n' or head[12:16] != b'IHDR':
        raise AssertionError('%s is not a PNG' % path)
    return struct.unpack('>II', head[16:24])


def linguas():
    with open(os.path.join(h.SOURCE_ROOT, 'po', 'LINGUAS'), encoding='utf-8') as f:
        return [w for line in f for w in line.split('#')[0].split()]


class Package(h.E2ETestCase):
    """One build for the whole class; each test looks at the unpacked result."""

    @classmethod
    def setUpClass(cls):
        reason = skip_reason()
        if reason:
            raise unittest.SkipTest(reason)
        cls.work = tempfile.mkdtemp(prefix='tb-package-test-')
        cls.logs = h.log_dir('test_package.build')
        cls.build_log = os.path.join(cls.logs, 'tools-package.log')
        dist = os.path.join(cls.work, 'dist')
        env = h.base_env(DEB_BUILD_OPTIONS='nocheck', TB_KEEP_TMP=None)
        with open(cls.build_log, 'w') as log:
            proc = subprocess.run([os.path.join(h.SOURCE_ROOT, 'tools', 'package'), '-o', dist],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=log, env=env, timeout=BUILD_TIMEOUT, text=True)
            log.write(proc.stdout)
        if proc.returncode != 0:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise AssertionError('tools/package exited with %d; its log (%s) ends:\n%s'
                                 % (proc.returncode, cls.build_log, h.tail(cls.build_log, 40)))
        cls.deb = proc.stdout.strip().splitlines()[-1]
        cls.root = os.path.join(cls.work, 'root')
        run(['dpkg-deb', '-x', cls.deb, cls.root])
        cls.plugindir = run(['pkg-config', '--variable=plugindir', 'purple']).strip()
        cls.root_plugindir = cls.root + cls.plugindir
        cls.so = os.path.join(cls.root_plugindir, h.PLUGIN_SO)
        with open(cls.build_log, encoding='utf-8', errors='replace') as f:
            cls.build_output = f.read()

    @classmethod
    def tearDownClass(cls):
        if os.environ.get('TB_KEEP_TMP') != '1':
            shutil.rmtree(cls.work, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def test_deb_fields_and_lintian(self):
        self.assertEqual(os.path.basename(self.deb).split('_')[0], PACKAGE)
        fields = run(['dpkg-deb', '-f', self.deb, 'Package', 'Architecture', 'Depends'])
        arch = run(['dpkg', '--print-architecture']).strip()
        self.assertIn('Package: %s\n' % PACKAGE, fields)
        self.assertIn('Architecture: %s\n' % arch, fields)
        self.assertRegex(fields, r'Depends: .*libpurple0')
        # tools/package fails on a lintian error; its report is in the log all the same
        self.assertIn('tools/package: lintian: no errors', self.build_output)
        self.assertNotRegex(self.build_output, r'(?m)^E: ')

    def test_files_at_debian_paths(self):
        self.assertTrue(self.plugindir.startswith('/usr/lib/'), self.plugindir)
        self.assertTrue(os.path.isfile(self.so), 'no plugin at %s' % self.so)
        with open(self.so, 'rb') as f:
            self.assertEqual(f.read(4), b'\x7fELF')
        icons = self.path('usr', 'share', 'pixmaps', 'pidgin', 'protocols')
        for size in ICON_SIZES:
            png = os.path.join(icons, str(size), 'twinbird.png')
            self.assertTrue(os.path.isfile(png), 'no icon %s' % png)
            self.assertEqual(png_size(png), (size, size), png)
        svg = os.path.join(icons, 'scalable', 'twinbird.svg')
        with open(svg, encoding='utf-8') as f:
            self.assertIn('<svg', f.read())
        langs = linguas()
        self.assertTrue(langs, 'po/LINGUAS names no language')
        for lang in langs:
            mo = self.path('usr', 'share', 'locale', lang, 'LC_MESSAGES', 'twinbird.mo')
            self.assertTrue(os.path.isfile(mo), 'no translation %s' % mo)
            with open(mo, 'rb') as f:
                catalog = gettext.GNUTranslations(f)._catalog
            self.assertGreater(len([k for k in catalog if k]), 0, '%s translates nothing' % mo)
        doc = self.path('usr', 'share', 'doc', PACKAGE)
        with open(os.path.join(doc, 'copyright'), encoding='utf-8') as f:
            copyright_text = f.read()
        self.assertTrue(copyright_text.startswith(
            'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/'))
        self.assertIn('License: GPL-2+', copyright_text)
        for name in ('README.md.gz', 'changelog.gz', 'signing-in.md.gz'):
            self.assertTrue(os.path.isfile(os.path.join(doc, name)), 'no %s in %s' % (name, doc))

    def test_ships_nothing_else(self):
        allowed = (self.plugindir.lstrip('/') + '/' + h.PLUGIN_SO,
                   'usr/share/pixmaps/pidgin/protocols/', 'usr/share/locale/',
                   'usr/share/doc/%s/' % PACKAGE)
        files = []
        for top, _dirs, names in os.walk(self.root):
            files += [os.path.relpath(os.path.join(top, n), self.root) for n in names]
        self.assertTrue(files)
        stray = [f for f in files if not f.startswith(allowed)]
        self.assertEqual(stray, [], 'files outside the plugin, icon, locale and doc paths')
        self.assertTrue(all(f.endswith('/twinbird.mo')
                            for f in files if f.startswith('usr/share/locale/')))

    def test_host_loads_packaged_plugin(self):
        x = self.sim()
        user = x.add_user('pat_home', 'Pat', token='tok-pat-home')
        host = self.host([h.account('pat_home', user['token'], x.api_base, mutuals_cap=0)],
                         plugin_dir=self.root_plugindir, args=['--no-reconnect'])
        prpl = host.wait_for({'event': 'prpl', 'id': h.PROTOCOL})
        self.assertEqual(os.path.realpath(prpl['path']), os.path.realpath(self.so))
        self.assertTrue(prpl['loaded'])
        self.assertIn('role', [o['key'] for o in prpl['options']])
        ready = host.wait_for({'event': 'ready'})
        self.assertIn(h.PROTOCOL, ready['protocols'])
        host.wait_for({'event': 'signed-on', 'account': 'pat_home'}, 20)
        self.assertEqual(host.quit(), 0)

    def test_bitlbee_loads_packaged_plugin(self):
        bb = self.bitlbee(plugin_dir=self.root_plugindir)  # a copy of the unpacked file
        irc = bb.connect('pat').register()
        irc.root('account add twinbird pat_home tok-pat-home')  # added, left off
        irc.expect_root(r'Account successfully added with tag twinbird')
        irc.root('help purple twinbird')
        irc.expect_root(r'BitlBee libpurple module twinbird ')


if __name__ == '__main__':
    why = skip_reason()
    if why:
        print('SKIP: ' + why)
        sys.exit(77)  # meson: skipped
    h.main()
