#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Unit tests of mpepool and mpewui: real processes, real files, a real HTTP server and browser

Run: python -m pytest -q mpetests.py   (or python -m unittest mpetests)
MPEPOOL_HIDE_PSUTIL=1 runs the suite as on a machine without psutil.
"""
import contextlib
import errno
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from unittest import mock

if os.environ.get('MPEPOOL_HIDE_PSUTIL'):
	sys.modules['psutil'] = None  # Import of psutil fails: the suite runs as without it

import mpepool
from mpepool import (AffinityMask, ExecPool, Job, JobInfo, Task, TaskInfo, TaskInfoExt, cpucorethreads
	, inBytes, inGigabytes, infodata, secondsToHms, tasksInfoExt, tblfmt, timeheader, unfoldDepthFirst)
from mpepool import _LIMIT_WORKERS_RAM, _CHAINED_CONSTRAINTS, _RAM_SIZE  # noqa: F401 (the original's tests import them)

REPO = os.path.dirname(os.path.abspath(__file__))
PYEXEC = sys.executable

# --- Child programs: one helper, named snippets ---------------------------------------------------------


def pyjob(code):
	"""Job args running a Python snippet"""
	return (PYEXEC, '-c', code)


def SLEEP(seconds):
	return 'import time; time.sleep({})'.format(seconds)


def EXIT(code):
	return 'import sys; sys.exit({})'.format(code)


def ALLOC(mb, seconds):
	"""Hold mb MB of touched memory for seconds"""
	return 'import time; buf = b"1" * ({} * 1024 * 1024); time.sleep({})'.format(mb, seconds)


IGNORE_TERM = 'import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); '


def FORK_GRANDCHILD(pidfile, setsid=False, seconds=60):
	"""A child that starts a sleeping grandchild (in a new session if setsid), writes both pids, sleeps"""
	return textwrap.dedent('''\
		import os, subprocess, sys, time
		grand = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep({sec})'], start_new_session={setsid})
		with open({pidfile!r} + '.tmp', 'w') as fpid:
			fpid.write('%d %d' % (os.getpid(), grand.pid))
		os.rename({pidfile!r} + '.tmp', {pidfile!r})
		time.sleep({sec})
		''').format(pidfile=pidfile, setsid=setsid, sec=seconds)


def waitUntil(predicate, timeout=10., period=0.005):
	"""Wait until predicate() is true; return its last value (false on the timeout)"""
	deadline = time.perf_counter() + timeout
	while True:
		res = predicate()
		if res or time.perf_counter() >= deadline:
			return res
		time.sleep(period)


def pidAlive(pid):
	"""Whether a process exists and is not a zombie"""
	try:
		with open('/proc/{}/stat'.format(pid)) as fstat:
			return fstat.read().rsplit(')', 1)[1].split()[0] != 'Z'
	except OSError:
		return False


def readPids(pidfile, timeout=10.):
	"""The pids a FORK_GRANDCHILD program wrote"""
	if not waitUntil(lambda: os.path.exists(pidfile), timeout):
		raise AssertionError('{} was not written in {} s'.format(pidfile, timeout))
	with open(pidfile) as fpid:
		return [int(pid) for pid in fpid.read().split()]


def zombieChildren():
	"""Pids of this process's children that are zombies"""
	res = []
	for name in os.listdir('/proc'):
		if name.isdigit():
			try:
				with open('/proc/{}/stat'.format(name)) as fstat:
					fields = fstat.read().rsplit(')', 1)[1].split()
			except OSError:
				continue
			if fields[0] == 'Z' and int(fields[1]) == os.getpid():
				res.append(int(name))
	return res


class PoolTestCase(unittest.TestCase):
	"""Creates pools through newPool(), terminates them after the test, and fails a test that left any
	job process running or a zombie behind"""

	def setUp(self):
		self.pools = []
		self.tmp = tempfile.mkdtemp(prefix='mpetests-')
		self.quiet = contextlib.ExitStack()
		self.out = io.StringIO()  # What the pool prints to stdout (not the jobs' outputs: they have fd 1)
		if not os.environ.get('MPETESTS_VERBOSE'):
			self.quiet.enter_context(contextlib.redirect_stdout(self.out))

	def tearDown(self):
		for pool in self.pools:
			pool.terminate()
		self.quiet.close()
		token = mpepool._processToken()
		left = waitUntil(lambda: not mpepool._markedProcesses(token), 5.)
		leftover = mpepool._markedProcesses(token)
		for pids in leftover.values():
			mpepool._signalPids(pids, signal.SIGKILL)
		shutil.rmtree(self.tmp, ignore_errors=True)
		self.assertTrue(left, 'job processes left running: {}'.format(leftover))
		self.assertTrue(waitUntil(lambda: not zombieChildren(), 3.), 'zombies left: {}'.format(zombieChildren()))

	def newPool(self, *args, **kwargs):
		pool = ExecPool(*args, **kwargs)
		self.pools.append(pool)
		return pool

	def path(self, *names):
		return os.path.join(self.tmp, *names)

	def runScript(self, code, timeout=60, **kwargs):
		"""Run a Python script in a subprocess with the repository importable; return CompletedProcess"""
		env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
		return subprocess.run((PYEXEC, '-c', textwrap.dedent(code)), capture_output=True, text=True
			, timeout=timeout, env=env, cwd=self.tmp, **kwargs)

# --- Helpers and reporting model -------------------------------------------------------------------------


