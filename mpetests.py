#!/usr/bin/env python3
"""Placeholder until the core lands: the command-line tests (merged below the lead's suites)"""

# === Command line (issue 6): mpepool / python -m mpepool ==============================================
# The parsing, input, template and job log helpers are checked in-process; everything else runs the real
# command as a subprocess (sys.executable -m mpepool) with the repository as its working directory.
import io as _cli_io
import os as _cli_os
import subprocess as _cli_subprocess
import sys as _cli_sys
import tempfile as _cli_tempfile
import time as _cli_time
import unittest as _cli_unittest

import mpepool as _cli_mpe

_CLI_REPO = _cli_os.path.dirname(_cli_os.path.abspath(__file__))


def _cliCmd(*args):
	"""The argv of the real command line"""
	return [_cli_sys.executable, '-m', 'mpepool'] + [str(a) for a in args]


def _cliRun(*args, stdin=b'', timeout=60, cwd=None, env=None):
	"""Run `python -m mpepool ARGS` to its end: subprocess.CompletedProcess with bytes stdout/stderr"""
	return _cli_subprocess.run(_cliCmd(*args), input=stdin, stdout=_cli_subprocess.PIPE
		, stderr=_cli_subprocess.PIPE, timeout=timeout, cwd=cwd or _CLI_REPO, env=env)


def _cliParseLog(path):
	"""A job log parsed back: (header list, [dict column -> str]); our columns split from the right"""
	with open(path, encoding='utf-8') as flog:
		lines = flog.read().split('\n')
	assert lines[-1] == '', 'the log ends with a newline'
	header = lines[0].split('\t')
	rows = []
	for line in lines[1:-1]:
		gnu = line.split('\t', 8)
		cmd, *ours = gnu[8].rsplit('\t', 4)
		rows.append(dict(zip(header, gnu[:8] + [cmd] + ours)))
	return header, rows