class TestHelpers(unittest.TestCase):
	def test_timeheader(self):
		self.assertEqual(timeheader(time.gmtime(0)), '# ----- 1970-01-01 00:00:00 ' + '-' * 30)
		self.assertNotEqual(timeheader(), timeheader(time.gmtime(0)))  # Now, not the import time
		with self.assertRaisesRegex(TypeError, 'timestamp'):
			timeheader(12)

	def test_units_and_formats(self):
		self.assertEqual(secondsToHms(3725.5), (1, 2, 5.5))
		with self.assertRaisesRegex(ValueError, 'seconds.*-1'):
			secondsToHms(-1)
		self.assertEqual(inBytes(inGigabytes(12345)), 12345)
		self.assertEqual(tblfmt(1.23456), '1.235')
		self.assertEqual(tblfmt(True), '1')
		self.assertEqual(tblfmt(None, 3), '  -')
		self.assertEqual(tblfmt(42, 5), '   42')
		self.assertEqual(tblfmt(Task('T1')), 'T1')
		with self.assertRaisesRegex(ValueError, 'fracsize'):
			mpepool.ramfracs(0)
		self.assertGreaterEqual(mpepool.ramfracs(0.5), 1)

	def test_wallclock(self):
		self.assertAlmostEqual(mpepool.wallclock(time.perf_counter()), time.time(), delta=1.)
		self.assertIsNone(mpepool.wallclock(None))

	def test_applyCallback_reports_errors(self):
		def failing():
			raise RuntimeError('boom')
		with contextlib.redirect_stderr(io.StringIO()) as err:
			self.assertFalse(mpepool.applyCallback(failing, 'owner1'))
		self.assertIn('failing', err.getvalue())
		self.assertIn('owner1', err.getvalue())
		self.assertIn('boom', err.getvalue())
		self.assertTrue(mpepool.applyCallback(lambda: None, 'owner2'))

	def test_props(self):
		self.assertEqual(JobInfo._props, 'name pid code tstart tstop memsize memkind task category duration')
		self.assertEqual(TaskInfo._props, 'name tstart tstop numadded numdone numterm task duration')
		self.assertEqual(list(JobInfo.iterprop()), JobInfo._props.split())
		info = JobInfo(Job('j1'))
		self.assertIn('name', info)
		self.assertIn('rssmax', info)
		self.assertNotIn('ame', info)  # Exact names, not substrings (the original's defect)
		self.assertNotIn('op', info)
		self.assertEqual(info.json()['name'], 'j1')
		self.assertIsNone(info.json()['task'])

	def test_infodata_filters(self):
		task = Task('T1')
		job = Job('j1', task=task, category='c')
		job.tstart, job.tstop = 10., 12.5
		info = JobInfo(job)
		flt = mpepool.collections.namedtuple('Flt', 'beg end opt')
		self.assertEqual(infodata(info, ['name', 'duration', 'task']), ('j1', '2.500', 'T1'))
		self.assertEqual(infodata(info, ['name', 'nosuch']), ('j1', '-'))  # Absent on this kind of object
		self.assertIsNotNone(infodata(info, None, {'duration': flt(1.5, 3, False)}))
		self.assertIsNone(infodata(info, None, {'duration': flt(3, 10, False)}))
		self.assertIsNotNone(infodata(info, None, {'category': flt('c', None, False)}))
		self.assertIsNone(infodata(info, None, {'pid': None}))  # Must be present and not None
		self.assertIsNotNone(infodata(info, None, {'pid': flt(1, 5, True)}))  # Optional: None passes
		self.assertIsNone(infodata(info, None, {'pid': flt(1, 5, False)}))
		self.assertIsNone(infodata(info, None, {'category': flt(1, 5, False)}))  # str vs numbers: no match, no error
		self.assertIsNotNone(infodata(info, None, {'task': flt('T1', None, False)}))

	def test_tasksInfoExt_three_levels_without_duplicates(self):
		root = Task('root')
		mid = Task('mid', task=root)
		leaf1, leaf2 = Task('leaf1', task=mid), Task('leaf2', task=mid)
		bottom = {leaf: TaskInfoExt(mpepool._taskprops(leaf), [('name',), ('j',)]) for leaf in (leaf1, leaf2)}
		hier = tasksInfoExt(bottom)
		self.assertEqual(set(hier), {root, mid, leaf1, leaf2})
		self.assertEqual(hier[root].subtasks, [hier[mid]])
		self.assertEqual(len(hier[mid].subtasks), 2)
		rows, wide = unfoldDepthFirst(hier[root])
		self.assertEqual([row.data[0] for row in rows if row.compound is None and row.ident <= 2 and row.data[0] != 'j']
			, ['root', 'mid', 'leaf1', 'leaf2'])
		self.assertEqual(wide, 2 + len(TaskInfo._props.split()))  # The widest: a leaf task's header at depth 2


class TestArguments(unittest.TestCase):
	"""Bad input: a clear error naming the parameter and the value"""

	def test_job_arguments(self):
		for kwargs, pattern in (({'timeout': -1}, 'timeout.*-1'), ({'memkind': 3}, 'memkind.*3')
		, ({'memlim': -0.5}, 'memlim.*-0.5'), ({'slowdown': 0}, 'slowdown.*0'), ({'size': 'big'}, 'size.*big')
		, ({'onstart': 5}, 'onstart.*5'), ({'task': 'T'}, 'task.*T'), ({'args': 5}, 'args.*5')
		, ({'poutlog': 1}, 'poutlog.*1'), ({'workdir': 3}, 'workdir.*3')):
			with self.assertRaisesRegex((ValueError, TypeError), pattern, msg=kwargs):
				Job('j', **kwargs)
		with self.assertRaisesRegex(TypeError, 'name'):
			Job(None)

	def test_task_arguments(self):
		with self.assertRaisesRegex(ValueError, 'timeout.*-2'):
			Task('t', timeout=-2)
		with self.assertRaisesRegex(ValueError, 'latency.*-1'):
			Task('t', latency=-1)
		with self.assertRaisesRegex(TypeError, 'ondone'):
			Task('t', ondone='notcallable')

	def test_pool_arguments(self):
		with self.assertRaisesRegex(ValueError, 'wksnum.*0'):
			ExecPool(0)
		with self.assertRaisesRegex(TypeError, 'wksnum.*2.5'):
			ExecPool(2.5)
		with self.assertRaisesRegex(ValueError, 'memlimit.*-1'):
			ExecPool(1, memlimit=-1)
		with self.assertRaisesRegex(ValueError, 'latency.*-3'):
			ExecPool(1, latency=-3)
		with self.assertRaisesRegex(TypeError, 'afnmask'):
			ExecPool(1, afnmask='0-1')
		with self.assertRaisesRegex(ValueError, 'vmlimit'):
			ExecPool(1, memlimit=1, vmlimit=2)
		pool = ExecPool(8 * AffinityMask.CPUS)  # More slots than CPUs: fine for I/O-bound jobs
		self.assertEqual(pool._wkslim, 8 * AffinityMask.CPUS)
		with self.assertRaisesRegex(TypeError, 'job'):
			pool.execute('ls')

# --- The pool ----------------------------------------------------------------------------------------------


class TestExecPool(PoolTestCase):
	def test_start_at_once_queue_and_order(self):
		pool = self.newPool(1)
		jobs = [Job('j%d' % i, args=pyjob(SLEEP(0.05))) for i in range(3)]
		for job in jobs:
			self.assertEqual(pool.execute(job), 0)
		self.assertIsNotNone(jobs[0].proc)  # Started inside execute()
		self.assertIsNone(jobs[1].proc)
		self.assertEqual(len(pool._jobs), 2)
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 3)
		self.assertLess(jobs[0].tstop, jobs[1].tstart + 0.05)
		self.assertLessEqual(jobs[1].tstart, jobs[2].tstart)
		self.assertEqual([job.wslot for job in jobs], [0, 0, 0])

	def test_next_job_starts_within_milliseconds_whatever_the_latency(self):
		pool = self.newPool(1, latency=30)
		first, second = Job('first', args=pyjob(SLEEP(0.2))), Job('second', args=('true',))
		pool.execute(first)
		pool.execute(second)
		self.assertTrue(pool.join(30))
		exited = first._tspawn + first.wtime
		self.assertGreaterEqual(second.tstart, exited)
		self.assertLess(second.tstart - exited, 0.1)  # Event-driven: not after `latency` seconds

	def test_timeout_fires_on_time_and_kills_the_tree(self):
		pidfile = self.path('pids')
		pool = self.newPool(2, latency=30)
		job = Job('slow', args=pyjob(FORK_GRANDCHILD(pidfile, setsid=True)), timeout=1.)
		pool.execute(job)
		pids = readPids(pidfile)
		self.assertTrue(all(pidAlive(pid) for pid in pids))
		self.assertTrue(pool.join(30))
		self.assertEqual(job.reason, 'timeout')
		self.assertEqual(job.proc.returncode, -signal.SIGTERM)
		self.assertGreaterEqual(job.wtime, 0.9)
		self.assertLess(job.wtime, 1.5)  # Tens of ms after the deadline, with room for a loaded machine
		self.assertTrue(waitUntil(lambda: not any(pidAlive(pid) for pid in pids), 2.), pids)
		self.assertEqual(len(pool.failures), 1)
		self.assertEqual(pool.failures[0].reason, 'timeout')

	def test_term_escalates_to_kill(self):
		pool = self.newPool(1)
		job = Job('stubborn', args=pyjob(IGNORE_TERM + 'print("ready", flush=True); ' + SLEEP(60))
			, timeout=0.5, stdout=subprocess.PIPE)
		pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertEqual(job.proc.returncode, -signal.SIGKILL)
		self.assertEqual(job.terminates, ExecPool._KILLDELAY)
		self.assertEqual(job.pipedout, 'ready\n')
		self.assertLess(job.wtime, 0.5 + ExecPool._KILLDELAY * pool._termlatency + 1.)

	def test_leftover_group_members_end_with_the_job(self):
		pidfile = self.path('bg')
		pool = self.newPool(1)
		# The shell exits at once, leaving its background sleep in the job's process group
		job = Job('bg', args=('sh', '-c', 'sleep 60 & echo $! > {}'.format(pidfile)))
		pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertEqual(job.proc.returncode, 0)
		pid = readPids(pidfile)[0]
		self.assertTrue(waitUntil(lambda: not pidAlive(pid), 2.))

	def test_accounting_from_the_kernel(self):
		pool = self.newPool(2)
		busy = Job('busy', args=pyjob('import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass'))
		fat = Job('fat', args=pyjob(ALLOC(60, 0.1)))
		pool.execute(busy)
		pool.execute(fat)
		self.assertTrue(pool.join(30))
		self.assertGreaterEqual(busy.utime + busy.stime, 0.29)
		self.assertGreaterEqual(busy.wtime, 0.3)
		self.assertGreaterEqual(fat.rssmax, inGigabytes(60 * 1024 * 1024))
		self.assertLess(fat.rssmax, 1.)
		self.assertLess(busy.rssmax, fat.rssmax)

	def test_output_files(self):
		out, err = self.path('logs', 'out.txt'), self.path('logs', 'err.txt')
		pool = self.newPool(2)
		code = 'import sys; print("to out"); print("to err", file=sys.stderr)'
		for run in range(2):
			pool.execute(Job('j%d' % run, args=pyjob(code), stdout=out, stderr=err))
			self.assertTrue(pool.join(30))
		with open(out) as fout:
			lines = fout.read().splitlines()
		self.assertEqual(lines[0], 'to out')
		self.assertTrue(lines[1].startswith('# ----- '), lines)  # The header separates the second run
		self.assertEqual(lines[2], 'to out')
		with open(err) as ferr:
			self.assertEqual(ferr.read().count('to err'), 2)
		# Empty outputs are removed with the folders made for them
		pool.execute(Job('silent', args=('true',), stdout=self.path('empty', 'o'), stderr=self.path('empty', 'e')))
		self.assertTrue(pool.join(30))
		self.assertFalse(os.path.exists(self.path('empty')))

	def test_same_path_for_both_channels(self):
		both = self.path('both.txt')
		pool = self.newPool(1)
		pool.execute(Job('j', args=pyjob('import sys; print("O", flush=True); print("E", file=sys.stderr)')
			, stdout=both, stderr=both))
		self.assertTrue(pool.join(30))
		with open(both) as fboth:
			self.assertEqual(sorted(fboth.read().split()), ['E', 'O'])

	def test_pipes_are_drained_while_running(self):
		pool = self.newPool(2)
		big = Job('big', args=pyjob('import sys; sys.stdout.write("x" * 1000000); sys.stderr.write("y" * 300000)')
			, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
		bad = Job('bad', args=pyjob('import sys; sys.stdout.buffer.write(b"ok\\xff")'), stdout=subprocess.PIPE)
		merged = Job('merged', args=pyjob('import sys; print("a", flush=True); print("b", file=sys.stderr)')
			, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
		for job in (big, bad, merged):
			pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertIsNone(big.reason)  # Not stuck on a full pipe until its timeout
		self.assertEqual(len(big.pipedout), 1000000)
		self.assertEqual(len(big.pipederr), 300000)
		self.assertIsInstance(bad.pipedout, str)
		self.assertEqual(bad.pipedout, 'ok\ufffd')
		self.assertEqual(merged.pipedout.split(), ['a', 'b'])
		self.assertIsNone(merged.pipederr)

	def test_piped_logs(self):
		outlog, errlog = self.path('p', 'out.log'), self.path('p', 'err.log')
		pool = self.newPool(1)
		for run in range(2):
			pool.execute(Job('j', args=pyjob('import sys; print("o%d"); print("e", file=sys.stderr)' % run)
				, stdout=subprocess.PIPE, stderr=subprocess.PIPE, poutlog=outlog, perrlog=errlog))
			self.assertTrue(pool.join(30))
		with open(outlog) as flog:
			lines = flog.read().splitlines()
		self.assertEqual(lines[0], 'o0')
		self.assertTrue(lines[1].startswith('# ----- '))
		self.assertEqual(lines[2], 'o1')

	def test_user_file_objects_stay_open(self):
		with open(self.path('mine.txt'), 'w') as fmine:
			pool = self.newPool(1)
			pool.execute(Job('j', args=('echo', 'hi'), stdout=fmine))
			self.assertTrue(pool.join(30))
			self.assertFalse(fmine.closed)
			fmine.write('after\n')
		with open(self.path('mine.txt')) as fmine:
			self.assertEqual(fmine.read().split(), ['hi', 'after'])

	def test_workdir(self):
		os.mkdir(self.path('wd'))
		pool = self.newPool(1)
		job = Job('cwd', workdir=self.path('wd'), args=pyjob('import os; print(os.getcwd())'), stdout=subprocess.PIPE)
		pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertEqual(job.pipedout.strip(), os.path.realpath(self.path('wd')))

	def test_start_failures_complete_the_job_as_failed(self):
		pool = self.newPool(2)
		task = Task('T')
		finished = []
		onfinish = finished.append
		blocker = self.path('file')
		open(blocker, 'w').close()
		cases = {
			'noexe': Job('noexe', args=('/nonexistent/program',), task=task, onfinish=onfinish),
			'nodir': Job('nodir', workdir=self.path('missing'), args=('true',), task=task, onfinish=onfinish),
			'nolog': Job('nolog', args=('true',), stdout=os.path.join(blocker, 'out'), task=task, onfinish=onfinish),
		}
		with contextlib.redirect_stderr(io.StringIO()):
			codes = {name: pool.execute(job) for name, job in cases.items()}
			self.assertTrue(pool.join(30))
		self.assertEqual(codes['noexe'], errno.ENOENT)
		self.assertEqual(codes['nodir'], errno.ENOENT)
		self.assertEqual(codes['nolog'], errno.ENOTDIR)
		for job in cases.values():
			self.assertIsNone(job.proc)
			self.assertEqual(job.reason, 'start failure')
			self.assertIsNotNone(job.tstop)
		self.assertEqual(sorted(job.name for job in finished), sorted(cases))
		self.assertEqual({info.name for info in pool.failures}, set(cases))
		self.assertEqual((task.numadded, task.numterm), (3, 3))
		self.assertIsNotNone(task.tstop)
		# The pool goes on
		pool.execute(Job('ok', args=('true',)))
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 1)

	def test_callbacks(self):
		pool = self.newPool(2)
		ok = Job('ok', args=('true',), onstart=mock.MagicMock(), ondone=mock.MagicMock(), onfinish=mock.MagicMock())
		bad = Job('bad', args=('false',), ondone=mock.MagicMock(), onfinish=mock.MagicMock())
		pool.execute(ok)
		pool.execute(bad)
		self.assertTrue(pool.join(30))
		ok.onstart.assert_called_once_with(ok)
		ok.ondone.assert_called_once_with(ok)
		ok.onfinish.assert_called_once_with(ok)
		bad.ondone.assert_not_called()
		bad.onfinish.assert_called_once_with(bad)

	def test_raising_callbacks_never_take_the_pool_down(self):
		def boom(job):
			raise ValueError('callback of ' + job.name)
		pool = self.newPool(2)
		task = Task('T', onfinish=mock.MagicMock())
		onfinish = mock.MagicMock()
		nostart = Job('nostart', args=('true',), onstart=boom, onfinish=onfinish, task=task)
		nodone = Job('nodone', args=('true',), ondone=boom, onfinish=boom, task=task)
		with contextlib.redirect_stderr(io.StringIO()) as err:
			self.assertEqual(pool.execute(nostart), -1)
			pool.execute(nodone)
			self.assertTrue(pool.join(30))
		self.assertIn('callback of nostart', err.getvalue())
		self.assertIsNone(nostart.proc)
		self.assertEqual(nostart.reason, 'onstart failure')
		onfinish.assert_called_once_with(nostart)
		self.assertEqual(pool.jobsdone, 1)  # A failing ondone does not make the job failed
		self.assertEqual([info.name for info in pool.failures], ['nostart'])
		task.onfinish.assert_called_once_with(task)

	def test_startdelay(self):
		pool = self.newPool(2)
		start = time.perf_counter()
		pool.execute(Job('delayed', args=('true',), startdelay=0.3))
		self.assertGreaterEqual(time.perf_counter() - start, 0.3)
		self.assertTrue(pool.join(30))

	def test_restart_on_timeout_is_not_a_failure(self):
		counter = self.path('runs')
		code = textwrap.dedent('''\
			import os, time
			runs = os.path.getsize({0!r}) if os.path.exists({0!r}) else 0
			open({0!r}, 'a').write('x')
			time.sleep(60 if runs < 2 else 0)
			''').format(counter)
		pool = self.newPool(1)
		task = Task('T')
		job = Job('flaky', args=pyjob(code), timeout=0.5, rsrtonto=True, task=task
			, onstart=mock.MagicMock(), onfinish=mock.MagicMock())
		pool.execute(job)
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(pool.join(60))
		self.assertEqual(os.path.getsize(counter), 3)
		self.assertEqual(job.onstart.call_count, 3)
		job.onfinish.assert_called_once_with(job)
		self.assertEqual(pool.jobsdone, 1)
		self.assertEqual(pool.failures, [])
		self.assertEqual((task.numdone, task.numterm), (1, 0))
		self.assertEqual(job.proc.returncode, 0)

	def test_stub_jobs(self):
		pool = self.newPool(1)
		task = Task('T', ondone=mock.MagicMock())
		stubs = [Job('stub%d' % i, args=args, task=task, ondone=mock.MagicMock()) for i, args in enumerate((None, ()))]
		for job in stubs:
			self.assertEqual(pool.execute(job), 0)
		self.assertTrue(pool.join(10))
		for job in stubs:
			job.ondone.assert_called_once_with(job)
			self.assertIsNone(job.proc)
		task.ondone.assert_called_once_with(task)
		self.assertEqual(pool.jobsdone, 2)
		self.assertEqual(pool.execute(Job('seqstub'), concur=False), 0)

	def test_sequential_mode(self):
		pool = self.newPool(2)
		background = Job('bg', args=pyjob(SLEEP(0.1)))
		pool.execute(background)
		self.assertEqual(pool.execute(Job('seq', args=pyjob(SLEEP(0.3) + '; ' + EXIT(3))), concur=False), 3)
		self.assertIsNotNone(background.tstop)  # Reaped while the sequential job ran
		self.assertEqual(pool.execute(Job('seq0', args=('true',)), concur=False), 0)
		self.assertEqual(pool.jobsdone, 2)
		self.assertEqual([info.name for info in pool.failures], ['seq'])

	def test_join_timeout_and_reuse(self):
		pool = self.newPool(2)
		slow = Job('slow', args=pyjob(SLEEP(60)), onfinish=mock.MagicMock())
		queued = [Job('q%d' % i, args=pyjob(SLEEP(60)), onfinish=mock.MagicMock()) for i in range(2)]
		pool.execute(slow)
		for job in queued:
			pool.execute(job)
		start = time.perf_counter()
		with contextlib.redirect_stderr(io.StringIO()) as err:
			self.assertFalse(pool.join(0.5))
		self.assertLess(time.perf_counter() - start, 5)
		self.assertIn('terminating the execution pool with 1 non-started jobs and 2 workers', err.getvalue())
		self.assertFalse(pool.alive)
		self.assertEqual(len(pool.failures), 3)
		for job in [slow] + queued:
			job.onfinish.assert_called_once_with(job)
		self.assertEqual(pool.execute(Job('late', args=('true',))), errno.EINTR)
		# Reused: join(timeout) is measured afresh (the original's stale _tstart returned False at once)
		pool.clear()
		self.assertEqual(pool.failures, [])
		time.sleep(0.6)
		pool.execute(Job('again', args=pyjob(SLEEP(0.7))))
		self.assertTrue(pool.join(3))

	def test_clear_and_context_manager(self):
		with self.newPool(1) as pool:
			pool.execute(Job('long', args=pyjob(SLEEP(60))))
			with self.assertRaisesRegex(ValueError, 'cleared'):
				pool.clear()
			job = next(iter(pool._workers))
		# __exit__ terminated it
		self.assertFalse(pool.alive)
		self.assertEqual(job.proc.returncode, -signal.SIGTERM)
		with pool:
			self.assertTrue(pool.alive)

	def test_terminate_from_a_callback(self):
		pool = self.newPool(1)
		stopper = Job('stopper', args=('true',), onfinish=lambda job: pool.terminate())
		rest = [Job('rest%d' % i, args=pyjob(SLEEP(60))) for i in range(3)]
		pool.execute(stopper)
		for job in rest:
			pool.execute(job)
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertFalse(pool.join(30))
		self.assertEqual(pool.jobsdone, 1)
		self.assertEqual(len(pool.failures), 3)
		self.assertTrue(all(job.tstop is not None for job in rest))

	def test_del_terminates(self):
		pidfile = self.path('pids')
		pool = ExecPool(1)
		pool.execute(Job('orphan', args=pyjob(FORK_GRANDCHILD(pidfile, setsid=True))))
		pids = readPids(pidfile)
		with contextlib.redirect_stderr(io.StringIO()):
			del pool
		self.assertTrue(waitUntil(lambda: not any(pidAlive(pid) for pid in pids), 3.), pids)

	def test_failure_report(self):
		pool = self.newPool(2)
		root = Task('Root')
		sub = Task('Sub', task=root)
		pool.execute(Job('lone', args=('false',)))
		pool.execute(Job('inroot', args=('false',), task=root))
		pool.execute(Job('insub', args=pyjob(SLEEP(30)), task=sub, timeout=0.2))
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(pool.join(30))
		report = self.out.getvalue()
		self.assertIn('WARNING, 3 jobs are failed in the ExecPool', report)
		self.assertIn('FAILED jobs not assigned to any tasks:', report)
		self.assertIn('FAILED root tasks (1 failed root / 2 failed total / 2 total):\nRoot', report)
		self.assertIn('FAILED tasks with their jobs:', report)
		for word in ('rssmax', 'utime', 'stime', 'reason', 'timeout'):
			self.assertIn(word, report)
		lines = report.splitlines()
		sub_row = next(i for i, line in enumerate(lines) if line.strip().startswith('Sub '))
		self.assertTrue(lines[sub_row].startswith('  '))  # One level deeper than Root
		self.assertEqual(len(pool.failures), 3)  # Kept after the report (the original emptied them)

	def test_no_zombies_and_no_leaked_descriptors(self):
		pool = self.newPool(3)
		pool.execute(Job('warm', args=('true',), stdout=subprocess.PIPE))
		self.assertTrue(pool.join(30))
		fds = len(os.listdir('/proc/self/fd'))
		for i in range(30):
			pool.execute(Job('j%d' % i, args=pyjob('print(1)') if i % 3 else ('false',)
				, stdout=subprocess.PIPE if i % 2 else self.path('o%d' % i), stderr=subprocess.PIPE
				, timeout=0.05 if i % 5 == 0 else 0))
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(pool.join(60))
		self.assertEqual(zombieChildren(), [])
		self.assertEqual(len(os.listdir('/proc/self/fd')), fds)


class TestTasks(PoolTestCase):
	def test_hierarchy_counters_and_callbacks(self):
		pool = self.newPool(2)
		root = Task('root', onstart=mock.MagicMock(), ondone=mock.MagicMock(), onfinish=mock.MagicMock())
		good = Task('good', task=root, ondone=mock.MagicMock(), onfinish=mock.MagicMock())
		bad = Task('bad', task=root, ondone=mock.MagicMock(), onfinish=mock.MagicMock())
		jobs = [Job('g1', args=('true',), task=good), Job('g2', args=('true',), task=good)
			, Job('b1', args=('true',), task=bad), Job('b2', args=('false',), task=bad)]
		self.assertIsNone(root.tstart)  # Not started by constructing jobs (the original's defect)
		root.onstart.assert_not_called()
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(30))
		root.onstart.assert_called_once_with(root)
		good.ondone.assert_called_once_with(good)
		good.onfinish.assert_called_once_with(good)
		bad.ondone.assert_not_called()
		bad.onfinish.assert_called_once_with(bad)
		root.ondone.assert_not_called()  # A failure propagates upwards
		root.onfinish.assert_called_once_with(root)
		self.assertEqual((root.numadded, root.numdone, root.numterm), (2, 1, 1))
		self.assertEqual((bad.numadded, bad.numdone, bad.numterm), (2, 1, 1))
		self.assertEqual(pool.tasks, {root, good, bad})
		self.assertLessEqual(root.tstart, good.tstart)
		self.assertGreaterEqual(root.tstop, bad.tstop)

	def test_uncompleted(self):
		root = Task('root')
		sub = Task('sub', task=root)
		Job('j1', task=root)
		Job('j2', task=sub)
		Job('j3', task=sub)
		self.assertEqual(sorted(root.uncompleted()), ['j1', 'sub'])
		nested = root.uncompleted(recursive=True)
		self.assertIn('j1', nested)
		self.assertIn(sorted(['j2', 'j3']), [sorted(item) for item in nested if isinstance(item, list)])
		withcols = root.uncompleted(header=True, tstart=True)  # tstart alone enables the columns
		self.assertEqual(withcols[0], ['Name', 'Tstart'])
		self.assertIn(['j1', None], withcols[1:])
		deep = root.uncompleted(recursive=True, pid=True)  # Flags reach the subtasks
		self.assertTrue(all(len(row) == 2 for item in deep if isinstance(item, list) for row in item
			if isinstance(row, list)))

	def test_task_timeout(self):
		pool = self.newPool(2)
		task = Task('limited', timeout=0.6, onfinish=mock.MagicMock())
		sub = Task('sub', task=task)
		other = Job('other', args=pyjob(SLEEP(1.2)))
		jobs = [Job('run1', args=pyjob(SLEEP(60)), task=task), Job('run2', args=pyjob(SLEEP(60)), task=sub)
			, Job('queued', args=pyjob(SLEEP(60)), task=sub)]
		for job in jobs:
			pool.execute(job)
		pool.execute(other)
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(pool.join(30))
		self.assertEqual([job.reason for job in jobs], ['task timeout'] * 3)
		self.assertIsNone(jobs[2].proc)  # Canceled in the queue
		task.onfinish.assert_called_once_with(task)
		self.assertEqual(task.numterm, 2)
		self.assertLess(jobs[0].tstop - task.tstart, 5)
		self.assertIsNone(other.reason)  # Not its task
		self.assertEqual(pool.jobsdone, 1)

	def test_timeout_chain(self):
		pool = self.newPool(3)
		small = Job('small', args=pyjob(SLEEP(60)), timeout=0.5, category='c', size=2)
		bigger = Job('bigger', args=pyjob(SLEEP(60)), category='c', size=3)
		lighter = Job('lighter', args=pyjob(SLEEP(1)), category='c', size=1)
		othercat = Job('othercat', args=pyjob(SLEEP(1)), category='d', size=9)
		queuedbig = Job('queuedbig', args=pyjob(SLEEP(60)), category='c', size=2, slowdown=1.5)
		for job in (small, bigger, lighter, othercat, queuedbig):
			pool.execute(job)
		with contextlib.redirect_stderr(io.StringIO()) as err:
			self.assertTrue(pool.join(30))
		self.assertEqual(small.reason, 'timeout')
		self.assertEqual(bigger.reason, 'timeout chain')
		self.assertTrue(bigger.chtermtime)
		self.assertEqual(queuedbig.reason, 'timeout chain')
		self.assertIsNone(queuedbig.proc)
		self.assertIn('"queuedbig" is canceled by timeout chain from "small"', err.getvalue())
		self.assertIsNone(lighter.reason)
		self.assertIsNone(othercat.reason)
		self.assertEqual(pool.jobsdone, 2)