class TestCliParsing(_cli_unittest.TestCase):
	"""Options, sizes, the halt policy and input lines of the command line, in-process"""

	def testDefaults(self):
		ns = _cli_mpe._cliParse(['cmds.txt'])
		self.assertEqual(ns.files, ['cmds.txt'])
		self.assertEqual(ns.jobs, len(_cli_os.sched_getaffinity(0)))
		self.assertEqual((ns.timeout, ns.retries, ns.memlim, ns.memlimit, ns.afnstep), (0, 1, 0, 0, 0))
		self.assertIsNone(ns.halt)
		self.assertEqual(ns.template, [])

	def testValues(self):
		ns = _cli_mpe._cliParse(['-j', '3', '--timeout', '2.5', '--retries', '4', '--memlim', '512M'
			, '--memlimit', '2', '--afnstep', '2', '--halt', 'soon,fail=3', '--webui', ':8123', '--', 'echo'
			, '{}', ':::', 'a', 'b c'])
		self.assertEqual((ns.jobs, ns.timeout, ns.retries, ns.afnstep), (3, 2.5, 4, 2))
		self.assertAlmostEqual(ns.memlim, 0.5)
		self.assertEqual(ns.memlimit, 2.)
		self.assertEqual(ns.halt, ('soon', 3, None))
		self.assertEqual(ns.webui, ('localhost', 8123))
		self.assertEqual(ns.template, ['echo', '{}'])
		self.assertEqual(ns.inline, ['a', 'b c'])

	def testSizes(self):
		for txt, gb in (('1.5', 1.5), ('2G', 2.), ('2gb', 2.), ('512M', .5), ('1048576K', 1.), ('1T', 1024.)
		, ('0', 0.)):
			self.assertAlmostEqual(_cli_mpe._cliSize('--memlim', txt), gb, msg=txt)
		for bad in ('-1', 'x', '2Q', '', 'nan'):
			with self.assertRaises(_cli_mpe._CliError, msg=bad) as ctx:
				_cli_mpe._cliSize('--memlim', bad)
			self.assertIn('--memlim', str(ctx.exception))

	def testHalt(self):
		self.assertIsNone(_cli_mpe._cliHalt('never'))
		self.assertEqual(_cli_mpe._cliHalt('2'), ('now', 2, None))
		self.assertEqual(_cli_mpe._cliHalt('now,fail=1'), ('now', 1, None))
		self.assertEqual(_cli_mpe._cliHalt('soon,fail=25%'), ('soon', None, 25.))
		for bad in ('later,fail=1', 'now,fail=0', 'now,fail=-1', 'now,success=1', 'fail=101%', 'x'):
			with self.assertRaises(_cli_mpe._CliError, msg=bad):
				_cli_mpe._cliHalt(bad)

	def testErrorsNameTheProblem(self):
		for argv, word in ((['--no-such-option'], '--no-such-option'), (['--timeout', '-1'], '--timeout')
		, (['-j', '0'], '-j'), (['-j', 'two'], '-j'), (['--retries', '-2'], '--retries')
		, (['--resume'], '--joblog'), (['--joblog', 'l', '--resume', '--resume-failed'], 'exclude')
		, (['--webui', 'host:http'], '--webui'), (['--webui', ':70000'], '--webui')
		, (['--workdir', '/no/such/dir'], '--workdir'), (['--'], 'template'), (['f', '--', ':::', 'a'], ':::')
		, (['--demo', 'f'], '--demo')):
			with self.assertRaises(_cli_mpe._CliError, msg=argv) as ctx:
				_cli_mpe._cliParse(argv)
			self.assertIn(word, str(ctx.exception), argv)

	def testTemplateFill(self):
		fill = _cli_mpe._cliFill
		self.assertEqual(fill('gzip {}', 'a b.txt', 1), "gzip 'a b.txt'")
		self.assertEqual(fill('conv {} {.}.png {/} {//} {/.} #{#}', 'd/x.jpg', 7)
			, 'conv d/x.jpg d/x.png x.jpg d x #7')
		self.assertEqual(fill("awk '{print $1}' {}", 'f', 1), "awk '{print $1}' f")
		self.assertEqual(fill('echo ${HOME} {', 'f', 1), 'echo ${HOME} {')
		self.assertEqual(fill('echo {}', "it's", 1), 'echo \'it\'"\'"\'s\'')

	def testInputs(self):
		with _cli_tempfile.TemporaryDirectory() as tmp:
			fa = _cli_os.path.join(tmp, 'a')
			fb = _cli_os.path.join(tmp, 'b')
			with open(fa, 'wb') as fout:
				fout.write(b'echo 1\n\n  \necho 2\r\n')
			with open(fb, 'wb') as fout:
				fout.write(b'echo \xff3')  # No final newline; a byte that is not UTF-8
			ns = _cli_mpe._cliParse([fa, fb])
			cmds = _cli_mpe._cliInputs(ns)
			self.assertEqual(cmds, [(1, 'echo 1'), (2, 'echo 2'), (3, 'echo \udcff3')])
			# Blank lines are arguments of a template; stdin is read when no file is named
			ns = _cli_mpe._cliParse(['--', 'echo'])
			cmds = _cli_mpe._cliInputs(ns, stdin=_cli_io.BytesIO(b'x\n\ny z\n'))
			self.assertEqual(cmds, [(1, 'echo x'), (2, "echo ''"), (3, "echo 'y z'")])
			ns = _cli_mpe._cliParse(['-a', fa, _cli_os.path.join(tmp, 'missing')])
			with self.assertRaises(_cli_mpe._CliError) as ctx:
				_cli_mpe._cliInputs(ns)
			self.assertIn('missing', str(ctx.exception))