class TestTermination(PoolTestCase):
	"""Nothing survives the pool: signals, the Failsafe Termination recipe, SIGKILL of the pool"""

	HEADER = textwrap.dedent('''\
		import os, sys, time
		sys.path.insert(0, {repo!r})
		from mpepool import ExecPool, Job
		''')
	JOBS = textwrap.dedent('''\
		execpool = ExecPool(2)
		for i in range(2):
			execpool.execute(Job('j%d' % i, args=(sys.executable, '-c', {child!r}.replace('PIDFILE', {pidfile!r} + str(i)))))
		print('ready', flush=True)
		execpool.join(60)
		''')

	def startScript(self, setup=''):
		"""Start a program running a pool of two jobs that fork setsid grandchildren; return it and the pids"""
		pidfile = self.path('pids')
		code = self.HEADER.format(repo=REPO) + textwrap.dedent(setup) + self.JOBS.format(
			child=FORK_GRANDCHILD('PIDFILE', setsid=True), pidfile=pidfile)
		env = dict(os.environ, PYTHONPATH=REPO)
		proc = subprocess.Popen((PYEXEC, '-c', code), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
		self.addCleanup(self.stopScript, proc)
		for line in proc.stdout:  # The pool's messages come first
			if line.strip() == 'ready':
				break
		else:
			self.fail('the script ended early: ' + proc.stderr.read())
		pids = readPids(pidfile + '0') + readPids(pidfile + '1')
		self.assertTrue(all(pidAlive(pid) for pid in pids))
		return proc, pids

	@staticmethod
	def stopScript(proc):
		if proc.poll() is None:
			proc.kill()
		proc.wait(10)
		proc.stdout.close()
		proc.stderr.close()

	def assertAllDead(self, pids, timeout=3.):
		self.assertTrue(waitUntil(lambda: not any(pidAlive(pid) for pid in pids), timeout)
			, [pid for pid in pids if pidAlive(pid)])

	def test_pool_killed_by_sigkill(self):
		proc, pids = self.startScript()
		proc.kill()
		proc.wait(10)
		self.assertAllDead(pids, 2.)  # The guardian kills them within ~1 s

	def test_failsafe_recipe_of_the_original(self):
		setup = '''
		import signal
		execpool = None
		def terminationHandler(signal=None, frame=None, terminate=True):
			global execpool
			if execpool:
				del execpool
				execpool = None
			if terminate:
				sys.exit()
		signal.signal(signal.SIGTERM, terminationHandler)
		signal.signal(signal.SIGHUP, terminationHandler)
		signal.signal(signal.SIGINT, terminationHandler)
		signal.signal(signal.SIGQUIT, terminationHandler)
		signal.signal(signal.SIGABRT, terminationHandler)
		signal.signal(signal.SIGCHLD, signal.SIG_DFL)
		import atexit
		atexit.register(terminationHandler, terminate=False)
		'''
		for sig in (signal.SIGTERM, signal.SIGINT):
			proc, pids = self.startScript(setup)
			proc.send_signal(sig)
			self.assertEqual(proc.wait(20), 0)
			self.assertAllDead(pids, 1.)  # Terminated by the pool itself, not by the guardian
			self.assertIn('terminating the execution pool with 0 non-started jobs and 2 workers', proc.stderr.read())

	def test_installTerminationHandlers(self):
		proc, pids = self.startScript('import mpepool; mpepool.installTerminationHandlers()')
		proc.send_signal(signal.SIGTERM)
		self.assertEqual(proc.wait(20), 128 + signal.SIGTERM)
		self.assertAllDead(pids, 1.)

# --- Compatibility with code written for the original -----------------------------------------------------


class TestCompatibility(PoolTestCase):
	def test_seed_readme_usage_example(self):
		script = '''\
			from multiprocessing import cpu_count
			from sys import executable as PYEXEC
			from mpepool import AffinityMask, ExecPool, Job, Task, cpucorethreads
			execpool = ExecPool(max(cpu_count() - 1, 1), cpucorethreads())
			global_timeout = 30 * 60
			execpool.execute(Job(name='list_dir', args=('ls', '-la')))
			jobname = 'NetShuffling'
			jobtimeout = 3 * 60
			args = (PYEXEC, '-c', "print('shuffled')")
			execpool.execute(Job(name=jobname, workdir='this_sub_dir', args=args, timeout=jobtimeout))
			print('JOIN', execpool.join(global_timeout), execpool.jobsdone, [f.name for f in execpool.failures])
			with ExecPool(max(cpu_count()-1, 1), vmlimit=32, latency=1.5) as xpool:
				xpool.execute(Job('jmem', args=(PYEXEC, '-c', 'print(1)'), memkind=0))
				print('XJOIN', xpool.join(10))
			'''
		res = self.runScript(script)
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertIn("JOIN True 1 ['NetShuffling']", res.stdout)  # The missing workdir fails that job only
		self.assertIn('XJOIN True', res.stdout)

	def test_vendored_as_a_subpackage(self):
		utils = self.path('bench', 'utils')
		os.makedirs(utils)
		for name in ('mpepool.py', 'mpewui.py'):
			shutil.copy(os.path.join(REPO, name), utils)
		open(os.path.join(utils, '__init__.py'), 'w').close()
		shutil.copytree(os.path.join(REPO, 'views'), self.path('bench', 'views'))
		script = '''\
			import sys
			sys.path.insert(0, 'bench')
			from utils.mpepool import ExecPool, Job, Task
			from utils import mpewui
			with ExecPool(2) as pool:
				pool.execute(Job('vendored', args=('true',)))
				print('OK', pool.join(10), pool.jobsdone)
			'''
		env = dict(os.environ)
		env.pop('PYTHONPATH', None)
		res = subprocess.run((PYEXEC, '-c', textwrap.dedent(script)), capture_output=True, text=True
			, cwd=self.tmp, env=env, timeout=60)
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertIn('OK True 1', res.stdout)

	def test_import_is_silent_also_without_optional_packages(self):
		for hide in ('', "sys.modules['psutil'] = None; sys.modules['bottle'] = None; "):
			res = self.runScript('import sys; ' + hide + 'import mpepool')
			self.assertEqual((res.returncode, res.stdout, res.stderr), (0, '', ''), hide)
		res = self.runScript('''\
			import sys
			sys.modules['psutil'] = None
			import mpepool
			pool = mpepool.ExecPool(2, memlimit=1)
			pool.execute(mpepool.Job('j', args=('true',), memlim=0.5))
			print('JOINED', pool.join(10), pool.memlimit, mpepool._LIMIT_WORKERS_RAM)
			''')
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertIn('JOINED True 0', res.stdout)
		self.assertEqual(res.stderr.count('memory constraints are disabled'), 1)

	def test_callback_attributes_forward_to_the_callable(self):
		job = Job('j', ondone=mock.MagicMock())
		job.ondone()
		job.ondone.assert_called_once_with(job)


class TestNothingLost(PoolTestCase):
	"""10,000 jobs of every kind of outcome: each counted exactly once, every task finished, no leak"""

	def test_10000_mixed_jobs(self):
		njobs = 10000
		pool = self.newPool(4, latency=0.5)
		pool.execute(Job('warm', args=('true',)))
		self.assertTrue(pool.join(30))
		pool.clear()
		fds = len(os.listdir('/proc/self/fd'))
		blocker = self.path('notadir')
		open(blocker, 'w').close()
		finished = []
		tasks = [Task('T%d' % i) for i in range(50)]
		subtasks = [Task('S%d' % i, task=tasks[i % 50]) for i in range(100)]
		kinds = {}

		def boom(job):
			raise RuntimeError('raising callback')

		for i in range(njobs):
			kind = i % 10
			owner = subtasks[i % 100] if i % 3 else tasks[i % 50]
			if kind == 0:
				job = Job('j%d' % i, args=('false',), task=owner, onfinish=finished.append)
			elif kind == 1:
				job = Job('j%d' % i, args=('sleep', '10'), timeout=0.05, task=owner, onfinish=finished.append)
			elif kind == 2:
				job = Job('j%d' % i, args=('/nonexistent/exe',), task=owner, onfinish=finished.append)
			elif kind == 3:
				job = Job('j%d' % i, args=('true',), workdir=self.path('missing'), task=owner, onfinish=finished.append)
			elif kind == 4:
				job = Job('j%d' % i, args=('true',), stdout=os.path.join(blocker, 'log'), task=owner, onfinish=finished.append)
			elif kind == 5:
				job = Job('j%d' % i, args=('true',), task=owner, ondone=boom
					, onfinish=lambda job: (finished.append(job), boom(job)))
			else:
				job = Job('j%d' % i, args=('true',), task=owner, onfinish=finished.append)
			kinds[job.name] = kind
			pool.execute(job)
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(pool.join(600))
		done = njobs - len(pool.failures)
		self.assertEqual(pool.jobsdone, done)
		failed = [info.name for info in pool.failures]
		self.assertEqual(len(set(failed)), len(failed))  # Each failure once
		self.assertEqual({name for name in failed}, {name for name, kind in kinds.items() if kind <= 4})
		self.assertEqual(len(finished), njobs)
		self.assertEqual(len(set(map(id, finished))), njobs)
		for task in tasks + subtasks:
			self.assertIsNotNone(task.tstop, task)
			self.assertEqual(task.numdone + task.numterm, task.numadded)
		self.assertEqual(sum(task.numterm for task in subtasks) + sum(
			1 for name, kind in kinds.items() if kind <= 4 and int(name[1:]) % 3 == 0), len(failed))
		self.assertEqual(zombieChildren(), [])
		self.assertEqual(len(os.listdir('/proc/self/fd')), fds)
		self.assertEqual(pool._workers, set())
		pool.execute(Job('after', args=('true',)))  # Still usable
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, done + 1)


if __name__ == '__main__':
	unittest.main()