class TestCliJoblog(_cli_unittest.TestCase):
	"""The job log line format and the reading of logs for --resume, in-process"""

	def setUp(self):
		self.tmp = _cli_tempfile.TemporaryDirectory()
		self.addCleanup(self.tmp.cleanup)
		self.path = _cli_os.path.join(self.tmp.name, 'log')

	def write(self, text):
		with open(self.path, 'w') as flog:
			flog.write(text)

	def testLineRoundTrip(self):
		line = _cli_mpe._cliLogLine(12, 1700000000.1234, 1.5, 42, -1, 15, "printf 'a\\tb'\tx", 0.5, 0.25, 0.125
			, 'timeout')
		self.assertTrue(line.endswith('\n'))
		cols = line[:-1].split('\t')
		self.assertEqual(cols[:8], ['12', ':', '1700000000.123', '     1.500', '0', '42', '-1', '15'])
		self.assertEqual(cols[-4:], ['512.000', '0.250', '0.125', 'timeout'])
		self.assertEqual(_cli_mpe._cliLogRecord(line[:-1]), (12, -1, 15, "printf 'a\\tb'\tx\t512.000\t0.250"
			"\t0.125\ttimeout"))
		self.write(_cli_mpe._JOBLOG_HEADER + '\n' + line)
		self.assertEqual(_cli_mpe._cliReadJoblog(self.path), {12: False})

	def testVerdicts(self):
		rows = [_cli_mpe._cliLogLine(s, 1.7e9, 0.1, 0, e, g, 'c', 0, 0, 0, None) for s, e, g in (
			(1, 0, 0), (2, 3, 0), (3, 0, 9), (2, 0, 0))]
		self.write(_cli_mpe._JOBLOG_HEADER + '\n' + ''.join(rows))
		self.assertEqual(_cli_mpe._cliReadJoblog(self.path), {1: True, 2: True, 3: False})
		# A log of GNU parallel has only the nine first columns
		self.write('\t'.join(_cli_mpe._JOBLOG_GNU) + '\n1\t:\t1795674156.012\t     0.000\t0\t2\t0\t0\techo a\n'
			'2\t:\t1795674156.014\t     0.203\t0\t0\t3\t0\tsleep 0.2; exit 3\n')
		self.assertEqual(_cli_mpe._cliReadJoblog(self.path), {1: True, 2: False})
		self.assertEqual(_cli_mpe._cliReadJoblog(self.path + '.missing'), {})
		self.write('')
		self.assertEqual(_cli_mpe._cliReadJoblog(self.path), {})

	def testMalformed(self):
		good = _cli_mpe._cliLogLine(1, 1.7e9, 0.1, 0, 0, 0, 'c', 0, 0, 0, None)
		for text, where in (('Seq\tHost\n' + good, 'line 1'), (_cli_mpe._JOBLOG_HEADER + '\n' + good[:-1]
		, 'line 2'), (_cli_mpe._JOBLOG_HEADER + '\n' + good + 'x\t:\t1\t1\t0\t0\t0\t0\tc\n', 'line 3')
		, (_cli_mpe._JOBLOG_HEADER + '\n1\t:\t1\n', 'line 2'), (_cli_mpe._JOBLOG_HEADER + '\n' + good.replace(
			'\t0\t0\tc', '\tzero\t0\tc') , 'Exitval')):
			self.write(text)
			with self.assertRaises(_cli_mpe._CliError, msg=text) as ctx:
				_cli_mpe._cliReadJoblog(self.path)
			self.assertIn('malformed job log', str(ctx.exception))
			self.assertIn(where, str(ctx.exception))


class TestCliUsageErrors(_cli_unittest.TestCase):
	"""Bad input to the real command: one line naming the problem, exit status 255, nothing run"""

	def testBadInput(self):
		with _cli_tempfile.TemporaryDirectory() as tmp:
			marker = _cli_os.path.join(tmp, 'ran')
			cmds = _cli_os.path.join(tmp, 'cmds')
			with open(cmds, 'w') as fout:
				fout.write('touch {}\n'.format(marker))
			badlog = _cli_os.path.join(tmp, 'bad.log')
			with open(badlog, 'w') as fout:
				fout.write('not a job log\n')
			for args, word in ((['--bogus', cmds], '--bogus'), (['--timeout', '-5', cmds], '--timeout')
			, ([cmds, _cli_os.path.join(tmp, 'nofile')], 'nofile'), (['--joblog', badlog, '--resume', cmds]
				, 'malformed job log'), (['--memlim', 'lots', cmds], '--memlim'), (['--halt', 'x', cmds]
				, '--halt'), (['--joblog', _cli_os.path.join(tmp, 'no', 'dir', 'log'), cmds], 'job log')):
				res = _cliRun(*args)
				self.assertEqual(res.returncode, 255, (args, res.stderr))
				err = res.stderr.decode()
				self.assertEqual(err.count('\n'), 1, err)
				self.assertTrue(err.startswith('mpepool: error: '), err)
				self.assertIn(word, err)
				self.assertEqual(res.stdout, b'')
				self.assertFalse(_cli_os.path.exists(marker), args)
