#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Unit tests of mpepool and mpewui: real processes, real files, a real HTTP server and browser

Run: python -m pytest -q mpetests.py   (or python -m unittest mpetests)
MPEPOOL_HIDE_PSUTIL=1 runs the suite as on a machine without psutil.
Every test case derives from MpeTestCase: a temporary folder, the pool's stdout captured, a check that no job
process is left, and a hang guard; its helpers register the clean-up of what they make.
"""
import ast
import collections
import concurrent.futures
import contextlib
import errno
import faulthandler
import gc
import gzip
import http.client
import importlib.util
import inspect
import io
import json
import os
import pathlib
import pty
import random
import re
import resource
import shlex
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
import urllib.request
import weakref
import xml.etree.ElementTree as ElementTree
from multiprocessing import cpu_count
from unittest import mock
from urllib.parse import quote

# Import of psutil fails: the suite runs as without it. Not when mpepool was imported first (a script
# that imports mpetests for its helpers): its psutil would break, not vanish.
if os.environ.get('MPEPOOL_HIDE_PSUTIL') and 'mpepool' not in sys.modules:
	sys.modules['psutil'] = None

import mpepool
from mpepool import (AffinityMask, CpuTopology, ExecPool, Job, JobInfo, Task, TaskInfo, TaskInfoExt
	, cpucorethreads, cpunodes, cpusequential, inBytes, inGigabytes, infodata, secondsToHms, tasksInfoExt, tblfmt
	, timeheader, unfoldDepthFirst)
from mpepool import _LIMIT_WORKERS_RAM, _CHAINED_CONSTRAINTS, _RAM_SIZE  # noqa: F401 (the original's tests import them)

try:
	import bottle  # noqa: F401
	import mpewui
	from mpewui import ResultOptions, UiResFmt, WebUiApp
except ImportError:  # The Web UI tests are skipped
	mpewui = None

REPO = os.path.dirname(os.path.abspath(__file__))
PYEXEC = sys.executable
# The hang guard's bound, seconds: a test running longer (setUp, body and clean-up) is taken as hung, and the
# run ends with its traceback. The slowest tests take 65 s on a quiet 2-core machine (Slurm's --time backstop,
# mostly Slurm's own minute) and 44 s (the suite without psutil), the slowest ones 3x as long under a load of
# 17; the longest bound a test sets itself is 300 s (its subprocesses' timeouts). Half of CI's 10 minutes.
HANG_TIMEOUT = 300

# --- Child programs: one helper, named snippets ---------------------------------------------------------


def pyjob(code):
	"""Job args running a Python snippet"""
	return (PYEXEC, '-c', code)


def SLEEP(seconds):
	return 'import time; time.sleep({})'.format(seconds)


def EXIT(code):
	return 'import sys; sys.exit({})'.format(code)


def allocDelayProg(size, duration):
	"""Python code that holds size bytes of touched memory for duration seconds

	A name of the original's tests that its README's memory example uses (with
	TestProcMemTree.allocAndSpawnProg): kept so that the example runs as written.
	"""
	return 'import time; buf = b"1" * {}; time.sleep({})'.format(int(size), duration)


def ALLOC(mb, seconds):
	"""Hold mb MB of touched memory for seconds"""
	return allocDelayProg(mb << 20, seconds)


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


def noJobsLeft(timeout=5., exclude=()):
	"""Raise AssertionError, after killing them, if job processes of this process's pools are left running

	exclude: marker prefixes of the pools that outlive a test (a class's shared pool, see BusyPoolCase)
	"""
	token = mpepool._processToken()

	def left():
		return {marker: pids for marker, pids in mpepool._markedProcesses(token).items() if not marker.startswith(exclude)}
	if not waitUntil(lambda: not left(), timeout):
		leftover = left()
		for pids in leftover.values():
			mpepool._signalPids(pids, signal.SIGKILL)
		if leftover:
			raise AssertionError('job processes left running: {}'.format(leftover))


def repoEnv(**changes):
	"""The environment of a child Python that imports this repository's modules: ours with the repository
	first on PYTHONPATH, then changes (a value None removes that variable)"""
	env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (REPO, os.environ.get('PYTHONPATH')))))
	env.update(changes)
	return {name: val for name, val in env.items() if val is not None}


# Where the hang guard writes. pytest captures descriptor 2 into a temporary file that is lost when the guard
# ends the process, so under pytest it is a duplicate of the real stderr, taken once while pytest's capture is
# suspended (its public CaptureManager.global_and_fixture_disabled()); else descriptor 2 itself.
_hangOut = None


class MpeTestCase(unittest.TestCase):
	"""The base of every test: a temporary folder (self.tmp), the pool's stdout captured (self.out), no job
	process or zombie left behind, and a hang guard

	Each helper that makes something (a folder, a pool, a process, a Web UI) registers its clean-up with
	addCleanup (psutil's PsutilTestCase.spawn_subproc is the model): clean-ups run last made, first undone, so
	the pools of a test end before the checks that setUp registered first.
	The hang guard (faulthandler.dump_traceback_later) ends the whole run with the traceback of every thread
	when a test with its clean-up takes more than hangTimeout seconds: a hung test tells where it hung
	instead of eating the CI's time.
	"""
	hangTimeout = HANG_TIMEOUT
	sharedPrefixes = ()  # Marker prefixes of the pools a class shares between its tests (BusyPoolCase)

	def run(self, result=None):
		self._runner = result  # Under pytest: its test item, whose config holds the capture manager
		return super().run(result)

	def setUp(self):
		faulthandler.dump_traceback_later(self.hangTimeout, exit=True, file=self.hangOut())
		self.addCleanup(faulthandler.cancel_dump_traceback_later)
		self.tmp = self.tempDir()
		self.addCleanup(lambda: self.assertTrue(waitUntil(lambda: not zombieChildren(), 3.)
			, 'zombies left: {}'.format(zombieChildren())))
		self.addCleanup(noJobsLeft, 5., self.sharedPrefixes)
		self.pools = []  # The pools of the test, in their creation order
		self.out = io.StringIO()  # What the pool prints to stdout (not the jobs' outputs: they have fd 1)
		if not os.environ.get('MPETESTS_VERBOSE'):
			self.enterContext(contextlib.redirect_stdout(self.out))

	def hangOut(self):
		"""The descriptor of the real stderr (see _hangOut)"""
		global _hangOut
		if _hangOut is None:
			capman = getattr(getattr(getattr(self, '_runner', None), 'config', None), 'pluginmanager', None)
			capman = capman and capman.getplugin('capturemanager')
			if capman is None:
				_hangOut = sys.__stderr__.fileno()
			else:
				with capman.global_and_fixture_disabled():
					_hangOut = os.dup(sys.__stderr__.fileno())
		return _hangOut

	def enterContext(self, ctx):
		"""Enter a context manager, exit it at the clean-up (unittest's own enterContext from Python 3.11)"""
		res = ctx.__enter__()
		self.addCleanup(ctx.__exit__, None, None, None)
		return res

	def tempDir(self, prefix='mpetests-'):
		"""A new temporary folder, removed after the test"""
		path = tempfile.mkdtemp(prefix=prefix)
		self.addCleanup(shutil.rmtree, path, True)
		return path

	def path(self, *names):
		"""A path in the test's temporary folder"""
		return os.path.join(self.tmp, *names)

	def newPool(self, *args, **kwargs):
		"""An ExecPool terminated after the test"""
		pool = ExecPool(*args, **kwargs)
		self.addCleanup(pool.terminate)
		self.pools.append(pool)
		return pool

	def newApp(self, **kwargs):
		"""A Web UI on a free loopback port, stopped after the test"""
		app = WebUiApp(**dict(dict(host='127.0.0.1', port=0), **kwargs))  # A test may give its own host
		self.addCleanup(app.stop)
		return app

	def runScript(self, code, timeout=60, **kwargs):
		"""Run a Python script in a subprocess with the repository importable; return CompletedProcess"""
		return subprocess.run((PYEXEC, '-c', textwrap.dedent(code)), capture_output=True, text=True
			, timeout=timeout, env=repoEnv(), cwd=self.tmp, **kwargs)




class TestHangGuard(MpeTestCase):
	"""The base's hang guard ends a hung test with the traceback of where it hung, under pytest (which
	captures the test's stderr) and under unittest"""

	HUNG = textwrap.dedent('''\
		import threading
		import mpetests


		class TestHung(mpetests.MpeTestCase):
			hangTimeout = 1

			def test_waits_forever(self):
				threading.Event().wait()
		''')

	def test_hung_test_prints_where_and_ends(self):
		with open(self.path('test_hung.py'), 'w') as ftest:
			ftest.write(self.HUNG)
		for runner in (('pytest', '-q', '-p', 'no:cacheprovider', 'test_hung.py'), ('unittest', 'test_hung')):
			# Without the guard the test waits forever: subprocess.run's timeout fails this test
			res = subprocess.run((PYEXEC, '-m') + runner, capture_output=True, text=True, timeout=60, cwd=self.tmp
				, env=repoEnv())
			self.assertEqual(res.returncode, 1, runner)
			self.assertIn('Timeout (0:00:01)!', res.stderr, runner)
			self.assertRegex(res.stderr, r'File ".*test_hung\.py", line 9 in test_waits_forever', runner)

# --- Helpers and reporting model -------------------------------------------------------------------------


class TestHelpers(MpeTestCase):
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


class TestArguments(MpeTestCase):
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


class TestExecPool(MpeTestCase):
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
		spawned = []  # The run record goes with the job's completion: its spawn time is read in onfinish
		first = Job('first', args=pyjob(SLEEP(0.2)), onfinish=lambda job: spawned.append(job._run.tspawn))
		second = Job('second', args=('true',))
		pool.execute(first)
		pool.execute(second)
		self.assertTrue(pool.join(30))
		exited = spawned[0] + first.wtime
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
		self.assertEqual(job.terminates, 2)  # One SIGTERM, then the SIGKILL
		self.assertEqual(job.pipedout, 'ready\n')
		self.assertGreaterEqual(job.wtime, 0.5 + pool.killgrace)
		self.assertLess(job.wtime, 0.5 + pool.killgrace + 1.)

	def test_killgrace(self):
		with self.assertRaisesRegex(ValueError, "killgrace must be .*-1"):
			ExecPool(1, killgrace=-1)
		self.assertEqual(ExecPool(1).killgrace, 2.)  # The original's two monitoring periods
		pool = self.newPool(1, killgrace=0.3)
		# The shell ignores SIGTERM within milliseconds (a Python job may still be starting at its timeout on
		# a loaded machine), and the ignored signal stays ignored across its exec
		job = Job('stubborn', args=('sh', '-c', 'trap "" TERM; exec sleep 60'), timeout=1.)
		pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertEqual(job.proc.returncode, -signal.SIGKILL)
		self.assertGreaterEqual(job.wtime, 1.3)
		self.assertLess(job.wtime, 2.3)

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

	def test_descendants_that_left_the_group_end_with_the_job(self):
		"""A job that ends by itself takes its setsid'ed grandchildren along, short or long-lived"""
		pool = self.newPool(2)
		jobs = []
		for name, life in (('short', 0), ('long', 1.2)):  # The long one: longer than _PID_CYCLE_MIN
			pidfile = self.path(name)
			code = textwrap.dedent('''\
				import os, subprocess, sys, time
				grand = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)
				with open({pidfile!r} + '.tmp', 'w') as fpid:
					fpid.write('%d' % grand.pid)
				os.rename({pidfile!r} + '.tmp', {pidfile!r})
				time.sleep({life})
				''').format(pidfile=pidfile, life=life)
			jobs.append((Job(name, args=pyjob(code)), pidfile))
		for job, _ in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertTrue(pool.alive)
		for job, pidfile in jobs:
			self.assertEqual(job.proc.returncode, 0)
			self.assertIsNone(job.reason)
			grand = readPids(pidfile)[0]
			self.assertTrue(waitUntil(lambda: not pidAlive(grand), 1.), '{}: grandchild {} survived'.format(job.name, grand))

	def test_descendants_found_when_the_pid_counter_descriptor_was_taken(self):
		"""Without cgroups a finished job's escaped descendants are found among the pids allocated since its
		start: the descriptor of ns_last_pid kept for it, closed by the caller and its number taken by another
		file, is noticed and opened anew (the other file is neither read as the counter nor closed)"""
		pool = self.newPool(1, cgroups=False)
		self.assertTrue(pool.execute(Job('first', args=('true',))) == 0 and pool.join(30))
		self.assertIsNotNone(mpepool._LASTPID)
		kept = mpepool._LASTPID[0]
		decoy = self.path('decoy')
		with open(decoy, 'w') as fdecoy:
			fdecoy.write('1\n')  # A pid before every job's: read as the counter, no pid would be looked at
		os.close(kept)
		fd = os.open(decoy, os.O_RDONLY)
		self.addCleanup(os.close, fd)
		if fd != kept:  # The lowest free number: usually the one just closed
			os.dup2(fd, kept)
			self.addCleanup(os.close, kept)
		pidfile = self.path('grand')
		code = textwrap.dedent('''\
			import os, subprocess, sys
			grand = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)
			with open({pidfile!r} + '.tmp', 'w') as fpid:
				fpid.write('%d' % grand.pid)
			os.rename({pidfile!r} + '.tmp', {pidfile!r})
			''').format(pidfile=pidfile)
		job = Job('escaping', args=pyjob(code))
		pool.execute(job)
		self.assertTrue(pool.join(30))
		grand = readPids(pidfile)[0]
		self.assertTrue(waitUntil(lambda: not pidAlive(grand), 2.), 'the grandchild {} survived'.format(grand))
		self.assertEqual(os.pread(kept, 64, 0), b'1\n')  # The decoy is still open, untouched
		self.assertNotEqual(mpepool._LASTPID[0], kept)
		with open('/proc/sys/kernel/ns_last_pid') as fpid:
			self.assertEqual(mpepool._lastPid(), int(fpid.read()))

	def test_accounting_from_the_kernel(self):
		pool = self.newPool(2, cgroups=False)  # os.wait4's figures (TestCgroups: a cgroup's)
		busy = Job('busy', args=pyjob('import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass'))
		fat = Job('fat', args=pyjob(ALLOC(400, 0.1)))  # Above this test process's own peak memory
		pool.execute(busy)
		pool.execute(fat)
		self.assertTrue(pool.join(30))
		self.assertGreaterEqual(busy.utime + busy.stime, 0.29)
		self.assertGreaterEqual(busy.wtime, 0.3)
		self.assertGreaterEqual(fat.rssmax, inGigabytes(400 * 1024 * 1024))
		self.assertLess(fat.rssmax, 1.)
		# A small job's peak is below this process's own, which the kernel counts into the child's ru_maxrss
		# until its exec: unknown rather than wrong
		self.assertIsNone(busy.rssmax)
		self.assertEqual((busy.accounting, fat.accounting), ('wait4', 'wait4'))

	def test_terminate_from_a_signal_handler_ends_the_wait(self):
		pool = self.newPool(1)
		job = Job('long', args=pyjob(SLEEP(60)))
		pool.execute(job)
		previous = signal.signal(signal.SIGUSR1, lambda signum, frame: pool.terminate())
		self.addCleanup(signal.signal, signal.SIGUSR1, previous)
		killer = subprocess.Popen(('sh', '-c', 'sleep 0.5; kill -USR1 {}'.format(os.getpid())))
		start = time.perf_counter()
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertFalse(pool.join(60))
		killer.wait(10)
		self.assertLess(time.perf_counter() - start, 5)  # Not when the job would have ended
		self.assertEqual(job.reason, 'pool termination')
		self.assertEqual(job.proc.returncode, -signal.SIGTERM)

	def test_wall_time_covers_a_descheduled_spawn(self):
		realPopen = mpepool._popen

		def slowReturn(*args, **kwargs):  # The pool's thread descheduled right after the child started
			proc = realPopen(*args, **kwargs)
			time.sleep(0.3)
			return proc
		pool = self.newPool(1)
		job = Job('nap', args=pyjob(SLEEP(0.2)))
		with mock.patch.object(mpepool, '_popen', slowReturn):
			pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertGreaterEqual(job.wtime, 0.2)  # Never less than what the job itself took

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

	def test_programs_are_found_in_the_current_PATH(self):
		bindir = self.path('bin')
		os.mkdir(bindir)
		prog = os.path.join(bindir, 'mpetests-hello')
		with open(prog, 'w') as fprog:
			fprog.write('#!/bin/sh\necho hello\n')
		os.chmod(prog, 0o755)
		pool = self.newPool(1)
		with mock.patch.dict(os.environ, {'PATH': bindir + os.pathsep + os.environ['PATH']}):
			found = Job('found', args=('mpetests-hello',), stdout=subprocess.PIPE)
			self.assertEqual(pool.execute(found), 0)
			self.assertTrue(pool.join(30))
		self.assertEqual(found.pipedout, 'hello\n')
		with contextlib.redirect_stderr(io.StringIO()):  # Not in PATH any more: not taken from a cache
			self.assertEqual(pool.execute(Job('gone', args=('mpetests-hello',))), errno.ENOENT)
		with mock.patch.dict(os.environ, {'PATH': 'bin' + os.pathsep + os.environ['PATH']}):
			relative = Job('relative', args=('mpetests-hello',), workdir=self.tmp, stdout=subprocess.PIPE)
			pool.execute(relative)  # A relative PATH folder is searched from the job's workdir
			self.assertTrue(pool.join(30))
		self.assertEqual(relative.pipedout, 'hello\n')

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
		# It ends after the others are queued (execute() takes microseconds): then its onfinish stops them
		stopper = Job('stopper', args=pyjob(SLEEP(0.5)), onfinish=lambda job: pool.terminate())
		rest = [Job('rest%d' % i, args=pyjob(SLEEP(60))) for i in range(3)]
		pool.execute(stopper)
		for job in rest:
			pool.execute(job)
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertFalse(pool.join(30))
		self.assertEqual(pool.jobsdone, 1)
		self.assertEqual(len(pool.failures), 3)
		self.assertTrue(all(job.tstop is not None for job in rest))

	def test_sequential_job_from_a_callback(self):
		pool = self.newPool(2)
		results = []
		first = Job('first', args=('true',), ondone=lambda job: results.append(
			pool.execute(Job('inner', args=pyjob(EXIT(5))), concur=False)))
		pool.execute(first)
		pool.execute(Job('other', args=pyjob(SLEEP(0.2))))
		self.assertTrue(pool.join(30))
		self.assertEqual(results, [5])
		self.assertEqual(pool.jobsdone, 2)
		self.assertEqual([info.name for info in pool.failures], ['inner'])

	def test_a_failing_web_ui_never_stops_the_jobs(self):
		class BrokenUi(object):
			def register(self, pool):
				pass

			def publish(self, pool, snapshot):
				raise RuntimeError('the UI is broken')
		pool = self.newPool(2, webuiapp=BrokenUi())
		with contextlib.redirect_stderr(io.StringIO()) as err:
			for i in range(3):
				pool.execute(Job('j%d' % i, args=('true',)))
			self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 3)
		self.assertEqual(err.getvalue().count('the Web UI snapshot failed'), 1)

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
		gc.collect()
		fds = len(os.listdir('/proc/self/fd'))
		for i in range(30):
			pool.execute(Job('j%d' % i, args=pyjob('print(1)') if i % 3 else ('false',)
				, stdout=subprocess.PIPE if i % 2 else self.path('o%d' % i), stderr=subprocess.PIPE
				, timeout=0.05 if i % 5 == 0 else 0))
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(pool.join(60))
		self.assertEqual(zombieChildren(), [])
		gc.collect()
		self.assertEqual(len(os.listdir('/proc/self/fd')), fds)

	def test_execute_reaps_or_queues(self):
		"""execute() with every slot taken: a job that ended meanwhile is reaped and the new job starts at once in
		its slot; with nothing ended the new job queues (without a loop step) and starts after"""
		pool = self.newPool(1)
		first, second = Job('first', args=('true',)), Job('second', args=('true',))
		self.assertEqual(pool.execute(first), 0)
		self.assertTrue(waitUntil(pool._actionable, 10))  # Its exit is pending in the selector
		self.assertEqual(pool.execute(second), 0)
		self.assertIsNotNone(first.tstop)  # Reaped by execute()
		self.assertIsNotNone(second.tstart)  # Started at once in the freed slot
		slow, queued = Job('slow', args=('sleep', '0.5')), Job('queued', args=('true',))
		self.assertTrue(pool.join(10))
		self.assertEqual(pool.execute(slow), 0)
		self.assertEqual(pool.execute(queued), 0)
		self.assertIsNone(queued.tstart)
		self.assertEqual(list(pool._jobs), [queued])
		self.assertTrue(pool.join(10))
		self.assertGreaterEqual(queued.tstart, slow.tstop)
		self.assertEqual((pool.jobsdone, pool.failures), (4, []))


class TestTasks(MpeTestCase):
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


class TestTermination(MpeTestCase):
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
		for i in range(2):  # From an earlier script of the test
			with contextlib.suppress(FileNotFoundError):
				os.remove(pidfile + str(i))
		code = self.HEADER.format(repo=REPO) + textwrap.dedent(setup) + '\n' + self.JOBS.format(
			child=FORK_GRANDCHILD('PIDFILE', setsid=True), pidfile=pidfile)
		proc = subprocess.Popen((PYEXEC, '-c', code), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=repoEnv()
			, text=True)
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

	def test_sigkilled_pool_kills_the_jobs_groups_and_sessions(self):
		"""Descendants that cleared their environment (no marker) die with the job's group and session"""
		pidfile = self.path('envless')
		child = textwrap.dedent('''\
			import os, subprocess, sys, time
			sleeper = [sys.executable, '-c', 'import time; time.sleep(60)']
			ingroup = subprocess.Popen(['env', '-i'] + sleeper)
			insession = subprocess.Popen(['env', '-i'] + sleeper, preexec_fn=os.setpgrp)  # Another group
			with open({pidfile!r} + '.tmp', 'w') as fpid:
				fpid.write('%d %d %d' % (os.getpid(), ingroup.pid, insession.pid))
			os.rename({pidfile!r} + '.tmp', {pidfile!r})
			time.sleep(60)
			''').format(pidfile=pidfile)
		code = self.HEADER.format(repo=REPO) + textwrap.dedent('''\
			execpool = ExecPool(1)
			execpool.execute(Job('envless', args=(sys.executable, '-c', {child!r})))
			execpool.join(60)
			''').format(child=child)
		proc = subprocess.Popen((PYEXEC, '-c', code), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
		pids = readPids(pidfile)
		self.addCleanup(mpepool._signalPids, pids, signal.SIGKILL)
		self.assertTrue(all(pidAlive(pid) for pid in pids))
		proc.kill()
		proc.wait(10)
		self.assertAllDead(pids, 3.)

	# A measuring wrapper, as benchmark frameworks run each program: its SIGTERM handler is one-shot (a second
	# SIGTERM kills it) and takes a while to record the program's end
	WRAPPER = textwrap.dedent('''\
		import signal, subprocess, sys, time
		record = sys.argv[1]
		child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
		def onterm(signum, frame):
			signal.signal(signal.SIGTERM, signal.SIG_DFL)
			time.sleep(0.3)  # Collecting the program's resources: longer than the original's 0.2 s between SIGTERMs
			with open(record, 'w') as frec:
				frec.write('recorded')
			sys.exit(0)
		signal.signal(signal.SIGTERM, onterm)
		with open(record + '.ready', 'w'):
			pass
		child.wait()
		''')

	def wrapperJob(self, name, **kwargs):
		record = self.path(name)
		return Job(name, args=(PYEXEC, '-c', self.WRAPPER, record), **kwargs), record

	def assertRecorded(self, record):
		with open(record) as frec:
			self.assertEqual(frec.read(), 'recorded')

	def test_one_sigterm_per_process_on_timeout_and_terminate(self):
		pool = self.newPool(2)
		stopped, srecord = self.wrapperJob('stopped')
		# The end of the timed-out job terminates the pool, which stops the other one
		timed, trecord = self.wrapperJob('timed', timeout=0.5, onfinish=lambda job: pool.terminate())
		pool.execute(stopped)
		self.assertTrue(waitUntil(lambda: os.path.exists(srecord + '.ready'), 10.))
		with contextlib.redirect_stderr(io.StringIO()):
			pool.execute(timed)
			self.assertFalse(pool.join(30))
		self.assertEqual((timed.reason, stopped.reason), ('timeout', 'pool termination'))
		for job, record in ((timed, trecord), (stopped, srecord)):
			self.assertEqual(job.proc.returncode, 0, job.name)  # It exited by itself, after its record
			self.assertRecorded(record)
		self.assertLess(timed.wtime, 0.5 + 1.3)  # Its handler took 0.3 s: the stop stays prompt

	def test_one_sigterm_per_process_on_sigint_of_the_program(self):
		record = self.path('record')
		proc = subprocess.Popen((PYEXEC, '-c', self.HEADER.format(repo=REPO) + textwrap.dedent('''\
			import mpepool
			mpepool.installTerminationHandlers()
			execpool = ExecPool(1)
			execpool.execute(Job('wrapped', args=(sys.executable, '-c', {wrapper!r}, {record!r})))
			execpool.join(60)
			''').format(wrapper=self.WRAPPER, record=record)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
		self.addCleanup(proc.kill)
		self.assertTrue(waitUntil(lambda: os.path.exists(record + '.ready'), 10.))
		proc.send_signal(signal.SIGINT)
		self.assertEqual(proc.wait(20), 128 + signal.SIGINT)
		self.assertRecorded(record)

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

	def test_live_pools_are_terminated_at_exit(self):
		pidfile = self.path('pids')
		res = self.runScript('''\
			import sys
			from mpepool import ExecPool, Job
			pool = ExecPool(1)
			pool.execute(Job('left', args=(sys.executable, '-c', {!r})))
			while True:  # Until the job has written its pids; then the program ends without join()
				try:
					open({!r}).close()
					break
				except OSError:
					pass
			'''.format(FORK_GRANDCHILD(pidfile, setsid=True), pidfile))
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertIn('terminating the execution pool with 0 non-started jobs and 1 workers', res.stderr)
		self.assertIn('Completed (ABNORMALLY) "left"', res.stdout)  # Gracefully, not by the guardian
		self.assertAllDead(readPids(pidfile), 1.)

	def test_installTerminationHandlers(self):
		proc, pids = self.startScript('import mpepool; mpepool.installTerminationHandlers()')
		proc.send_signal(signal.SIGTERM)
		self.assertEqual(proc.wait(20), 128 + signal.SIGTERM)
		self.assertAllDead(pids, 1.)

# --- Compatibility with code written for the original -----------------------------------------------------


# --- Output files: never delete or break what the pool does not own ---------------------------------


def WAIT_FILE(path, seconds=20):
	"""Python code waiting (at most seconds) until path exists: a job that goes on only when the test says so"""
	return 'import os, time\ndeadline = time.time() + {}\nwhile not os.path.exists({!r}) and time.time() < deadline:' \
		' time.sleep(0.01)\n'.format(seconds, path)


class TestMessages(MpeTestCase):
	"""The console messages in plain words: the limit a stopped job broke and its value, one human duration,
	wall-clock times and the end of a failed job's PIPE stderr in the report, no call stack on a Ctrl-C"""

	def test_timeout_message(self):
		pool = self.newPool(1)
		err = io.StringIO()
		with contextlib.redirect_stderr(err):
			pool.execute(Job('nap', args=('sleep', '30'), timeout=0.3))
			self.assertTrue(pool.join(30))
		line = next(line for line in err.getvalue().splitlines() if 'violation' in line)
		self.assertRegex(line, r'^WARNING, "nap" #\d+ is terminated because of the timeout violation: its timeout'
			r' is 0\.30 s; it ran 0\.\d\d s$')
		for jargon in ('chtermtime', 'consumes', ' h 0 m', 'sec'):
			self.assertNotIn(jargon, err.getvalue())

	def test_own_memlim_message(self):
		"""A job stopped at its own memlim names that limit and its value, not the pool's memlimit"""
		if not mpepool._LIMIT_WORKERS_RAM and mpepool._cgroupCaps()[0] is None:
			self.skipTest('neither psutil nor cgroups: memory limits are not enforced')
		pool = self.newPool(1, memlimit=1.)
		err = io.StringIO()
		with contextlib.redirect_stderr(err):
			job = Job('hog', args=pyjob(ALLOC(200, 30)), memlim=0.05)
			pool.execute(job)
			self.assertTrue(pool.join(60))
		self.assertEqual(job.reason, 'memory limit')
		self.assertRegex(err.getvalue(), r'(?m)^WARNING, "hog" #\d+ is terminated because of the memory limit'
			r' violation: its memlim is 0\.05 GB(, it used [\d.]+ GB)?; it ran [\d.]+ s$')
		self.assertNotIn('1 GB', err.getvalue())  # The pool's limit, which the job did not break

	def test_failure_report(self):
		"""Wall-clock start and stop times, and the last lines of a failed job's PIPE stderr under its row"""
		pool = self.newPool(1)
		code = 'import sys\nfor i in range(1, 9): print("line", i, file=sys.stderr)\nsys.exit(3)'
		job = Job('noisy', args=pyjob(code), stderr=subprocess.PIPE, task=Task('T'))
		lone = Job('lone', args=pyjob(code), stderr=subprocess.PIPE)
		pool.execute(job)
		pool.execute(lone)
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(pool.join(30))
		report = self.out.getvalue()
		self.assertEqual([info.errtail for info in pool.failures], ['\n'.join('line {}'.format(i) for i in
			range(4, 9))] * 2)
		for name in ('noisy', 'lone'):
			lines = report.splitlines()
			row = next(i for i, line in enumerate(lines) if line.split()[:1] == [name])
			self.assertEqual([line.strip() for line in lines[row + 1:row + 6]], ['stderr| line {}'.format(i)
				for i in range(4, 9)])
		self.assertNotIn('line 3', report)
		clock = time.strftime('%H:%M:%S', time.localtime(mpepool.wallclock(job.tstart)))
		self.assertRegex(report, r'(?m)^\s+noisy\s+\d+\s+3\s+{}\.\d\d\d\s+\d\d:\d\d:\d\d\.\d\d\d\s'.format(clock))
		task = next(line for line in report.splitlines() if line.split()[:1] == ['T'] and len(line.split()) > 1)
		self.assertRegex(task, r'^\s+T\s+\d\d:\d\d:\d\d\.\d\d\d\s+\d\d:\d\d:\d\d\.\d\d\d\s')
		self.assertNotIn('{:.3f}'.format(job.tstart), report)  # Not the raw perf_counter reading

	def test_ctrl_c_without_call_stack(self):
		"""Ctrl-C in a Python program: the termination is said, without a call stack (unless asked for)"""
		program = textwrap.dedent('''\
			import faulthandler, signal, sys
			import mpepool
			from mpepool import ExecPool, Job
			faulthandler.dump_traceback_later(20, exit=True)  # A hang says where, in the test's failure
			signal.signal(signal.SIGINT, signal.default_int_handler)  # Also where the tests run with SIGINT ignored
			if sys.argv[1:] == ['stacks']:
				mpepool._MESSAGES.configure(stacks=True)
			pool = ExecPool(1)
			pool.execute(Job('nap', args=('sleep', '30')))
			pool.execute(Job('later', args=('sleep', '30')))
			try:
				print('started', flush=True)
				pool.join()
			except KeyboardInterrupt:
				print('interrupted', flush=True)
			''')
		env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
		for args in ((), ('stacks',)):
			proc = subprocess.Popen((PYEXEC, '-c', program) + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE
				, text=True, env=env, cwd=self.tmp)
			self.addCleanup(proc.kill)
			self.assertIn('started\n', iter(proc.stdout.readline, ''))  # After the pool's Starting lines
			proc.send_signal(signal.SIGINT)
			out, err = proc.communicate(timeout=30)
			self.assertEqual(proc.returncode, 0, out + err)
			self.assertIn('interrupted\n', out)
			self.assertIn('terminating the execution pool with 1 non-started jobs and 1 workers', err)
			self.assertIn('Terminating "nap"', err)
			if args:
				self.assertIn('call stack:', err)
				self.assertIn('File "', err)
			else:
				self.assertNotIn('call stack', err)
				self.assertNotIn('File "', err)


class TestOutputFiles(MpeTestCase):
	"""Output paths shared by jobs, paths that are not regular files, a full disk, values of no documented kind"""

	def touchOnFinish(self, path):
		"""An onfinish callback creating path"""
		return lambda job: open(path, 'w').close()

	def test_shared_output_removed_only_by_its_last_user(self):
		"""A file (and its folder) is removed only if the pool created it, it is empty and no job uses it"""
		log, gate = self.path('shared', 'log.txt'), self.path('gate')
		pool = self.newPool(2)
		# The quick job ends with the log still empty while the late one still writes to it
		pool.execute(Job('late', args=pyjob(WAIT_FILE(gate) + 'print("late line")'), stdout=log))
		pool.execute(Job('quick', args=('true',), stdout=log, onfinish=self.touchOnFinish(gate)))
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 2)
		with open(log) as flog:
			self.assertEqual(flog.read(), 'late line\n')
		# Both silent: the file and its folder are removed when the last of them ends, not before
		log2, gate2, seen = self.path('silent', 'log.txt'), self.path('gate2'), []
		pool.execute(Job('silent', args=pyjob(WAIT_FILE(gate2)), stdout=log2
			, onfinish=lambda job: seen.append(os.path.exists(log2))))
		pool.execute(Job('quick2', args=('true',), stdout=log2, onfinish=self.touchOnFinish(gate2)))
		self.assertTrue(pool.join(30))
		self.assertEqual(seen, [True])  # quick2 ended first and left it
		self.assertFalse(os.path.exists(self.path('silent')))
		# A queued job counts as a user too
		pool = self.newPool(1)
		log3, seen = self.path('queued', 'log.txt'), []
		pool.execute(Job('first', args=('true',), stdout=log3))
		pool.execute(Job('next', args=pyjob('print("next")'), stdout=log3
			, onstart=lambda job: seen.append(os.path.exists(log3))))
		self.assertTrue(pool.join(30))
		self.assertEqual(seen, [True])
		# An empty file the pool did not create stays, with its folder
		mine = self.path('mine', 'placeholder.txt')
		os.mkdir(self.path('mine'))
		open(mine, 'w').close()
		pool.execute(Job('silent', args=('true',), stdout=mine, stderr=mine))
		self.assertTrue(pool.join(30))
		self.assertTrue(os.path.isfile(mine))

	def test_non_regular_outputs_written_as_is(self):
		"""Devices, FIFOs and descriptor aliases: written to, never removed, never seeked, no separator line"""
		node = self.path('null')
		os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # A null device of the test's own (root)
		fifo = self.path('fifo')
		os.mkfifo(fifo)
		reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
		self.addCleanup(os.close, reader)
		# Aliases through /proc/self/fd, as /dev/stderr: one of a non-empty file, one of an empty file
		full, empty = self.path('full.txt'), self.path('empty.txt')
		with open(full, 'w') as ffull:
			ffull.write('before\n')
		open(empty, 'w').close()
		aliases = []
		for target in (full, empty):
			fd = os.open(target, os.O_WRONLY | os.O_APPEND)
			self.addCleanup(os.close, fd)
			aliases.append(self.path('alias-' + os.path.basename(target)))
			os.symlink('/proc/self/fd/{}'.format(fd), aliases[-1])
		jobs = [Job('node', args=('echo', 'lost'), stdout=node), Job('devnull', args=('true',), stdout=os.devnull)
			, Job('fifo', args=('echo', 'through the fifo'), stdout=fifo)
			, Job('alias-full', args=('echo', 'via alias'), stdout=aliases[0])
			, Job('alias-empty', args=('true',), stdout=aliases[1], stderr=aliases[1])]
		try:
			os.close(os.open('/dev/tty', os.O_WRONLY))
			jobs.append(Job('tty', args=('true',), stdout='/dev/tty'))
		except OSError:  # No controlling terminal here
			pass
		pool = self.newPool(2)
		for job in jobs:
			pool.execute(job)
		with contextlib.redirect_stderr(io.StringIO()) as err:
			self.assertTrue(pool.join(30))
		self.assertEqual(pool.failures, [], err.getvalue())
		self.assertEqual(pool.jobsdone, len(jobs))
		self.assertTrue(stat.S_ISCHR(os.lstat(node).st_mode))
		self.assertTrue(stat.S_ISCHR(os.lstat(os.devnull).st_mode))
		self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))
		self.assertEqual(os.read(reader, 100), b'through the fifo\n')
		for alias in aliases:
			self.assertTrue(os.path.islink(alias), alias)
		with open(full) as ffull:
			self.assertEqual(ffull.read(), 'before\nvia alias\n')  # No separator line
		self.assertTrue(os.path.isfile(empty))
		if jobs[-1].name == 'tty':
			self.assertTrue(stat.S_ISCHR(os.stat('/dev/tty').st_mode))

	def test_fifo_without_reader_fails_the_job_without_blocking(self):
		"""The pool never blocks on opening a FIFO that nobody reads: that job fails to start, clearly"""
		os.mkfifo(self.path('fifo'))
		res = self.runScript('''\
			import mpepool
			pool = mpepool.ExecPool(1)
			pool.execute(mpepool.Job('nobody reads', args=('echo', 'x'), stdout='fifo'))
			pool.execute(mpepool.Job('after', args=('true',)))
			print('joined', pool.join(10), [info.name for info in pool.failures], pool.jobsdone)
			''', timeout=20)
		self.assertIn("joined True ['nobody reads'] 1", res.stdout, res.stderr)
		self.assertIn('no process reads this FIFO', res.stderr)

	def fullDisk(self):
		"""A folder on a tmpfs of 64 KB, unmounted after the test"""
		mnt = tempfile.mkdtemp(prefix='mpetests-disk-')
		self.addCleanup(os.rmdir, mnt)
		res = subprocess.run(('mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt), capture_output=True, text=True)
		if res.returncode:
			self.skipTest('a tmpfs can not be mounted here: {}'.format(res.stderr.strip() or res.returncode))
		self.addCleanup(self.unmount, mnt)
		return mnt

	def unmount(self, mnt):
		if subprocess.run(('umount', mnt)).returncode:
			subprocess.run(('umount', '--lazy', mnt))  # Still busy: detached now, freed when unused

	def test_full_disk(self):
		"""A job runs without its separator line; a PIPE log that can not be written leaves nothing behind"""
		disk = self.fullDisk()
		out = os.path.join(disk, 'out.txt')
		with open(out, 'wb') as fout:
			fout.write(b'o' * 4096)  # A full page: the separator line would need one more
		with open(os.path.join(disk, 'filler'), 'wb', buffering=0) as ffill:
			with self.assertRaises(OSError) as full:
				while True:
					ffill.write(b'\0' * 4096)
		self.assertEqual(full.exception.errno, errno.ENOSPC)
		runs = Job('runs', args=pyjob('import sys; sys.stderr.write("ran")'), stdout=out, stderr=subprocess.PIPE)
		logged = Job('logged', args=pyjob('print("piped")'), stdout=subprocess.PIPE
			, poutlog=os.path.join(disk, 'logs', 'piped.log'))
		pool = self.newPool(2)
		with contextlib.redirect_stderr(io.StringIO()) as err:
			pool.execute(runs)
			pool.execute(logged)
			self.assertTrue(pool.join(30))
		messages = err.getvalue()
		self.assertEqual(pool.failures, [], messages)
		self.assertEqual((pool.jobsdone, runs.pipederr, logged.pipedout), (2, 'ran', 'piped\n'))
		self.assertEqual(messages.count(out), 1, messages)  # One clear message about the separator
		self.assertIn('runs without the separator line in {}: [Errno 28]'.format(out), messages)
		self.assertEqual(os.path.getsize(out), 4096)
		self.assertIn('could not be logged to {}'.format(os.path.join(disk, 'logs', 'piped.log')), messages)
		self.assertFalse(os.path.exists(os.path.join(disk, 'logs')))  # Neither the log nor its folder

	def test_output_kinds_checked_at_job(self):
		"""stdout / stderr of no documented kind: TypeError naming the parameter, before anything runs"""
		class BytesPath(object):
			def __fspath__(self):
				return b'/tmp/out'
		rfd, wfd = os.pipe()
		self.addCleanup(os.close, rfd)
		self.addCleanup(os.close, wfd)
		pool = self.newPool(1)
		closed = os.dup(wfd)
		os.close(closed)
		for kwargs, pattern in (({'stdout': b'/tmp/out'}, "stdout.*b'/tmp/out'"), ({'stderr': 1.5}, 'stderr.*1.5')
		, ({'stdout': object()}, 'stdout.*object'), ({'stdout': BytesPath()}, 'stdout.*/tmp/out')
		, ({'stdout': subprocess.STDOUT}, 'stdout.*-2'), ({'stderr': -7}, 'stderr.*-7'), ({'stdout': True}, 'stdout.*True')
		, ({'stdout': closed}, 'stdout.*{} is not an open descriptor'.format(closed))
		, ({'stderr': rfd}, 'stderr.*{} is not open for writing'.format(rfd))
		, ({'stdout': pool._wakefds[1]}, "stdout.*{} is the pool's own".format(pool._wakefds[1]))
		, ({'stderr': io.StringIO()}, 'stderr.*StringIO.*has no descriptor')):
			with self.assertRaisesRegex(TypeError, pattern, msg=kwargs):
				Job('j', args=('true',), **kwargs)
		with self.assertRaisesRegex(ValueError, "stdout.*''"):
			Job('j', stdout='')
		# The documented kinds: a PathLike path (kept as str), a descriptor the caller owns, STDOUT for stderr,
		# sys.stdout also when replaced by an object without a descriptor (the job inherits the pool's)
		with contextlib.redirect_stdout(io.StringIO()):
			self.assertIs(Job('j', stdout=sys.stdout).stdout, sys.stdout)
		viapath = Job('path', args=('echo', 'to path'), stdout=pathlib.Path(self.path('p.txt')), stderr=subprocess.STDOUT)
		self.assertEqual(viapath.stdout, self.path('p.txt'))
		viafd = Job('fd', args=('echo', 'to fd'), stdout=wfd, stderr=subprocess.DEVNULL)
		for job in (viapath, viafd):
			pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 2)
		self.assertEqual(os.read(rfd, 100), b'to fd\n')
		os.fstat(wfd)  # Still open: the caller's
		with open(self.path('p.txt')) as fpath:
			self.assertEqual(fpath.read(), 'to path\n')


class TestCompatibility(MpeTestCase):
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
			'''
		res = self.runScript(script)
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertIn("JOIN True 1 ['NetShuffling']", res.stdout)  # The missing workdir fails that job only

	def test_our_readme_quick_start(self):
		"""The first Python block of README.md runs as written and prints what its comments say"""
		with open(os.path.join(REPO, 'README.md')) as freadme:
			block = freadme.read().split('```python\n', 1)[1].split('```', 1)[0]
		self.assertIn('ExecPool', block)
		res = self.runScript(block)
		self.assertEqual(res.returncode, 0, res.stderr)
		lines = res.stdout.splitlines()
		self.assertIn('demo done: 2 failed: 1', lines)
		self.assertIn('nap -15 timeout', lines)
		self.assertTrue(any(line.startswith('py used ') for line in lines), res.stdout)
		with open(os.path.join(self.tmp, 'out', 'py.txt')) as fout:
			self.assertEqual(fout.read(), '42\n')

	def test_seed_readme_local_memory_example(self):
		"""The README's local pool with vmlimit, as written: jobs made by the original tests' helpers"""
		script = '''\
			from multiprocessing import cpu_count
			from sys import executable as PYEXEC
			from mpepool import ExecPool, Job, inBytes
			from mpetests import TestProcMemTree, allocDelayProg, mock
			amem = 0.02  # GB the job's main process holds
			camem = 0.06  # GB its child holds
			duration = 2.  # seconds they hold it
			timeout = duration * 10
			with ExecPool(max(cpu_count()-1, 1), vmlimit=32, latency=1.5) as xpool:
				job = Job('jmem_proc', args=(PYEXEC, '-c', TestProcMemTree.allocAndSpawnProg(
					allocDelayProg(inBytes(amem), duration), allocDelayProg(inBytes(camem), duration)))
					, timeout=timeout, memkind=0, ondone=mock.MagicMock())
				jobx = Job('jmem_max-subproc', args=(PYEXEC, '-c', TestProcMemTree.allocAndSpawnProg(
					allocDelayProg(inBytes(amem), duration), allocDelayProg(inBytes(camem), duration)))
					, timeout=timeout, memkind=1, ondone=mock.MagicMock())
				xpool.execute(job)
				xpool.execute(jobx)
				print('XJOIN', xpool.join(10 * duration), xpool.jobsdone)
			job.ondone.assert_called_once_with(job)
			jobx.ondone.assert_called_once_with(jobx)
			print('PEAKS', job.mempeak, jobx.mempeak)
			'''
		res = self.runScript(script)
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertIn('XJOIN True 2', res.stdout)
		if mpepool._LIMIT_WORKERS_RAM:  # Measured: memkind 0 sees the main process, 1 its heavier child
			peak, peakx = (float(val) for val in res.stdout.split('PEAKS')[1].split())
			self.assertGreater(peak, 0.9 * 0.02)
			self.assertLess(peak, 0.06)
			self.assertGreater(peakx, 0.9 * 0.06)

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


class TestLifecycle(MpeTestCase):
	"""A task finishes once, a job runs at most once at a time and always completes: misuse and faults"""

	def test_a_task_finishes_once_in_join(self):
		"""Items that end at once inside execute() (stubs, start failures, raising onstart) never finish their
		task before the caller added the next one: it finishes once, in join(), its counters consistent"""
		pool = self.newPool(2)
		task = Task('T', onfinish=mock.MagicMock())
		sub = Task('S', task=task, onfinish=mock.MagicMock())
		seen = []

		def onfinish(job):  # The counters as a callback sees them: the ending job is not counted yet
			seen.append((task.numadded, task.numdone + task.numterm, task.tstop))

		def boom(job):
			raise RuntimeError('raising onstart')

		nitems = 300
		with contextlib.redirect_stderr(io.StringIO()) as err:
			for i in range(nitems):
				owner = sub if i % 2 else task
				if i % 3 == 0:
					job = Job('stub%d' % i, task=owner, onfinish=onfinish)
				elif i % 3 == 1:
					job = Job('nostart%d' % i, args=('/nonexistent/exe',), task=owner, onfinish=onfinish)
				else:
					job = Job('badstart%d' % i, args=('true',), task=owner, onstart=boom, onfinish=onfinish)
				pool.execute(job)
				self.assertIsNone(task.tstop)
				self.assertIsNone(sub.tstop)
				self.assertEqual(task.numdone + task.numterm, task.numadded - 1)  # The open subtask
				self.assertEqual(sub.numdone + sub.numterm, sub.numadded)
			task.onfinish.assert_not_called()
			self.assertTrue(pool.join(30))
		self.assertNotIn('is not an unfinished item', err.getvalue())
		sub.onfinish.assert_called_once_with(sub)
		task.onfinish.assert_called_once_with(task)
		self.assertEqual((sub.numadded, sub.numdone, sub.numterm), (nitems // 2, nitems // 6, nitems // 2 - nitems // 6))
		self.assertEqual((task.numadded, task.numdone, task.numterm), (nitems // 2 + 1, nitems // 6, nitems // 2 - nitems // 6 + 1))
		self.assertEqual(len(seen), nitems)
		self.assertTrue(all(done < added and tstop is None for added, done, tstop in seen))
		self.assertLessEqual(sub.tstop, task.tstop)
		with self.assertRaisesRegex(ValueError, '"T" has finished.*"late"'):
			Job('late', task=task)
		self.assertEqual(task.numadded, nitems // 2 + 1)

	def test_tasks_nested_10000_deep(self):
		"""Completion propagates through 10,000 levels; the failure report (also the Web UI's) indents 8
		levels at most and numbers the deeper ones"""
		depth = 10000
		tasks = [Task('t0', onfinish=mock.MagicMock())]
		for i in range(1, depth):
			tasks.append(Task('t%d' % i, task=tasks[-1]))
		app = None
		if mpepool._WEBUI:
			app = mpewui.WebUiApp(host='127.0.0.1', port=0)
			self.addCleanup(app.stop)
		pool = self.newPool(2, webuiapp=app)
		pool.execute(Job('deepfail', args=('false',), task=tasks[-1]))
		pool.execute(Job('shallow', args=('true',), task=tasks[0]))
		with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(pool.join(60))
		tasks[0].onfinish.assert_called_once_with(tasks[0])
		self.assertTrue(all(task.tstop is not None for task in tasks))
		self.assertEqual((tasks[0].numadded, tasks[0].numdone, tasks[0].numterm), (2, 1, 1))
		report = out.getvalue()
		self.assertIn('FAILED tasks with their jobs', report)
		lines = report.splitlines()
		self.assertLess(max(len(line) for line in lines), 400)
		deepest = [line for line in lines if line.lstrip().startswith('[9999] ')]
		self.assertEqual(len(deepest), 2, deepest)  # The header and the values of the deepest task
		self.assertIn('t9999', deepest[1])
		self.assertTrue(any(line.lstrip().startswith('[10000] ') and 'deepfail' in line for line in lines))
		self.assertLess(len(report), 300 * depth)
		bottom = {tasks[-1]: TaskInfoExt(mpepool._taskprops(tasks[-1]), [('name',), ('deepfail',)])}
		rows, wide = unfoldDepthFirst(tasksInfoExt(bottom)[tasks[0]])
		self.assertEqual(rows[-1].ident, depth)
		self.assertEqual(len(rows), 2 * depth + 2)
		late = [Task('u0')]
		for i in range(1, depth):
			late.append(Task('u%d' % i, task=late[-1]))
		Job('unfinished', task=late[-1])
		nested = late[0].uncompleted(recursive=True)
		for _ in range(depth - 1):
			nested, = nested
		self.assertEqual(nested, ['unfinished'])
		if app is None:
			return
		status, _, body, _ = uiGet(app, '/?fmt=txt', 60.)
		self.assertEqual(status, 200, body[-300:])
		self.assertIn('[10000] - deepfail', body)
		self.assertLess(max(len(line) for line in body.splitlines()), 400)
		summary = uiJson(app, '/?fmt=json')['summary']
		self.assertEqual((summary['tasksFailed'], summary['tasksRootFailed']), (depth, 1))

	def test_execute_after_terminate_completes_the_job(self):
		pool = self.newPool(1)
		pool.terminate()
		task = Task('T', onfinish=mock.MagicMock())
		job = Job('late', args=('true',), task=task, onfinish=mock.MagicMock())
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertEqual(pool.execute(job), errno.EINTR)
		job.onfinish.assert_called_once_with(job)
		self.assertEqual(job.reason, 'pool termination')
		self.assertIsNone(job.proc)
		self.assertEqual([info.name for info in pool.failures], ['late'])
		self.assertEqual((task.numadded, task.numdone, task.numterm), (1, 0, 1))
		self.assertFalse(pool.join())
		task.onfinish.assert_called_once_with(task)

	def test_executing_a_queued_or_running_job_raises(self):
		pool = self.newPool(1)
		running = Job('running', args=pyjob(SLEEP(1)), onfinish=mock.MagicMock())
		queued = Job('queued', args=('true',), onfinish=mock.MagicMock())
		pool.execute(running)
		pool.execute(queued)
		with self.assertRaisesRegex(ValueError, '"running" is queued or running already'):
			pool.execute(running)
		with self.assertRaisesRegex(ValueError, '"queued" is queued or running already'):
			pool.execute(queued)
		with self.assertRaisesRegex(ValueError, '"running" .*in another pool'):
			self.newPool(1).execute(running)
		self.assertEqual(len(pool._workers) + len(pool._jobs), 2)
		self.assertTrue(pool.join(30))
		running.onfinish.assert_called_once_with(running)
		queued.onfinish.assert_called_once_with(queued)
		self.assertEqual(pool.jobsdone, 2)
		self.assertEqual(pool.execute(queued), 0)  # Finished: executing it again is a new run
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 3)

	def test_args_the_kernel_can_not_take(self):
		"""Refused at Job(): NUL bytes, items that are not str, bytes or os.PathLike"""
		for args, exc, pattern in ((('echo', 'a\0b'), ValueError, 'args .*NUL'), ((b'ec\0ho',), ValueError, 'NUL')
		, ('ls\0', ValueError, 'NUL'), (('echo', 5), TypeError, 'args .*5'), (('echo', None), TypeError, 'None')):
			with self.assertRaisesRegex(exc, pattern, msg=args):
				Job('j', args=args)
		with self.assertRaisesRegex(ValueError, 'workdir .*NUL'):
			Job('j', args=('true',), workdir='a\0b')
		Job('fine', args=(b'echo', pathlib.Path('x')))

	def test_a_failing_spawn_leaves_nothing_behind(self):
		"""A spawn that fails with another error than OSError (args changed since Job()) is a start failure
		that leaves nothing behind: the slot, the descriptors, the empty output file and its folder"""
		pool = self.newPool(1)
		pool.execute(Job('warm', args=('true',)))
		self.assertTrue(pool.join(30))
		gc.collect()
		fds = len(os.listdir('/proc/self/fd'))
		task = Task('T', onfinish=mock.MagicMock())
		args = ['true']
		bad = Job('changed', args=args, task=task, stdout=self.path('out', 'log'), onfinish=mock.MagicMock())
		args.append(5)
		with contextlib.redirect_stderr(io.StringIO()) as err:
			self.assertEqual(pool.execute(bad), -1)
		self.assertIn('"changed" failed to start', err.getvalue())
		self.assertEqual(bad.reason, 'start failure')
		bad.onfinish.assert_called_once_with(bad)
		self.assertFalse(os.path.exists(self.path('out')))
		good = Job('good', args=('true',), task=task)
		self.assertEqual(pool.execute(good), 0)
		self.assertEqual(good.wslot, 0)  # The slot was given back
		self.assertTrue(pool.join(30))
		task.onfinish.assert_called_once_with(task)
		self.assertEqual((task.numadded, task.numdone, task.numterm), (2, 1, 1))
		self.assertEqual((pool.jobsdone, [info.name for info in pool.failures]), (2, ['changed']))
		gc.collect()
		self.assertEqual(len(os.listdir('/proc/self/fd')), fds)

	@unittest.skipUnless(mpepool._PIDFD, 'pidfds are not available: every exit is polled anyway')
	def test_a_failing_pidfd_falls_back_to_polling(self):
		"""The last descriptors are taken between the spawn and pidfd_open (as by another thread): the job
		runs, so it is watched by polling, its end and its timeout as any other's"""
		class GreedyLauncher(mpepool.LocalLauncher):
			"""Takes every free descriptor right after a spawn; release() gives them back"""
			held = []

			def spawn(self, job, args, kwargs, cpus):
				proc = super().spawn(job, args, kwargs, cpus)
				try:
					while True:
						self.held.append(os.open(os.devnull, os.O_RDONLY))
				except OSError as err:
					if err.errno != errno.EMFILE:
						raise
				return proc

			def release(self):
				while self.held:
					os.close(self.held.pop())

		launcher = GreedyLauncher()
		self.addCleanup(launcher.release)
		pool = self.newPool(2, launcher=launcher)
		soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
		polled = Job('polled', args=pyjob(SLEEP(0.3)))
		stopped = Job('stopped', args=pyjob(SLEEP(60)), timeout=0.3)
		resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, len(os.listdir('/proc/self/fd')) + 100), hard))
		try:
			with contextlib.redirect_stderr(io.StringIO()) as err:
				for job in (polled, stopped):
					self.assertEqual(pool.execute(job), 0)
					launcher.release()
		finally:
			resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
		self.assertEqual(err.getvalue().count('is polled: its pidfd failed ([Errno {}]'.format(errno.EMFILE)), 2
			, err.getvalue())
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(pool.join(10))
		self.assertEqual((polled.reason, polled.proc.returncode), (None, 0))
		self.assertEqual(stopped.reason, 'timeout')
		self.assertLess(stopped.tstop - stopped.tstart, 5)
		self.assertEqual(pool.jobsdone, 1)
		self.assertEqual(pool._polled, set())

	def test_descriptor_exhaustion(self):
		"""100 jobs at ulimit -n 64: they wait for descriptors (said once), none fails, then the pool
		runs as many as before"""
		res = self.runScript('''\
			import contextlib, io, os, resource
			resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
			from mpepool import ExecPool, Job
			pool = ExecPool(100)
			peak = [0]
			def onstart(job):
				peak[0] = max(peak[0], len(pool._workers) + 1)
			err = io.StringIO()
			with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
				for i in range(100):  # They all wait for the file 'go': none ends before the last is executed
					pool.execute(Job('j%d' % i, args=('sh', '-c', 'until [ -e go ]; do sleep 0.02; done')
						, stdout='out/j%d.log' % i, onstart=onstart))
				open('go', 'w').close()
				joined = pool.join(60)
				failed = len(pool.failures)
				for i in range(10):
					pool.execute(Job('after%d' % i, args=('sleep', '0.1')))
				waiting = len(pool._jobs)
				joined = joined and pool.join(60)
			print(joined, pool.jobsdone, failed, len(pool.failures), waiting, peak[0], len(os.listdir('out')) if os.path.isdir('out') else 0)
			print(err.getvalue())
			''')
		self.assertEqual(res.returncode, 0, res.stderr)
		summary, messages = res.stdout.split('\n', 1)
		joined, done, failed, failedafter, waiting, peak, outfiles = summary.split()
		self.assertEqual((joined, done, failed, failedafter, waiting, outfiles), ('True', '110', '0', '0', '0', '0'), messages)
		self.assertLess(int(peak), 64)
		self.assertEqual(messages.count('file descriptors ran out'), 1, messages)

	def test_join_from_a_callback_raises(self):
		pool = self.newPool(2)
		errors = []

		def joining(job):
			try:
				pool.join()
			except RuntimeError as err:
				errors.append(str(err))
				raise

		early = Job('early', args=('true',), onstart=joining)
		late = Job('late', args=('true',), onfinish=joining)
		with contextlib.redirect_stderr(io.StringIO()):
			pool.execute(early)
			pool.execute(late)
			self.assertTrue(pool.join(30))
		self.assertEqual(len(errors), 2)
		self.assertIn('join() of the execution pool is called from its callback', errors[0])
		self.assertEqual(early.reason, 'onstart failure')
		self.assertEqual((pool.jobsdone, [info.name for info in pool.failures]), (1, ['early']))
		stopped = Job('stopped', args=pyjob(SLEEP(60)), onfinish=joining)
		pool.execute(stopped)
		with contextlib.redirect_stderr(io.StringIO()):
			pool.terminate()  # Its callbacks run in terminate() too
		self.assertEqual(len(errors), 3)
		self.assertEqual(stopped.reason, 'pool termination')

	def test_a_base_exception_in_a_callback_terminates_the_pool(self):
		"""KeyboardInterrupt or SystemExit from any callback: the pool terminates as on a signal, every job
		completed once, the task finished, and the exception reaches the caller"""
		for site, exc in (('onstart', KeyboardInterrupt), ('ondone', SystemExit), ('onfinish', KeyboardInterrupt)
		, ('task onstart', SystemExit), ('task onfinish', KeyboardInterrupt)):
			with self.subTest(site=site):
				pool = self.newPool(2)
				finished = []

				def raiser(obj, exc=exc):
					finished.append(obj) if site == 'onfinish' else None
					raise exc(3)

				task = Task('T', **{site.split()[1]: raiser} if site.startswith('task') else {})
				kwargs = {site: raiser} if not site.startswith('task') else {}
				kwargs.setdefault('onfinish', finished.append)
				jobs = [Job('first', args=pyjob(SLEEP(0.2)), onfinish=finished.append)
					, Job('long', args=pyjob(SLEEP(60)), onfinish=finished.append)
					, Job('victim', args=pyjob(SLEEP(0.2)), task=task, **kwargs)
					, Job('queued', args=pyjob(SLEEP(60)), onfinish=finished.append)]
				with contextlib.redirect_stderr(io.StringIO()) as err:
					for job in jobs:
						pool.execute(job)
					with self.assertRaises(exc):
						pool.join(30)
				self.assertFalse(pool.alive)
				self.assertEqual(sorted(job.name for job in finished), sorted(job.name for job in jobs))
				self.assertEqual(pool.jobsdone + len(pool.failures), len(jobs))
				self.assertEqual(len({info.name for info in pool.failures}), len(pool.failures))
				self.assertIsNotNone(task.tstop)
				self.assertEqual(task.numdone + task.numterm, 1)
				self.assertEqual((pool._workers, len(pool._jobs)), (set(), 0))
				self.assertIn('raised {}(3)'.format(exc.__name__), err.getvalue())
		# Raised inside execute() (the job starts at once): out of execute(), the job completed
		pool = self.newPool(1)

		def interrupt(job):
			raise KeyboardInterrupt()

		job = Job('atonce', args=('true',), onstart=interrupt)
		with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(KeyboardInterrupt):
			pool.execute(job)
		self.assertFalse(pool.alive)
		self.assertEqual((job.reason, [info.name for info in pool.failures]), ('onstart failure', ['atonce']))

	def test_overflowing_and_absurd_values(self):
		for kwargs, pattern in (({'timeout': 10**400}, 'timeout must be a finite'), ({'startdelay': float('inf')}
		, 'startdelay must be a finite'), ({'timeout': float('nan')}, 'timeout.*nan'), ({'size': 10**400}, 'size')
		, ({'startdelay': 1e300}, 'startdelay must be <= 1e\\+09'), ({'memlim': -10**400}, 'memlim')):
			with self.assertRaisesRegex(ValueError, pattern, msg=kwargs):
				Job('j', args=('true',), **kwargs)
		with self.assertRaisesRegex(ValueError, 'latency.*inf'):
			Task('t', latency=float('inf'))
		with self.assertRaisesRegex(ValueError, 'timeout'):
			Task('t', timeout=10**400)
		start = time.perf_counter()
		with self.assertRaisesRegex(ValueError, r'wksnum must be in \[1, 4194304\], not 1000000000'):
			ExecPool(10**9)
		with self.assertRaisesRegex(ValueError, 'latency'):
			ExecPool(1, latency=1e300)
		with self.assertRaisesRegex(TypeError, 'webuiapp .*object'):
			ExecPool(1, webuiapp=object())
		huge = self.newPool(mpepool._WKSNUM_MAX)  # Slots are made on first use: the largest pool costs nothing
		self.assertLess(time.perf_counter() - start, 2)
		with self.assertRaisesRegex(ValueError, 'timeout'):
			huge.join(float('inf'))
		# A month-long timeout, beyond the 24.8 days an epoll wait takes, is fine
		month = Job('month', args=pyjob(SLEEP(0.2)), timeout=31 * 86400)
		huge.execute(month)
		self.assertEqual(month.wslot, 0)
		self.assertTrue(huge.join())
		self.assertIsNone(month.reason)


class TestPackaging(MpeTestCase):
	"""`pip install .` into a bare virtual environment (no psutil, no bottle): mpepool imports silently, the
	console script runs jobs, the templates are installed"""

	def test_install_without_optional_packages(self):
		tmp = self.tempDir(prefix='mpetests-pkg-')
		src = os.path.join(tmp, 'src')  # A copy: the build leaves its by-products beside setup.py
		shutil.copytree(REPO, src, ignore=shutil.ignore_patterns('.git', 'artifacts', '__pycache__', '*.egg-info', 'build'))
		wheels = os.path.join(tmp, 'wheels')
		res = subprocess.run((PYEXEC, '-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation', '-w', wheels, src)
			, capture_output=True, text=True, timeout=300)
		self.assertEqual(res.returncode, 0, res.stderr)
		venv = os.path.join(tmp, 'venv')
		subprocess.run((PYEXEC, '-m', 'venv', '--without-pip', venv), check=True, timeout=120)
		vpy = os.path.join(venv, 'bin', 'python')
		wheel, = os.listdir(wheels)
		res = subprocess.run((PYEXEC, '-m', 'pip', '--python', vpy, 'install', '-q', '--no-index', '--no-deps'
			, os.path.join(wheels, wheel)), capture_output=True, text=True, timeout=300)
		self.assertEqual(res.returncode, 0, res.stderr)
		env = {key: val for key, val in os.environ.items() if key not in ('PYTHONPATH', 'MPEPOOL_HIDE_PSUTIL')}
		res = subprocess.run((vpy, '-c', 'import mpepool, importlib.util; print(mpepool.__file__);'
			' print(mpepool.psutil, importlib.util.find_spec("bottle"))'), capture_output=True, text=True, cwd=tmp
			, env=env, timeout=60)
		self.assertEqual((res.returncode, res.stderr), (0, ''))
		lines = res.stdout.splitlines()
		self.assertTrue(lines[0].startswith(venv), lines)  # The installed module, not the repository's
		self.assertEqual(lines[1], 'None None')
		res = subprocess.run((os.path.join(venv, 'bin', 'mpepool'), '-j', '2', '--', 'echo'), input='a\nb\n'
			, capture_output=True, text=True, cwd=tmp, env=env, timeout=60)
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertEqual(sorted(res.stdout.split()), ['a', 'b'])
		views = os.path.join(venv, 'share', 'pyexpool', 'views')
		self.assertTrue(os.path.isfile(os.path.join(views, 'webui.tpl')), views)



def readmeBlocks(path=os.path.join(REPO, 'README.md')):
	"""The fenced code blocks of the README: [(line, language, code, marker)]; marker: (kind, reason) of an
	HTML comment `<!-- skip: reason -->` or `<!-- slurm: reason -->` on the line before the fence, or None"""
	with open(path, encoding='utf-8') as fin:
		lines = fin.read().split('\n')
	blocks = []
	i = 0
	while i < len(lines):
		fence = re.match(r'```(\w*)\s*$', lines[i])
		if not fence:
			i += 1
			continue
		end = lines.index('```', i + 1)
		mark = re.match(r'<!-- (skip|slurm): (.+) -->$', lines[i - 1]) if i else None
		blocks.append((i + 1, fence.group(1), '\n'.join(lines[i + 1:end]) + '\n', mark and mark.groups()))
		i = end + 1
	return blocks


def requireTool(testcase, available, why):
	"""Skip the test when a program or service it needs is missing, with the reason; under CI=true (where
	.ci/run installs everything) fail instead"""
	if available:
		return
	if os.environ.get('CI') == 'true':
		testcase.fail('CI needs it: ' + why)
	testcase.skipTest(why)


def repoShellEnv(folder):
	"""The environment of a shell example: PYTHONPATH and an `mpepool` on PATH (in folder/.bin) that run this
	repository's, no GNU parallel options from $PARALLEL"""
	bindir = os.path.join(folder, '.bin')
	os.makedirs(bindir, exist_ok=True)
	shim = os.path.join(bindir, 'mpepool')
	with open(shim, 'w') as fout:
		fout.write('#!/bin/sh\nexec {} -m mpepool "$@"\n'.format(shlex.quote(PYEXEC)))
	os.chmod(shim, 0o755)
	env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', '')
		, PATH=bindir + os.pathsep + os.environ.get('PATH', ''))
	env.pop('PARALLEL', None)
	return env


class TestReadme(MpeTestCase):
	"""Every code example of README.md runs as printed: python blocks in a subprocess with the repository
	importable, sh blocks in a temporary folder where `mpepool` is this repository's command line"""

	def test_examples(self):
		blocks = [block for block in readmeBlocks() if block[1] in ('python', 'sh', 'console')]
		self.assertGreaterEqual(len(blocks), 8)
		for line, lang, code, mark in blocks:
			with self.subTest(line=line, lang=lang):
				env = repoShellEnv(self.tmp)
				if mark and mark[0] == 'skip':
					self.skipTest('README.md line {}: {}'.format(line, mark[1]))
				if mark and mark[0] == 'slurm':
					conf, why = slurmCluster()
					requireTool(self, not why, 'README.md line {}: {} ({})'.format(line, mark[1], why))
					if conf:
						env['SLURM_CONF'] = conf
				if 'mpewui' in code:
					requireTool(self, mpewui is not None, NOBOTTLE)
				folder = tempfile.mkdtemp(dir=self.tmp)
				argv = (PYEXEC, '-c', code) if lang == 'python' else ('/bin/sh', '-e', '-c', code)
				res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=folder
					, env=env, timeout=300)
				self.assertEqual(res.returncode, 0, 'README.md line {}:\n{}\n{}'.format(line, res.stdout[-2000:]
					, res.stderr[-3000:]))

	def test_two_commands(self):
		"""The first sh block holds exactly the two commands (demo, tests); CI runs the second as printed"""
		first = next(block for block in readmeBlocks() if block[1] == 'sh')
		commands = first[2].strip().split('\n')
		self.assertEqual(len(commands), 2, commands)
		self.assertIn('mpepool --demo', commands[0])
		self.assertTrue(commands[1].endswith('python3 -m pytest -q mpetests.py'), commands[1])
		with open(os.path.join(REPO, '.ci', 'run')) as fin:
			self.assertIn('\n' + commands[1] + '\n', fin.read())
		with open(os.path.join(REPO, 'setup.py')) as fin:  # What the tests need beyond the runtime extras
			self.assertRegex(fin.read(), r"EXTRAS\['test'\] = .*'pytest'.*'wheel'")

class DeferredLauncher(mpepool.LocalLauncher):
	"""A local launcher whose figures come `delay` seconds after a job's exit, as a cluster's accounting does"""
	accounting = 'deferred'

	def __init__(self, delay):
		super().__init__()
		self.delay = delay
		self.due = {}  # job -> perf_counter() when its figures are there

	def reaped(self, job, status, rusage):
		super().reaped(job, status, rusage)
		self.due[job] = time.perf_counter() + self.delay
		return False

	def collect(self):
		now = time.perf_counter()
		done = [job for job, when in self.due.items() if when <= now]
		for job in done:
			del self.due[job]
			job.accounting = self.accounting
		return done, min(self.due.values()) if self.due else None


class TestLauncherSeam(MpeTestCase):
	"""The pool drives any Launcher: figures that come later hold a job's completion, not its slot"""

	def test_bad_launcher_and_cgroups_values(self):
		with self.assertRaisesRegex(TypeError, r"launcher must be a Launcher.*'local'"):
			ExecPool(1, launcher='local')
		with self.assertRaisesRegex(ValueError, r"cgroups must be None.*'auto'"):
			ExecPool(1, cgroups='auto')
		launcher = mpepool.LocalLauncher()
		pool = self.newPool(1, launcher=launcher)
		with self.assertRaisesRegex(ValueError, 'serves another pool'):
			ExecPool(1, launcher=launcher)
		self.assertIs(launcher.pool, pool)

	def test_default_launcher_accounts_through_wait4(self):
		pool = self.newPool(1, cgroups=False)  # With a cgroup per job: TestCgroups
		job = Job('true', args=('true',))
		pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertEqual(job.accounting, 'wait4')
		self.assertIsNotNone(job.utime)

	def test_deferred_figures_free_the_slot_at_once(self):
		launcher = DeferredLauncher(0.5)
		pool = self.newPool(1, launcher=launcher)
		finished = []
		task = Task('batch', onfinish=lambda task: finished.append(task.name))
		jobs = [Job('j%d' % i, args=('true',), task=task, onfinish=lambda job: finished.append((job.name, job.accounting, time.perf_counter())))
			for i in range(3)]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertEqual([name for name, *_ in finished[:-1]], ['j0', 'j1', 'j2'])
		self.assertEqual(finished[-1], 'batch')  # The task finishes once, after its last job's figures
		self.assertTrue(all(acc == 'deferred' for _, acc, _ in finished[:-1]))
		# One slot: j1 started right after j0's process exited, before j0's figures were there
		self.assertLess(jobs[1].tstart, jobs[0].tstop)
		self.assertGreaterEqual(jobs[0].tstop - jobs[0].tstart, 0.5)
		self.assertEqual((pool.jobsdone, len(pool.failures)), (3, 0))

	def test_termination_completes_settling_jobs(self):
		pool = self.newPool(1, launcher=DeferredLauncher(60))
		job = Job('true', args=('true',))
		pool.execute(job)
		self.assertTrue(waitUntil(lambda: pool._cycle(time.perf_counter() + 0.05) or pool._settling, 10.))
		with contextlib.redirect_stderr(io.StringIO()):
			pool.terminate()
		self.assertIsNotNone(job.tstop)
		self.assertEqual(pool.jobsdone + len(pool.failures), 1)


class ParamsLauncher(mpepool.LocalLauncher):
	"""A launcher known to this file only, whose jobs have one more result: their params"""
	columns = ('params',)


class UndeliveringLauncher(mpepool.LocalLauncher):
	"""A launcher whose signals never arrive, as to a process stuck in the kernel: the pool gives its jobs up"""

	def signal(self, jobs, sig):
		pass


class TestLauncherColumns(MpeTestCase):
	"""A launcher declares the results it adds to a job (columns): every report shows them, unnamed in the pool"""

	def test_a_new_launchers_columns_are_reported(self):
		pool = self.newPool(2, launcher=ParamsLauncher(), name='cols')
		with contextlib.redirect_stderr(io.StringIO()):
			for i in range(3):
				pool.execute(Job('bad{}'.format(i), args=pyjob(EXIT(3)), params='p-{}'.format(i)))
			self.assertTrue(pool.join(30))
		report = self.out.getvalue()
		header = next(line.split() for line in report.splitlines() if line.split()[:2] == ['name', 'pid'])
		self.assertEqual(header[header.index('accounting') + 1], 'params')  # Before the public names (duration)
		for i in range(3):
			row = next(line.split() for line in report.splitlines() if line.split()[:1] == ['bad{}'.format(i)])
			self.assertEqual(row[header.index('params')], 'p-{}'.format(i), row)
		self.assertEqual(sorted(info.params for info in pool.failures), ['p-0', 'p-1', 'p-2'])
		self.assertEqual({info.json()['params'] for info in pool.failures}, {'p-0', 'p-1', 'p-2'})

	@unittest.skipIf(importlib.util.find_spec('bottle') is None, 'bottle is not installed: the Web UI is not available')
	def test_a_new_launchers_columns_in_the_web_ui(self):
		app = WebUiApp(host='127.0.0.1', port=0)
		self.addCleanup(app.stop)
		pool = self.newPool(2, launcher=ParamsLauncher(), webuiapp=app)
		with contextlib.redirect_stderr(io.StringIO()):
			pool.execute(Job('done', args=('true',), params='p-done'))
			pool.execute(Job('bad', args=pyjob(EXIT(3)), params='p-bad'))
			self.assertTrue(pool.join(30))
			pool.execute(Job('running', args=('sleep', '30'), params='p-running'))
			pool._cycle(time.perf_counter())
			self.assertTrue(waitUntil(lambda: uiJson(app, '/jobs?fmt=json')['workersInfo'], 5, 0.05))
		data = uiJson(app, '/jobs?fmt=json')
		for key, name in (('workersInfo', 'running'), ('doneInfo', 'done'), ('doneInfo', 'bad')):
			header, *rows = data[key]
			self.assertEqual(header[:10], JobInfo._props.split())  # The original's first, ours follow
			self.assertEqual(header[-1], 'params')
			self.assertIn('p-' + name, [row[-1] for row in rows if row[0] == name], (key, rows))
		failed = uiJson(app, '/?fmt=json')['jobsInfo']  # The failures page
		self.assertEqual([row[-1] for row in failed[1:]], ['p-bad'])
		status, _, page, _ = uiGet(app, '/jobs')
		self.assertEqual(status, 200)
		for name in ('running', 'done', 'bad'):
			self.assertIn('p-' + name, page)
		self.assertIn('params', page)
		self.assertEqual(uiJson(app, '/jobs?fmt=json&cols=params&flt=params:p-running')['workersInfo'][1:]
			, [['running', 'p-running']])


class TestPoolState(MpeTestCase):
	"""The pool's life: a producer thread feeds a pool that the main thread joins, the original's alive
	attribute, a job given up on ends once"""

	def test_alive_set_by_the_user(self):
		"""As the original: setting alive back to True reuses a terminated pool; setting it False stops it"""
		pool = self.newPool(1)
		with contextlib.redirect_stderr(io.StringIO()):
			pool.terminate()
		self.assertFalse(pool.alive)
		pool.alive = True
		self.assertTrue(pool.alive)
		pool.execute(Job('reused', args=('true',)))
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 1)
		pool.execute(Job('running', args=pyjob(SLEEP(30))))
		queued = Job('queued', args=('true',))
		pool.execute(queued)
		pool.alive = False
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertFalse(pool.join(30))
		self.assertFalse(pool.alive)
		self.assertEqual(sorted(info.name for info in pool.failures), ['queued', 'running'])
		self.assertEqual((queued.reason, pool._workers, len(pool._jobs)), ('pool termination', set(), 0))

	def test_a_producer_thread_feeds_a_joining_pool(self):
		for rep in range(5):
			with self.subTest(rep=rep):
				pool = self.newPool(4)
				started = threading.Event()
				threads = set()
				finished = []

				def produce():
					for i in range(200):
						pool.execute(Job('j{}'.format(i), args=('true',), onfinish=lambda job: (
							threads.add(threading.get_ident()), finished.append(job.name))))
						started.set()

				producer = threading.Thread(target=produce)
				producer.start()
				self.assertTrue(started.wait(30))
				joined = []
				while True:  # join() returns once the jobs executed so far ended: again until the producer is done
					producing = producer.is_alive()
					joined.append(pool.join(60))
					if not producing:
						break
				producer.join()
				self.assertTrue(joined[0])
				self.assertIn(threading.get_ident(), threads)  # The joining thread ran callbacks
				self.assertTrue(pool.alive)
				self.assertEqual(sorted(finished), sorted('j{}'.format(i) for i in range(200)))
				self.assertEqual((pool.jobsdone, pool.failures, len(pool._jobs), pool._workers), (200, [], 0, set()))
				pool.terminate()
				self.assertFalse(pool.alive)
				canceled = Job('late', args=('true',))
				with contextlib.redirect_stderr(io.StringIO()):
					self.assertEqual(pool.execute(canceled), errno.EINTR)
				self.assertEqual(canceled.reason, 'pool termination')

	def test_a_sequential_job_from_another_thread_is_refused(self):
		"""execute(concur=False) from a thread while another joins: a clear error at once, the pool goes on"""
		pool = self.newPool(2)
		pool.execute(Job('long', args=pyjob(SLEEP(1))))
		refused = []

		def sequential():
			if waitUntil(lambda: pool._looper is not None, 10, 0.005):
				try:
					pool.execute(Job('seq', args=('true',)), concur=False)
				except RuntimeError as err:
					refused.append(str(err))

		other = threading.Thread(target=sequential)
		other.start()
		self.assertTrue(pool.join(30))
		other.join()
		self.assertEqual(len(refused), 1)
		self.assertIn('concur=False', refused[0])
		self.assertEqual((pool.jobsdone, pool.failures), (1, []))
		ok = Job('after', args=('true',))
		pool.execute(ok)
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 2)

	def test_a_job_given_up_on_is_completed_once(self):
		pool = self.newPool(1, launcher=UndeliveringLauncher(), killgrace=0.1)
		ends = []
		stuck = Job('stuck', args=pyjob(SLEEP(3)), onfinish=lambda job: ends.append(job.name))
		pool.execute(stuck)
		with contextlib.redirect_stderr(io.StringIO()) as err:
			pool.terminate()  # Gives it up after killgrace + 2 s: it ends on its own a second later
		self.assertIn('"stuck" #{} did not exit on SIGKILL; it is abandoned'.format(stuck.proc.pid), err.getvalue())
		self.assertEqual((ends, [info.name for info in pool.failures]), (['stuck'], ['stuck']))
		pool.clear()  # Used again while its process exits
		with contextlib.redirect_stderr(io.StringIO()) as err:
			nxt = Job('next', args=pyjob(SLEEP(2)), onfinish=lambda job: ends.append(job.name))
			pool.execute(nxt)
			self.assertTrue(pool.join(30))
		self.assertEqual(ends, ['stuck', 'next'])
		self.assertEqual((pool.jobsdone, pool.failures), (1, []))
		self.assertNotIn('is not an unfinished item', err.getvalue())
		self.assertTrue(waitUntil(lambda: stuck.proc.poll() is not None, 10))


class TestLauncherMarks(MpeTestCase):
	"""Every local launcher puts the run's marker into its job's environment, once"""

	def test_local_launchers_mark_their_jobs(self):
		launchers = [mpepool.LocalLauncher(), ParamsLauncher()]
		if mpepool._cgroupCaps()[0] is not None:
			launchers.append(mpepool.CgroupLauncher())
		for launcher in launchers:
			with self.subTest(launcher=launcher):
				pool = self.newPool(1, launcher=launcher)
				out = os.path.join(self.tmp, type(launcher).__name__)
				job = Job('env', args=pyjob('import os; print(os.environ["PYEXPOOL_JOB"])'), stdout=out)
				pool.execute(job)
				runmarker = job._run.marker  # Its run record goes with its completion
				self.assertTrue(pool.join(30))
				with open(out) as fout:
					marker = fout.read().split()[-1]
				self.assertEqual(marker.split(':')[-1], runmarker)
				self.assertTrue(marker.startswith(pool._prefix), (marker, pool._prefix))


def assertRunFreed(test, pool, nojob=True):
	"""Run a job (a timeout, a PIPE and a file output) with Python's cyclic garbage collector off: once it
	completed, its run record and the channels the pool opened are freed (refcounting alone), the job
	keeps what the original's did (its Popen's pid and exit code, its figures), and nothing of the pool
	holds it (nojob: its own weakref dies with the caller's last reference)"""
	enabled = gc.isenabled()
	gc.collect()
	gc.disable()
	test.addCleanup(lambda: gc.enable() if enabled else None)
	called = []  # The callbacks are bound to the job without a reference cycle too
	job = Job('kept', args=('sh', '-c', 'echo out; echo err >&2'), timeout=600, stdout=test.path('kept.out')
		, stderr=subprocess.PIPE, onstart=called.append, ondone=called.append, onfinish=called.append)
	pool.execute(job)
	run = job._run
	refs = [weakref.ref(run)] + [weakref.ref(fout) for fout in run.opened]
	del run
	test.assertEqual(len(refs), 1 if pool._launcher.remote else 2)  # The run, the stdout file the pool opened here
	test.assertTrue(pool.join(60))
	test.assertEqual(pool.failures, [])
	test.assertEqual([ref() for ref in refs], [None] * len(refs))
	test.assertIsNone(job._run)
	test.assertEqual(called, [job] * 3)
	del called[:]
	test.assertEqual((job.proc.returncode, job.pipederr), (0, 'err\n'))
	test.assertIsNotNone(job.proc.pid)
	test.assertIsNotNone(job.wtime)
	test.assertEqual([entry for entry in pool._deadlines if entry[2] is not None], [])  # Its timeout's entry
	if nojob:
		jobref = weakref.ref(job)
		del job
		test.assertIsNone(jobref())
	with open(test.path('kept.out')) as fout:
		test.assertEqual(fout.read(), 'out\n')


class TestSpawn(MpeTestCase):
	"""A job's process started by os.posix_spawn (where it can do what Popen does) or by Popen (cwd and
	the rest) is set up alike: the same descriptors, signal dispositions, session and streams, and job.proc
	is a subprocess.Popen either way"""

	# Prints the descriptors the job's shell holds (listed by a plain command: while a pipeline starts, the shell
	# holds its pipes), then "--", its ignored signals, its session and process group
	PROBE = ('sh', '-c', 'ls /proc/$$/fd; echo --; grep SigIgn /proc/$$/status; ps -o sid=,pgid= -p $$; echo err >&2')

	def probe(self, workdir, stdout, stderr):
		"""Run PROBE with an inheritable descriptor of this process open; return (job, its lines: the descriptors
		sorted on one line, then the rest)"""
		rfd, wfd = os.pipe()
		self.addCleanup(os.close, rfd)
		self.addCleanup(os.close, wfd)
		os.set_inheritable(wfd, True)  # Popen's close_fds=True closes it in the child: so must the spawn
		pool = self.newPool(1)
		job = Job('probe', args=self.PROBE, workdir=workdir, stdout=stdout, stderr=stderr)
		self.assertEqual(pool.execute(job), 0)
		self.assertTrue(pool.join(30))
		self.assertEqual((job.reason, job.proc.returncode), (None, 0))
		self.assertIsInstance(job.proc, subprocess.Popen)
		self.assertEqual((job.proc.poll(), job.proc.wait(1)), (0, 0))
		if stdout == subprocess.PIPE:
			lines = job.pipedout.splitlines()
		else:
			with open(stdout) as fout:
				lines = fout.read().splitlines()
		end = lines.index('--')
		return job, [' '.join(sorted(lines[:end], key=int))] + lines[end + 1:]

	def test_spawned_as_popen(self):
		"""posix_spawn (no workdir) and Popen (a workdir) give the same child: no descriptor but 0-2, no signal
		ignored, a session of its own; output to files and to PIPE alike"""
		for workdir in (None, self.tmp):
			for stdout in (self.path('probe.out'), subprocess.PIPE):
				with self.subTest(workdir=workdir, stdout=stdout):
					if isinstance(stdout, str) and os.path.exists(stdout):
						os.remove(stdout)
					job, lines = self.probe(workdir, stdout, subprocess.STDOUT if stdout != subprocess.PIPE
						else subprocess.PIPE)
					self.assertEqual(type(job.proc) is subprocess.Popen, workdir is not None)  # The path taken
					fds = lines[0].split()
					self.assertEqual(fds, ['0', '1', '2'])  # Not the inheritable pipe's
					# No signal ignored (SIGPIPE is in the pool: Python ignores it) but, after posix_spawn, glibc's own
					# 32 and 33 (see mpepool._SPAWN_SIGDEF)
					glibc = (1 << 31) | (1 << 32) if type(job.proc) is not subprocess.Popen else 0
					self.assertEqual(int(lines[1].split()[1], 16) & ~glibc, 0, lines)
					sid, pgid = lines[2].split()
					self.assertEqual((int(sid), int(pgid)), (job.proc.pid, job.proc.pid))
					err = lines[3:] if stdout != subprocess.PIPE else job.pipederr.splitlines()
					self.assertEqual(err, ['err'])

	def test_streams_swapped(self):
		"""A job's stderr to the pool's own stdout (descriptor 1) while its stdout goes to a file: its stderr
		reaches the pool's stdout, not the file that the job's descriptor 1 is by then"""
		res = self.runScript('''\
			import os, sys
			from mpepool import ExecPool, Job
			pool = ExecPool(1)
			job = Job('swap', args=('sh', '-c', 'echo out; echo err >&2'), stdout='swap.out'
				, stderr=os.fdopen(1, 'w', closefd=False))
			pool.execute(job)
			pool.join(10)
			sys.stdout.flush()
			with open('swap.out') as fout:
				print('file:', repr(fout.read()))
			''')
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertEqual([line for line in res.stdout.splitlines() if line in ('err', "file: 'out\\n'")]
			, ['err', "file: 'out\\n'"], res.stdout)

	def test_failed_exec(self):
		"""A program that can not be executed fails the job's start as with Popen: its error, nothing left"""
		prog = self.path('noexec')
		with open(prog, 'w') as fprog:
			fprog.write('#!/bin/sh\ntrue\n')  # Not executable
		pool = self.newPool(1)
		with contextlib.redirect_stderr(io.StringIO()) as err:
			code = pool.execute(Job('noexec', args=(prog,)))
		self.assertEqual(code, errno.EACCES)
		self.assertIn('Permission denied', err.getvalue())
		self.assertTrue(pool.join(10))
		self.assertEqual([info.reason for info in pool.failures], ['start failure'])


class TestRetention(MpeTestCase):
	"""What the pool keeps after a job ended: nothing of its run, no reference cycle (its memory is freed
	by refcounting, not by the cyclic collector's rare full collections), the job's own results"""

	def test_local_run_freed_at_completion(self):
		pool = self.newPool(1, cgroups=False)
		self.assertIs(type(pool._launcher), mpepool.LocalLauncher)
		assertRunFreed(self, pool)

	def test_callbacks_bound_as_methods(self):
		"""A job's and a task's callbacks are called with their owner and read as the callables' attributes, as
		the original's bound methods; they hold the owner weakly (no cycle with it)"""
		def onfinish(owner):
			"""doc"""
			return owner
		task = Task('T', onfinish=onfinish)
		job = Job('j', onfinish=onfinish)  # Not in the task: an unfinished item and its task refer to each other
		self.assertIs(job.onfinish(), job)
		self.assertIs(task.onfinish(), task)
		self.assertEqual((job.onfinish.__name__, job.onfinish.__func__, job.onfinish.__self__), ('onfinish', onfinish, job))
		self.assertEqual(job.onfinish, job.onfinish)
		self.assertNotEqual(job.onfinish, task.onfinish)
		gc.disable()
		self.addCleanup(gc.enable)
		refs = weakref.ref(job), weakref.ref(task)
		del job, task
		self.assertEqual([ref() for ref in refs], [None, None])

	def test_void_deadlines_leave_the_heap(self):
		"""The timeouts of finished jobs do not stay in the deadlines heap until they are due"""
		pool = self.newPool(2, cgroups=False)
		gc.disable()
		self.addCleanup(gc.enable)
		jobs = [Job('t%d' % i, args=('true',), timeout=3600) for i in range(40)]
		refs = [weakref.ref(job) for job in jobs]
		for job in jobs:
			pool.execute(job)
		del jobs, job
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 40)
		self.assertEqual([entry for entry in pool._deadlines if entry[2] is not None], [])
		self.assertEqual([ref() for ref in refs], [None] * 40)  # Nothing holds the jobs


class TestNothingLost(MpeTestCase):
	"""10,000 jobs of every kind of outcome: each counted exactly once, every task finished, no leak"""

	def test_10000_mixed_jobs(self):
		njobs = 10000
		pool = self.newPool(4, latency=0.5)
		pool.execute(Job('warm', args=('true',)))
		self.assertTrue(pool.join(30))
		pool.clear()
		gc.collect()  # Pools of earlier tests, collected meanwhile, would close their descriptors
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
		gc.collect()
		self.assertEqual(len(os.listdir('/proc/self/fd')), fds)
		self.assertEqual(pool._workers, set())
		pool.execute(Job('after', args=('true',)))  # Still usable
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, done + 1)


# === CPU topology and affinity =========================================================================
# Topology read from fake sysfs trees (generated into temporary directories from compact descriptions)
# and from this machine; AffinityMask groups checked against explicit tables (SPEC §4.4 where the
# original is right, node-local groups where it is not).


# === Cgroups ==========================================================================================
# Detection and the per-job cgroup object on fake cgroup trees (v2, v1, hybrid, read-only, ...), then
# pools on this machine's real cgroups (hybrid: v1 memory + a v2 tree without controllers).

def fakeCgroupTree(root, layout):
	"""Write a fake cgroup tree under root; return (mountinfo text, /proc/self/cgroup text)

	layout: {mount name: (version, {controller}, own path, {file: content} of the own cgroup, options)};
		a v1 mount lists its controllers, a v2 one the controllers of its own cgroup ('controllers',
		'subtree_control' files are given in the files)
	"""
	infos, cgroups = [], []
	for num, (name, (version, ctrls, own, files, opts)) in enumerate(sorted(layout.items())):
		point = os.path.join(root, name)
		folder = os.path.normpath(point + own)
		os.makedirs(folder, exist_ok=True)
		for fname, content in files.items():
			with open(os.path.join(folder, fname), 'w') as fcg:
				fcg.write(content)
		kind = 'cgroup2' if version == 'v2' else 'cgroup'
		infos.append('{} 31 0:{} / {} {},relatime - {} {} {}{}'.format(40 + num, 40 + num, point.replace(' ', '\\040')
			, opts, kind, kind, opts, ''.join(',' + ctrl for ctrl in sorted(ctrls)) if version == 'v1' else ''))
		cgroups.append('{}:{}:{}'.format(0 if version == 'v2' else num + 1, ','.join(sorted(ctrls)) if version == 'v1' else '', own))
	return '\n'.join(infos) + '\n', '\n'.join(cgroups) + '\n'


class TestCgroupProbe(MpeTestCase):
	"""_cgroupProbe on fake trees: which hierarchy serves which role, and why one is not used"""

	V1MEM = {'cgroup.procs': '', 'tasks': '', 'memory.limit_in_bytes': '9223372036854771712\n'}
	V2CORE = {'cgroup.procs': '1\n', 'cgroup.controllers': 'hugetlb\n', 'cgroup.subtree_control': '', 'cpu.stat': ''}

	def setUp(self):
		super().setUp()
		self.root = self.tempDir(prefix='mpetests-cg fake-')  # A space: mountinfo escapes it as \040

	def probe(self, layout, setting='auto'):
		mountinfo, selfcgroup = fakeCgroupTree(self.root, layout)
		return mpepool._cgroupProbe(setting, mountinfo, selfcgroup)

	def hybrid(self, memopts='rw'):
		"""This machine's layout: v1 controllers, the process in a v1 memory cgroup, a v2 tree without controllers"""
		return {'memory': ('v1', {'memory'}, '/login/abc', self.V1MEM, memopts)
			, 'cpuacct': ('v1', {'cpuacct'}, '/', {'tasks': ''}, 'rw'), 'freezer': ('v1', {'freezer'}, '/', {'tasks': ''}, 'rw')
			, 'unified': ('v2', set(), '/', self.V2CORE, 'rw'), 'cpu': ('v1', {'cpu'}, '/', {}, 'rw')}

	def test_hybrid(self):
		caps, why = self.probe(self.hybrid())
		self.assertEqual((caps.memory.version, caps.memory.base), ('v1', os.path.join(self.root, 'memory/login/abc')))
		self.assertEqual((caps.cpu.base, caps.kill.base), (os.path.join(self.root, 'cpuacct'), os.path.join(self.root, 'freezer')))
		self.assertEqual(caps.placement, 'thread')  # All v1: the spawning thread moves, no shim process
		self.assertEqual(len(caps.hiers), 3)
		self.assertIn('no memory controller in the cgroup v2', why)

	def test_hybrid_without_cpuacct(self):
		"""v1 memory with the v2 core files for CPU and kill: placed by the shim (v2 moves whole processes)"""
		layout = self.hybrid()
		del layout['cpuacct'], layout['freezer']
		caps, _ = self.probe(layout)
		self.assertEqual((caps.memory.version, caps.cpu.version, caps.kill.version), ('v1', 'v2', 'v2'))
		self.assertEqual(caps.placement, 'shim')

	def test_v2_with_memory(self):
		files = dict(self.V2CORE, **{'cgroup.controllers': 'cpu memory pids\n', 'cgroup.subtree_control': 'memory pids\n'})
		caps, why = self.probe({'cg': ('v2', set(), '/user.slice/job.scope', files, 'rw,nsdelegate')})
		self.assertEqual(caps.hiers, [caps.memory])
		self.assertIs(caps.cpu, caps.memory)
		self.assertEqual((caps.memory.version, caps.placement, why), ('v2', 'shim', ''))

	def test_v2_cgroup_with_processes(self):
		"""Memory available but not enabled below the own cgroup, which holds processes: the core files only"""
		files = dict(self.V2CORE, **{'cgroup.controllers': 'cpu memory\n', 'cgroup.procs': '1\n77\n'})
		caps, why = self.probe({'cg': ('v2', set(), '/user.slice/s.scope', files, 'rw')})
		self.assertIsNone(caps.memory)
		self.assertEqual((caps.cpu.version, caps.kill.version), ('v2', 'v2'))
		self.assertIn('not enabled in its cgroup.subtree_control', why)
		self.assertIn('no memory cgroup', why)

	def test_pure_v1(self):
		layout = self.hybrid()
		del layout['unified']
		caps, why = self.probe(layout)
		self.assertEqual([hier.version for hier in caps.hiers], ['v1'] * 3)
		self.assertEqual(why, '')

	def test_read_only_mount(self):
		caps, why = self.probe(self.hybrid(memopts='ro'))
		self.assertIsNone(caps.memory)  # CPU and kill from the other hierarchies
		self.assertIn('mounted read-only', why)
		layout = {'cg': ('v2', set(), '/', dict(self.V2CORE, **{'cgroup.subtree_control': 'memory'}), 'ro')}
		self.assertEqual(self.probe(layout)[0], None)

	def test_out_of_tree_cgroup(self):
		"""A cgroup namespace with a bad mount: /proc/self/cgroup shows a path outside the mount"""
		caps, why = self.probe({'cg': ('v2', set(), '/../..', self.V2CORE, 'rw')})
		self.assertIsNone(caps)
		self.assertIn('outside the mount', why)

	def test_overrides(self):
		layout = self.hybrid()
		self.assertEqual(self.probe(layout, 'off'), (None, 'cgroups are off (PYEXPOOL_CGROUP=off)'))
		given = os.path.join(self.root, 'memory', 'prepared')
		os.makedirs(given)
		caps, _ = self.probe(layout, given)
		self.assertEqual(caps.memory.base, given)
		self.assertEqual(caps.memory.own, os.path.join(self.root, 'memory/login/abc'))  # Placement returns there
		caps, why = self.probe(layout, self.root)
		self.assertIsNone(caps)
		self.assertIn('is not in a cgroup mount', why)
		unwritable = mpepool._CgHier('v1', given, None, {'memory'})  # Own cgroup not writable: can not move back
		self.assertEqual(mpepool._CgroupCaps(unwritable, unwritable, None).placement, 'shim')
		caps, why = self.probe(layout, given + '-missing')
		self.assertIsNone(caps.memory)
		self.assertIn('is not a writable cgroup directory', why)

	def test_memory_alone(self):
		"""A host (or a delegation) with the v1 memory controller alone: a memory cgroup, no CPU or kill hierarchy"""
		caps, why = self.probe({'memory': ('v1', {'memory'}, '/login/abc', self.V1MEM, 'rw')})
		self.assertEqual((caps.hiers, caps.cpu, caps.kill, caps.placement), ([caps.memory], None, None, 'thread'))
		self.assertEqual(why, '')

	def test_no_cgroups(self):
		self.assertEqual(mpepool._cgroupProbe('auto', 'x / / rw - ext4 /dev/sda rw\n', '0::/\n'), (None, 'no cgroup mount'))
		self.assertIsNone(mpepool._cgroupProbe('auto', 'garbage', 'garbage')[0])


class TestJobCgroupFake(MpeTestCase):
	"""_JobCgroup's files on fake trees: limits written in an order the kernel accepts, figures as
	differences from the job's start, a missing memory.peak"""

	def setUp(self):
		super().setUp()
		self.root = self.tmp

	def fill(self, cgroup, hier, files):
		for name, content in files.items():
			with open(os.path.join(cgroup.dirs[hier], name), 'w') as fcg:
				fcg.write(content)

	def read(self, cgroup, hier, name):
		with open(os.path.join(cgroup.dirs[hier], name)) as fcg:
			return fcg.read()

	def test_v2(self):
		hier = mpepool._CgHier('v2', self.root, self.root, {'memory'})
		caps = mpepool._CgroupCaps(hier, hier, hier)
		cgroup = mpepool._JobCgroup(caps, 'pyexpool.test')
		self.assertFalse(cgroup.reusable)
		self.fill(cgroup, hier, {'memory.max': 'max', 'memory.swap.max': 'max', 'memory.oom.group': '0', 'cgroup.procs': ''
			, 'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n', 'memory.events.local': 'oom 0\noom_kill 0\n'
			, 'cgroup.events': 'populated 0\nfrozen 0\n', 'cgroup.kill': '', 'memory.reclaim': ''})
		cgroup.prepare(100 << 20)
		self.assertEqual([self.read(cgroup, hier, name) for name in ('memory.max', 'memory.swap.max', 'memory.oom.group')]
			, [str(100 << 20), '0', '1'])
		# The total is usage_usec (exact), split in the proportion of user_usec and system_usec (tick-sampled)
		self.fill(cgroup, hier, {'cpu.stat': 'usage_usec 1800000\nuser_usec 1500000\nsystem_usec 300000\n'
			, 'memory.events.local': 'oom_kill 1\n'})
		self.assertEqual(cgroup.figures(), (None, 1.5, 0.3, 1))  # No memory.peak (Linux < 5.19): None, never 0
		self.fill(cgroup, hier, {'cpu.stat': 'usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\n'})
		self.assertEqual(cgroup.figures()[1:3], (1.5, 0.5))
		self.fill(cgroup, hier, {'memory.peak': '4096\n'})
		self.assertEqual(cgroup.figures()[0], 4096)
		self.fill(cgroup, hier, {'memory.current': '8192\n'})
		self.assertIsNone(cgroup.reclaim())  # Before its removal: all that is charged (v2 memory.reclaim, 5.19+)
		self.assertEqual(self.read(cgroup, hier, 'memory.reclaim'), '8192')
		self.assertTrue(cgroup.empty())
		self.fill(cgroup, hier, {'cgroup.events': 'populated 1\n', 'cgroup.procs': '{}\n'.format(2 ** 22 + 1)})
		self.assertFalse(cgroup.empty())
		self.assertFalse(cgroup.waitEmpty(0.02, kill=True))  # Kills through cgroup.kill
		self.assertEqual(self.read(cgroup, hier, 'cgroup.kill'), '1')
		self.assertEqual(cgroup.shimArgs(['prog', 'arg'])[4:], ['1', os.path.join(cgroup.dirs[hier], 'cgroup.procs'), 'prog', 'arg'])

	def test_v1_reuse(self):
		mem = mpepool._CgHier('v1', self.root + '/memory', self.root + '/memory', {'memory'})
		cpu = mpepool._CgHier('v1', self.root + '/cpuacct', self.root + '/cpuacct', {'cpuacct'})
		for hier in (mem, cpu):
			os.mkdir(hier.base)
		caps = mpepool._CgroupCaps(mem, cpu, None)
		cgroup = mpepool._JobCgroup(caps, 'pyexpool.test')
		self.assertTrue(cgroup.reusable)
		self.fill(cgroup, mem, {'memory.limit_in_bytes': '-1', 'memory.memsw.limit_in_bytes': '-1', 'memory.max_usage_in_bytes': '777'
			, 'memory.memsw.max_usage_in_bytes': '777'
			, 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n', 'cgroup.procs': ''})
		self.fill(cgroup, cpu, {'cpuacct.usage': '3000000000', 'cpuacct.usage_user': '3000000000', 'cpuacct.usage_sys': '0'})
		cgroup.prepare(0)
		self.assertEqual(self.read(cgroup, mem, 'memory.memsw.max_usage_in_bytes'), '777')  # A new cgroup: kept
		self.assertEqual(cgroup.figures(), (777, 3., 0., 2))  # The first job's figures, from 0
		cgroup.prepare(64 << 20)
		self.assertEqual(self.read(cgroup, mem, 'memory.limit_in_bytes'), str(64 << 20))
		self.assertEqual(self.read(cgroup, mem, 'memory.memsw.limit_in_bytes'), str(64 << 20))  # Swap excluded
		self.assertEqual(self.read(cgroup, mem, 'memory.memsw.max_usage_in_bytes'), '0')  # Reused: the peak restarts
		self.fill(cgroup, mem, {'memory.memsw.max_usage_in_bytes': '5000', 'memory.oom_control': 'oom_kill 3\n'})
		# The exact total (cpuacct.usage, ns) split as the tick-sampled usage_user and usage_sys grew (5:1)
		self.fill(cgroup, cpu, {'cpuacct.usage': '3600000000', 'cpuacct.usage_user': '3500000000', 'cpuacct.usage_sys': '100000000'})
		figures = cgroup.figures()
		self.assertEqual((figures[0], figures[3]), (5000, 1))
		self.assertAlmostEqual(figures[1], 0.5, 9)
		self.assertAlmostEqual(figures[2], 0.1, 9)
		# A job shorter than a tick: no tick sampled, its exact time is user time (as wait4 says it)
		cgroup.prepare(64 << 20)
		self.fill(cgroup, cpu, {'cpuacct.usage': '3600800000'})
		self.assertEqual(cgroup.figures()[1:3], (0.0008, 0.))
		self.assertEqual(mpepool._cpuSplit(2., 0, 7), (0., 2.))
		self.assertTrue(cgroup.empty())
		self.fill(cgroup, mem, {'memory.force_empty': ''})
		cgroup.reclaim()  # Before its removal: v1 memory.force_empty
		self.assertEqual(self.read(cgroup, mem, 'memory.force_empty'), '0')
		for hier, folder in cgroup.dirs.items():  # A real cgroup's files go with its directory
			for name in os.listdir(folder):
				os.remove(os.path.join(folder, name))
		self.assertTrue(cgroup.remove())
		self.assertEqual(os.listdir(mem.base) + os.listdir(cpu.base), [])

	def test_v1_exact_charges(self):
		"""An emptied v1 cgroup's charges for its reuse, exact: memory.stat rss + cache + swap and the kernel
		objects (memory.kmem), not the usage with the pages pre-charged to per-CPU caches"""
		mem = mpepool._CgHier('v1', self.root + '/memory', self.root + '/memory', {'memory'})
		os.mkdir(mem.base)
		cgroup = mpepool._JobCgroup(mpepool._CgroupCaps(mem, None, None), 'pyexpool.test')
		self.fill(cgroup, mem, {'memory.usage_in_bytes': str(3 << 20), 'memory.kmem.usage_in_bytes': str(300 << 10)
			, 'memory.stat': 'cache 8192\nrss 4096\nrss_huge 0\nshmem 0\nswap 0\ntotal_cache 99999999\ntotal_rss 99999999\n'})
		self.assertEqual(cgroup.usage(), 3 << 20)
		self.assertEqual(cgroup.charged(), 8192 + 4096 + (300 << 10))
		self.fill(cgroup, mem, {'memory.stat': 'cache 2097152\nrss 0\nswap 4096\n'})  # The page cache of a file a job wrote
		self.assertEqual(cgroup.charged(), 2097152 + 4096 + (300 << 10))
		self.assertGreater(cgroup.charged(), mpepool._CG_REUSE_MAX)

	def test_v1_usage_all(self):
		"""Where v1 cpuacct.usage_all lists each CPU's user and system time, one read gives both: the
		figures are those of usage_user and usage_sys (their sums over the CPUs)"""
		cpu = mpepool._CgHier('v1', self.root + '/cpuacct', self.root + '/cpuacct', {'cpuacct'})
		os.mkdir(cpu.base)
		cgroup = mpepool._JobCgroup(mpepool._CgroupCaps(None, cpu, None), 'pyexpool.test')
		self.fill(cgroup, cpu, {'cpuacct.usage': '3000000000', 'cpuacct.usage_all': 'cpu user system\n0 2000000000 0\n1 1000000000 0\n'
			, 'cpuacct.usage_user': 'not read', 'cpuacct.usage_sys': 'not read'})
		cgroup.prepare(0)
		self.assertEqual(cgroup.figures(), (None, 3., 0., 0))
		cgroup.prepare(0)
		self.fill(cgroup, cpu, {'cpuacct.usage': '3600000000', 'cpuacct.usage_all': 'cpu user system\n0 2300000000 60000000\n1 1200000000 40000000\n'})
		figures = cgroup.figures()
		self.assertAlmostEqual(figures[1], 0.5, 9)  # The total's 0.6 s split 5:1 as user and system grew
		self.assertAlmostEqual(figures[2], 0.1, 9)


def cgroupsOrSkip():
	"""This machine's cgroups with the memory controller; skips where none is usable (fails under CI=true)"""
	caps, why = mpepool._cgroupCaps()
	if caps is None or caps.memory is None:
		if os.environ.get('CI') == 'true':
			raise AssertionError('cgroups are required under CI=true: {}'.format(why))
		raise unittest.SkipTest('no usable memory cgroup: {}'.format(why))
	return caps


def leftCgroups(pid=None):
	"""The directories of the cgroups of a process's jobs (pyexpool.<pid>.*) in this process's hierarchies"""
	caps, _ = mpepool._cgroupCaps()
	prefix = '{}{}.'.format(mpepool._CG_PREFIX, pid or os.getpid())
	return [os.path.join(hier.base, name) for hier in (caps.hiers if caps else ())
		for name in os.listdir(hier.base) if name.startswith(prefix)]


# A job whose grandchild leaves its session, clears its environment and outlives its parent (a double
# fork): neither the process group nor the job marker reach it; it writes its pid to sys.argv[1]
ESCAPE = textwrap.dedent('''\
	import subprocess, sys, time
	subprocess.Popen(['env', '-i', 'setsid', '/bin/sh', '-c', 'sleep 60 & echo $! > "$0"', sys.argv[1]]).wait()
	time.sleep(60)
	''')

# A job whose grandchild (own session, never waited for) burns sys.argv[1] s of CPU while the job sleeps
DETACHED_BURN = textwrap.dedent('''\
	import os, sys, time
	done = sys.argv[2]
	if os.fork() == 0:
		os.setsid()
		if os.fork() == 0:
			t = time.process_time()
			while time.process_time() - t < float(sys.argv[1]):
				pass
			open(done, 'w').close()
		os._exit(0)
	while not os.path.exists(done):
		time.sleep(0.01)
	''')


class TestCgroups(MpeTestCase):
	"""Jobs in cgroups of their own on this machine's real cgroups: exact figures of the whole tree,
	the kernel's memory limit, stops that reach every process, nothing left in the cgroup tree"""

	def setUp(self):
		self.caps = cgroupsOrSkip()
		self.addCleanup(self.assertNoCgroupsLeft)  # Registered first: runs after the base's checks
		super().setUp()

	def assertNoCgroupsLeft(self):
		left = leftCgroups()
		for folder in left:  # Removed anyway: the next tests start clean
			mpepool._cgRemoveDir(folder, 0.1)
		self.assertEqual(left, [], 'cgroups left behind')

	def test_exact_peak_of_jobs_smaller_than_the_pool(self):
		ballast = b'1' * (64 << 20)  # This process's peak stays above the jobs': wait4 knows no job's peak
		pool = self.newPool(2)
		jobs = [Job('mb%d' % mb, args=pyjob(ALLOC(mb, 0))) for mb in (0, 20)]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertEqual([job.accounting for job in jobs], ['cgroup', 'cgroup'])
		self.assertGreater(mpepool._ownPeakRss(), inBytes(jobs[1].rssmax) + len(ballast) / 2)
		grown = inBytes(jobs[1].rssmax - jobs[0].rssmax) / (1 << 20)  # MB above an empty interpreter's peak
		self.assertGreaterEqual(grown, 19.5)
		self.assertLess(grown, 22)

	def test_run_freed_at_completion(self):
		pool = self.newPool(1)
		self.assertIsNotNone(pool._launcher.caps)
		assertRunFreed(self, pool)

	def test_cgroups_reused_then_removed_when_idle(self):
		pool = self.newPool(2)
		first = next(mpepool._CGSEQ)
		jobs = [Job('t%d' % i, args=('true',)) for i in range(10)]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertLessEqual(next(mpepool._CGSEQ) - first - 1, 2)  # One per slot, reused by the next jobs
		self.assertEqual([job.accounting for job in jobs], ['cgroup'] * 10)
		self.assertEqual(leftCgroups(), [])  # join() returned: the pool is idle

	def test_kept_descriptors_closed_with_the_cgroups(self):
		"""The descriptors that reused cgroups keep for their per-job reads are read fresh for each job and
		closed with the cgroups (the pool idle): none is left open"""
		pool = self.newPool(2)
		pool.execute(Job('first', args=('true',)))  # Opens what the process keeps (its own cgroups' tasks files)
		self.assertTrue(pool.join(30))
		kept, fds = mpepool._CG_KEPT[0], len(os.listdir('/proc/self/fd'))
		seen = []
		jobs = [Job('t%d' % i, args=(PYEXEC, '-c', 'sum(range(%d))' % (i % 2 * 10 ** 7))
			, onfinish=lambda job: seen.append(mpepool._CG_KEPT[0])) for i in range(6)]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertGreater(max(seen), kept)  # The reused cgroups read through kept descriptors
		self.assertEqual(mpepool._CG_KEPT[0], kept)
		self.assertEqual(len(os.listdir('/proc/self/fd')), fds)
		self.assertEqual(leftCgroups(), [])
		# Each job's CPU is its own: the ones that sum (~0.2 s) above those that start and exit, in reused cgroups
		cpu = [job.utime + job.stime for job in jobs]
		self.assertGreater(min(cpu[1::2]), max(cpu[0::2]))

	def test_spent_cgroup_removed_after_the_completion(self):
		"""A cgroup that can not serve another job is removed after its job's completion (its callbacks may
		clean up what the job wrote, which the removal's memory reclaim would wait for), when the next job
		takes a cgroup or the pool is idle"""
		seen = []
		pool = self.newPool(1)
		jobs = [Job('t%d' % i, args=('true',), onfinish=lambda job: seen.append(len(leftCgroups()))) for i in range(3)]
		with mock.patch.object(mpepool, '_CG_REUSE_MAX', -1):  # No cgroup is reused
			for job in jobs:
				pool.execute(job)
			self.assertTrue(pool.join(30))
		# Its own cgroup is still there (a directory per hierarchy), the previous job's is gone
		self.assertEqual(seen, [len(mpepool._cgroupCaps()[0].hiers)] * 3)
		self.assertEqual([job.accounting for job in jobs], ['cgroup'] * 3)
		self.assertEqual(leftCgroups(), [])

	def test_cpu_of_detached_descendants(self):
		"""The CPU time of a grandchild nobody waits for is the job's (wait4 misses it)"""
		jobs = {}
		for cgroups in (None, False):
			pool = self.newPool(1, cgroups=cgroups)
			jobs[cgroups] = job = Job('burn', args=(PYEXEC, '-c', DETACHED_BURN, '0.5', self.path('done%s' % cgroups)))
			pool.execute(job)
			self.assertTrue(pool.join(30))
		self.assertEqual(jobs[None].accounting, 'cgroup')
		self.assertGreaterEqual(jobs[None].utime + jobs[None].stime, 0.47)
		self.assertLess(jobs[False].utime + jobs[False].stime, 0.3)  # Without a cgroup: lost

	def test_memlim_enforced_by_the_kernel(self):
		"""memlim is the cgroup's limit: never exceeded, the OOM kill (of the job or of its child) reported as
		'memory limit' from the cgroup's OOM counter; page cache at the limit is reclaimed, not a violation"""
		limit = 48 << 20
		pool = self.newPool(2)
		hog = Job('hog', args=pyjob(ALLOC(200, 5)), memlim=inGigabytes(limit))
		child = Job('child hog', args=('sh', '-c', '"$0" -c "$1"; exit 3', PYEXEC, ALLOC(200, 5)), memlim=inGigabytes(limit))
		data = self.path('cache.dat')
		with open(data, 'wb') as fdata:  # 96 MB on disk, not in the page cache: the job's reading charges it
			for _ in range(96):
				fdata.write(b'1' * (1 << 20))
			fdata.flush()
			os.fsync(fdata.fileno())
			os.posix_fadvise(fdata.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
		cache = Job('cache', args=('cat', data), stdout=subprocess.DEVNULL, memlim=inGigabytes(limit))
		for job in (hog, child, cache):
			pool.execute(job)
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(pool.join(60))
		self.assertEqual((hog.reason, hog.proc.returncode), ('memory limit', -signal.SIGKILL))
		self.assertEqual((child.reason, child.proc.returncode), ('memory limit', 3))  # Its main process survived
		self.assertEqual((cache.reason, cache.proc.returncode), (None, 0))
		for job in (hog, child, cache):
			self.assertEqual(job.accounting, 'cgroup')
			self.assertLessEqual(round(inBytes(job.rssmax)), limit, job.name)  # 0 bytes above the limit
		self.assertGreater(inBytes(hog.rssmax), limit * 0.9)
		self.assertGreater(inBytes(cache.rssmax), limit * 0.5)  # Its page cache was charged, then reclaimed
		self.assertEqual(len(pool.failures), 2)

	def test_memory_chain_from_the_kernels_kill(self):
		"""The kernel's kill chains as a sampled one: the relatives under a memlim not above the origin's and
		at least as heavy (by size: no sample of theirs before the kill, with a 5 s sampling period)"""
		pool = self.newPool(3, latency=5)
		memlim = inGigabytes(32 << 20)
		jobs = {'c2': Job('c2', args=pyjob(ALLOC(200, 5)), category='c', size=2, memlim=memlim)
			, 'c3': Job('c3', args=pyjob(SLEEP(20)), category='c', size=3, memlim=memlim)
			, 'c1': Job('c1', args=pyjob(SLEEP(1)), category='c', size=1, memlim=memlim)}
		for job in jobs.values():
			pool.execute(job)
		with contextlib.redirect_stderr(io.StringIO()) as err:
			self.assertTrue(pool.join(30))
		self.assertEqual({name: job.reason for name, job in jobs.items()}
			, {'c2': 'memory limit', 'c3': 'memory limit chain', 'c1': None}, err.getvalue())
		self.assertIn('"c2" #{} is terminated because of the memory limit violation'.format(jobs['c2'].proc.pid), err.getvalue())

	def test_timeout_kills_escaped_descendants(self):
		"""env -i + setsid + double fork: only the cgroup still holds the grandchild; without one it survives"""
		survivors = []
		for cgroups in (None, False):
			pidfile = self.path('pid%s' % cgroups)
			pool = self.newPool(1, cgroups=cgroups)
			job = Job('escape', args=(PYEXEC, '-c', ESCAPE, pidfile), timeout=0.5)
			pool.execute(job)
			with contextlib.redirect_stderr(io.StringIO()):
				pool.join(30)
			self.assertEqual(job.reason, 'timeout')
			grand = readPids(pidfile)[0]
			if waitUntil(lambda: not pidAlive(grand), 2. if cgroups is None else 0.2):
				continue
			survivors.append(cgroups)
			os.kill(grand, signal.SIGKILL)
		self.assertEqual(survivors, [False])

	def test_nested_pool_stopped_whole(self):
		"""A job running a pool of its own: its jobs' cgroups are inside the job's; a stop kills them all,
		and the job's cgroup is removed with the cgroups made inside it"""
		inner = textwrap.dedent('''\
			import sys
			sys.path.insert(0, {!r})
			import mpepool
			pool = mpepool.ExecPool(1)
			pool.execute(mpepool.Job('inner', args=('sh', '-c', 'echo $$ > "$0"; exec sleep 60', sys.argv[1])))
			pool.join()
			''').format(REPO)
		pidfile = self.path('pid')
		pool = self.newPool(1)
		job = Job('outer', args=(PYEXEC, '-c', inner, pidfile), stdout=subprocess.DEVNULL)
		pool.execute(job)
		self.assertTrue(waitUntil(lambda: pool._cycle(time.perf_counter() + 0.02) or os.path.getsize(pidfile)
			if os.path.exists(pidfile) else False, 20.))
		grand = readPids(pidfile)[0]
		with contextlib.redirect_stderr(io.StringIO()):
			pool.terminate()
		self.assertEqual(job.reason, 'pool termination')
		self.assertTrue(waitUntil(lambda: not pidAlive(grand), 2.))

	def test_no_cgroup_left_after_sigkill_of_the_pool(self):
		"""The guardian kills and removes the cgroups of a SIGKILLed pool's jobs"""
		script = textwrap.dedent('''\
			import os, sys, time
			import mpepool
			pool = mpepool.ExecPool(1)
			pool.execute(mpepool.Job('escape', args=(sys.executable, '-c', sys.argv[1], sys.argv[2])))
			while not os.path.exists(sys.argv[2]):
				pool._cycle(time.perf_counter() + 0.01)
			print('CGROUPS', *(os.path.join(hier.base, name) for hier in mpepool._cgroupCaps()[0].hiers
				for name in os.listdir(hier.base) if name.startswith('pyexpool.%d.' % os.getpid())), flush=True)
			time.sleep(60)
			''')
		pidfile = self.path('pid')
		proc = subprocess.Popen((PYEXEC, '-c', script, ESCAPE, pidfile), stdout=subprocess.PIPE, text=True, env=repoEnv())
		try:
			dirs = next(line for line in proc.stdout if line.startswith('CGROUPS ')).split()[1:]
			grand = readPids(pidfile)[0]
		finally:
			proc.kill()
			proc.wait()
			proc.stdout.close()
		self.assertEqual(len(dirs), len(self.caps.hiers), dirs)
		self.assertTrue(waitUntil(lambda: not any(map(os.path.exists, dirs)), 10.), dirs)
		self.assertTrue(waitUntil(lambda: not pidAlive(grand), 5.))

	def test_without_cgroups(self):
		"""cgroups=False and PYEXPOOL_CGROUP=off: today's launcher and figures; cgroups=True then says why not"""
		pool = self.newPool(1, cgroups=False)
		self.assertIs(type(pool._launcher), mpepool.LocalLauncher)
		with mock.patch.dict(os.environ, {mpepool._CGENV: 'off'}), mock.patch.object(mpepool, '_CGCAPS', None):
			self.assertIs(type(self.newPool(1)._launcher), mpepool.LocalLauncher)
			with self.assertRaisesRegex(ValueError, r'cgroups=True, but .*PYEXPOOL_CGROUP=off'):
				ExecPool(1, cgroups=True)
		self.assertIs(type(self.newPool(1, cgroups=True)._launcher), mpepool.CgroupLauncher)

	def test_command_line(self):
		"""--cgroups auto|on|off; the job log shows a small job's exact peak with a cgroup, '-' without"""
		self.assertEqual([mpepool._cliParse(opts + ['--', 'true']).cgroups for opts in ([], ['--cgroups', 'on']
			, ['--cgroups', 'off'])], [None, True, False])
		with mock.patch.dict(os.environ, {mpepool._CGENV: 'off'}), mock.patch.object(mpepool, '_CGCAPS', None):
			with self.assertRaisesRegex(mpepool._CliError, r'--cgroups on, but .*PYEXPOOL_CGROUP=off'):
				mpepool._cliParse(['--cgroups', 'on', '--', 'true'])
		peaks = []
		for mode in ('on', 'off'):
			log = self.path('log' + mode)
			run = subprocess.run((PYEXEC, os.path.join(REPO, 'mpepool.py'), '--cgroups', mode, '--joblog', log, '--'
				, 'true', ':::', '1'), capture_output=True, text=True, timeout=30)
			self.assertEqual(run.returncode, 0, run.stderr)
			with open(log) as flog:
				peaks.append(flog.read().splitlines()[1].split('\t')[9])
		self.assertEqual(peaks[1], '-')
		self.assertGreater(float(peaks[0]), 0)

	def test_failure_report_and_web_ui_show_the_figures_source(self):
		if importlib.util.find_spec('bottle') is None:
			self.skipTest('bottle is not installed (the Web UI)')
		app = mpewui.WebUiApp(host='127.0.0.1', port=0)
		self.addCleanup(app.stop)
		pool = self.newPool(1, webuiapp=app)
		job = Job('bad', args=pyjob(ALLOC(10, 0) + '; raise SystemExit(1)'))
		pool.execute(job)
		self.assertTrue(pool.join(30))
		report = self.out.getvalue()
		header = next(line for line in report.splitlines() if 'rssmax' in line).split()
		row = next(line for line in report.splitlines() if line.split()[:1] == ['bad']).split()
		self.assertEqual(row[header.index('accounting')], 'cgroup')
		self.assertEqual(float(row[header.index('rssmax')]), round(job.rssmax, 3))
		done = uiJson(app, '/jobs?fmt=json&cols=name,rssmax,accounting')['doneInfo']
		self.assertEqual(done, [['name', 'rssmax', 'accounting'], ['bad', round(job.rssmax, 6), 'cgroup']])

	def test_startup_failure_runs_the_job_without(self):
		"""A cgroup that refuses its limit: the jobs run without one, the pool says so once"""
		fake = self.path('notacgroup')
		os.mkdir(fake)
		hier = mpepool._CgHier('v1', fake, fake, {'memory'})
		pool = self.newPool(1, launcher=mpepool.CgroupLauncher((mpepool._CgroupCaps(hier, hier, None), '')))
		jobs = [Job('j%d' % i, args=('true',)) for i in range(2)]
		with contextlib.redirect_stderr(io.StringIO()) as err:
			for job in jobs:
				pool.execute(job)
			self.assertTrue(pool.join(30))
		self.assertEqual([job.accounting for job in jobs], ['wait4', 'wait4'])
		self.assertEqual(pool.jobsdone, 2)
		self.assertEqual(err.getvalue().count('cgroups are not used any more'), 1)
		self.assertEqual(os.listdir(fake), [])

	def test_affinity_applies_in_the_cgroup(self):
		pool = self.newPool(2, afnmask=AffinityMask(1))
		jobs = [Job('cpus%d' % i, args=pyjob('import os; print(sorted(os.sched_getaffinity(0)))'), stdout=subprocess.PIPE)
			for i in range(2)]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(30))
		for job in jobs:
			self.assertEqual(job.accounting, 'cgroup')
			self.assertEqual(job.pipedout.strip(), str(sorted(pool._afnmask.cpus(job.wslot))))

	def test_memory_controller_alone(self):
		"""The v1 memory hierarchy alone (this machine's, the other mounts hidden from the probe): jobs run,
		placed by the thread or by the shim (a delegated cgroup whose parent is not writable), with the
		cgroup's peak and limit and wait4's CPU times"""
		with open('/proc/self/mountinfo') as finfo, open('/proc/self/cgroup') as fcg:
			mounts, selfcgroup = finfo.read().splitlines(), fcg.read()
		memline = next(line for line in mounts if line.partition(' - ')[2].startswith('cgroup ')
			and 'memory' in line.split()[-1].split(','))
		caps, why = mpepool._cgroupProbe('auto', memline + '\n', selfcgroup)
		self.assertEqual((caps.cpu, caps.kill, caps.placement), (None, None, 'thread'), why)
		delegated = mpepool._CgHier('v1', caps.memory.base, None, {'memory'})  # Its parent not writable: no way back
		for caps in (caps, mpepool._CgroupCaps(delegated, None, None)):
			pool = self.newPool(2, launcher=mpepool.CgroupLauncher((caps, '')))
			jobs = [Job('ok', args=('true',)), Job('mb20', args=pyjob(ALLOC(20, 0) + '\nimport time\nt = time.process_time()'
				'\nwhile time.process_time() - t < 0.2: pass')), Job('exit3', args=('sh', '-c', 'exit 3'))
				, Job('hog', args=pyjob(ALLOC(200, 5)), memlim=inGigabytes(48 << 20))]
			for job in jobs:
				pool.execute(job)
			with contextlib.redirect_stderr(io.StringIO()):
				self.assertTrue(pool.join(30))
			self.assertEqual([(job.proc.returncode, job.reason, job.accounting) for job in jobs], [(0, None, 'cgroup')
				, (0, None, 'cgroup'), (3, None, 'cgroup'), (-signal.SIGKILL, 'memory limit', 'cgroup')], caps.placement)
			self.assertEqual(pool.jobsdone, 2)
			self.assertGreater(inBytes(jobs[1].rssmax), 20 << 20)
			self.assertGreaterEqual(jobs[1].utime + jobs[1].stime, 0.19)  # wait4's
			self.assertLessEqual(round(inBytes(jobs[3].rssmax)), 48 << 20)

	def test_cpu_of_short_jobs_is_exact(self):
		"""The CPU time of a job shorter than a scheduler tick is not 0: the cgroup's exact runtime"""
		pool = self.newPool(2)
		jobs = [Job('t%d' % i, args=('/bin/true',)) for i in range(200)]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(120))
		self.assertEqual({job.accounting for job in jobs}, {'cgroup'})
		# Every `true` costs about the same (exec, the dynamic loader, exit: 0.3-1 ms here); the spawning
		# thread's own CPU while placed in the cgroup is taken off exactly (a tick-sampled figure of it made
		# some jobs 0 or a tenth of the others, and others a few ms too much)
		least = sorted(job.utime + job.stime for job in jobs)[len(jobs) // 2] / 4
		self.assertEqual([(job.name, job.utime + job.stime) for job in jobs if not job.utime + job.stime >= least], [])
		self.assertLess(max(job.utime + job.stime for job in jobs), 0.5)

	def test_cpu_is_never_below_what_wait4_measured(self):
		"""A job's CPU time is at least wait4's exact runtime of its process: the cgroup's counter less the
		spawning thread's part fell short of it by 30-200 us (7 % of a `true` in the median), and to 0 under load"""
		measured = {}

		class Spy(mpepool.CgroupLauncher):  # What wait4 said of each job, as the pool hands it to the launcher
			def reaped(self, job, status, rusage):
				measured[job.name] = rusage.ru_utime + rusage.ru_stime
				return super().reaped(job, status, rusage)

		pool = self.newPool(2, launcher=Spy())
		jobs = [Job('t%d' % i, args=('/bin/true',)) for i in range(200)]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(120))
		self.assertEqual({job.accounting for job in jobs}, {'cgroup'})
		self.assertEqual([(job.name, job.utime + job.stime, measured[job.name]) for job in jobs
			if job.utime + job.stime < measured[job.name]], [])

	def test_no_dying_memory_cgroups(self):
		"""Jobs whose page cache (files they wrote) keeps their cgroup from being reused leave no dying
		memory cgroup once removed: /proc/cgroups' count (which includes dying ones) stays where it was"""
		def memcgroups():
			with open('/proc/cgroups') as fcg:
				return next(int(line.split()[2]) for line in fcg if line.split()[0] == 'memory')
		before = memcgroups()
		pool = self.newPool(2)
		jobs = [Job('w%d' % i, args=('dd', 'if=/dev/zero', 'of=' + self.path('f%d' % i), 'bs=1M', 'count=2')
			, stderr=subprocess.DEVNULL) for i in range(100)]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(120))
		pool.terminate()  # Its cgroups kept for the next jobs are removed too: what stays is dying ones only
		after = memcgroups()  # The files (their page cache) are still there
		self.assertEqual([job.proc.returncode for job in jobs], [0] * 100)
		self.assertEqual(os.path.getsize(self.path('f99')), 2 << 20)
		# A dying cgroup per job without the reclaim (+100); the bound leaves room for the cgroups that other
		# programs of the host (Slurm's, other pools) make and remove meanwhile
		self.assertLess(after - before, 30, (before, after))

	def test_shim_placement_into_a_v2_cgroup(self):
		"""A prepared cgroup v2 directory given by PYEXPOOL_CGROUP: jobs placed by the /bin/sh shim, CPU
		from its cpu.stat, stops through cgroup.kill"""
		mount = next((m[0] for m in mpepool._cgMounts(open('/proc/self/mountinfo').read()) if m[2] == 'v2'), None)
		if mount is None or not os.access(mount, os.W_OK):
			self.skipTest('no writable cgroup v2 mount')
		given = os.path.join(mount, 'mpetests-{}'.format(os.getpid()))
		os.mkdir(given)
		self.addCleanup(mpepool._cgRemoveDir, given)
		with mock.patch.dict(os.environ, {mpepool._CGENV: given}), mock.patch.object(mpepool, '_CGCAPS', None):
			caps = mpepool._cgroupCaps()[0]
			self.assertEqual((caps.cpu.base, caps.placement), (given, 'shim'))
			pool = self.newPool(2)
			pidfile = self.path('pid')
			burn = Job('burn', args=(PYEXEC, '-c', DETACHED_BURN, '0.2', self.path('done')))
			escape = Job('escape', args=(PYEXEC, '-c', ESCAPE, pidfile), timeout=0.5)
			for job in (burn, escape):
				pool.execute(job)
			with contextlib.redirect_stderr(io.StringIO()):
				pool.join(30)
			self.assertEqual((burn.accounting, burn.proc.returncode), ('cgroup', 0))
			self.assertGreaterEqual(burn.utime + burn.stime, 0.19)
			self.assertEqual(escape.reason, 'timeout')
			self.assertTrue(waitUntil(lambda: not pidAlive(readPids(pidfile)[0]), 2.))
			self.assertEqual(os.listdir(given), [name for name in os.listdir(given) if not name.startswith('pyexpool.')])


def seqCores(nodes, cores, threads):
	"""Cores of a sequentially enumerated machine: [(node, (cpu, ...)), ...], a core's threads adjacent"""
	return [(n, tuple((n * cores + k) * threads + t for t in range(threads)))
		for n in range(nodes) for k in range(cores)]


def crossCores(nodes, cores, threads):
	"""Cores of a cross-node enumerated machine: first threads alternate over the nodes, siblings after"""
	return [(n, tuple(t * nodes * cores + k * nodes + n for t in range(threads)))
		for n in range(nodes) for k in range(cores)]


def cpulist(cpus):
	"""A kernel-style CPU list of ints (as sysfs writes it)"""
	return mpepool._cpulistStr(cpus)


def writeSysfs(root, cores, offline=(), onlinefile=True, siblings=True, nodedirs=True, memnodes=()):
	"""Write a fake /sys/devices/system tree under root

	cores: [(node, (cpu, ...)), ...]  - the physical cores with their hardware threads
	offline: CPUs that are offline (no topology dir, online file 0, absent from the lists)
	onlinefile: write cpu/online (kernels have it; without it cpuN/online files are used)
	siblings: write core_cpus_list and thread_siblings_list (else only core_id and the package)
	nodedirs: write node/nodeN (a kernel without NUMA has none)
	memnodes: extra node ids without CPUs (memory-only nodes)
	"""
	offline = set(offline)
	allcpus = {c for _, core in cores for c in core}
	online = allcpus - offline
	cpudir = os.path.join(root, 'cpu')
	os.makedirs(cpudir)
	for name, cpus in (('possible', allcpus), ('present', allcpus)) + ((('online', online),) if onlinefile else ()):
		with open(os.path.join(cpudir, name), 'w') as fsys:
			fsys.write(cpulist(cpus) + '\n')
	corenum = {}
	for node, core in cores:
		corenum[node] = corenum.get(node, -1) + 1
		for c in core:
			cdir = os.path.join(cpudir, 'cpu{}'.format(c))
			os.makedirs(cdir)
			if c:  # cpu0 cannot go offline and has no online file
				with open(os.path.join(cdir, 'online'), 'w') as fsys:
					fsys.write('0\n' if c in offline else '1\n')
			if c in offline:
				continue
			tdir = os.path.join(cdir, 'topology')
			os.makedirs(tdir)
			files = {'core_id': str(corenum[node]), 'physical_package_id': str(node)}
			if siblings:
				files['core_cpus_list'] = files['thread_siblings_list'] = cpulist(set(core) - offline)
			for fname, text in files.items():
				with open(os.path.join(tdir, fname), 'w') as fsys:
					fsys.write(text + '\n')
	if nodedirs:
		nodecpus = {}
		for node, core in cores:
			nodecpus.setdefault(node, set()).update(set(core) - offline)
		for node in memnodes:
			nodecpus[node] = set()
		for node, cpus in nodecpus.items():
			ndir = os.path.join(root, 'node', 'node{}'.format(node))
			os.makedirs(ndir)
			with open(os.path.join(ndir, 'cpulist'), 'w') as fsys:
				fsys.write(cpulist(cpus) + '\n')
		with open(os.path.join(root, 'node', 'online'), 'w') as fsys:
			fsys.write(cpulist(nodecpus) + '\n')


class FakeSysfsCase(MpeTestCase):
	"""Helpers: fake sysfs trees (each in a temporary folder removed after the test) and checks of their topology"""

	def topology(self, cores, allowed=None, **kwargs):
		"""The CpuTopology read from a fake tree of the cores; all its CPUs allowed by default"""
		root = self.tempDir(prefix='mpetests-sysfs-')
		writeSysfs(root, cores, **kwargs)
		if allowed is None:
			allowed = {c for _, core in cores for c in core}
		topo = mpepool._cputopology(root, allowed)
		self.assertTrue(topo.sysfs, 'the fake tree must be read, not replaced by the fallback')
		return topo

	def assertCounts(self, topo, **counts):
		"""The AffinityMask class attributes of a topology"""
		self.assertEqual(mpepool._topologyCounts(topo), counts)

	def masks(self, topo, afnstep, first=True, **kwargs):
		"""The CPU list strings of all slots of an AffinityMask on a topology, checked against cpus(i)"""
		mask = AffinityMask(afnstep, first=first, topology=topo, **kwargs)
		res = [mask(i) for i in range(len(mask))]
		self.assertEqual([cpulist(mask.cpus(i)) for i in range(len(mask))], res)
		self.assertRaises(IndexError, mask, len(mask))
		return res

	def assertNodeLocal(self, topo):
		"""For every valid afnstep: groups are disjoint, made of whole usable cores and, where a node has
		enough cores, of one node; first=True pins to the first CPU (a primary thread) of the group"""
		counts = mpepool._topologyCounts(topo)
		maxnode = max(len(cores) for cores in topo.nodes.values())
		for step in [1] + list(range(counts['CORE_THREADS'], counts['CPUS'] + 1, counts['CORE_THREADS'])):
			whole, single = AffinityMask(step, False, topology=topo), AffinityMask(step, True, topology=topo)
			self.assertEqual(len(whole), len(single))
			self.assertGreaterEqual(len(whole), 1, step)
			seen = set()
			for i in range(len(whole)):
				grp = whole.cpus(i)
				self.assertFalse(grp & seen, (step, i))
				seen |= grp
				self.assertLessEqual(len(grp), step)
				self.assertEqual(len(single.cpus(i)), 1)
				self.assertLessEqual(single.cpus(i), grp)
				cpu = min(single.cpus(i))
				if step > 1:
					self.assertTrue(all(set(topo.siblings[c]) <= grp for c in grp), (step, grp))
					self.assertEqual(topo.siblings[cpu][0], cpu, 'the first thread of a core')
					if step // counts['CORE_THREADS'] <= maxnode:
						self.assertEqual(len({topo.node[c] for c in grp}), 1, (step, grp))
						self.assertEqual(cpu, min(grp))
			self.assertLessEqual(seen, set(topo.cpus))
			if step == 1:
				self.assertEqual(seen, set(topo.cpus))


class TestCpuTopologySysfs(FakeSysfsCase):
	"""Topology read from fake sysfs trees: counts, cores, nodes, enumeration, fallbacks"""

	def test_spec_machine_cross(self):
		"""SPEC §4.4 server, cross-node: node0 = 0,2,..,14 (+16,18,..,30), node1 = 1,3,..,15 (+17,..,31)"""
		topo = self.topology(crossCores(2, 8, 2))
		self.assertCounts(topo, CPUS=32, NODES=2, CORES=16, CORE_THREADS=2, NODE_CPUS=16, SEQUENTIAL=False)
		self.assertEqual(topo.siblings[2], (2, 18))
		self.assertEqual(topo.siblings[31], (15, 31))
		self.assertEqual(topo.nodes[0][:3], ((0, 16), (2, 18), (4, 20)))
		self.assertEqual(topo.nodes[1][-1], (15, 31))
		self.assertEqual((topo.node[17], topo.node[30], topo.package[9]), (1, 0, 1))

	def test_spec_machine_sequential(self):
		"""SPEC §4.4 server, sequential: node0 = 0-15, node1 = 16-31, a core's threads adjacent"""
		topo = self.topology(seqCores(2, 8, 2))
		self.assertCounts(topo, CPUS=32, NODES=2, CORES=16, CORE_THREADS=2, NODE_CPUS=16, SEQUENTIAL=True)
		self.assertEqual(topo.siblings[17], (16, 17))
		self.assertEqual(topo.nodes[1][0], (16, 17))
		self.assertEqual(topo.cores[:2], ((0, 1), (2, 3)))

	def test_laptops(self):
		"""Single node: threads adjacent (sequential) or the siblings numbered after the cores (Intel)"""
		topo = self.topology(seqCores(1, 4, 2))
		self.assertCounts(topo, CPUS=8, NODES=1, CORES=4, CORE_THREADS=2, NODE_CPUS=8, SEQUENTIAL=True)
		topo = self.topology(crossCores(1, 4, 2))
		self.assertCounts(topo, CPUS=8, NODES=1, CORES=4, CORE_THREADS=2, NODE_CPUS=8, SEQUENTIAL=False)
		self.assertEqual(topo.siblings[5], (1, 5))
		# A kernel without NUMA (no node dirs): one node all the same
		topo = self.topology(seqCores(1, 4, 2), nodedirs=False)
		self.assertCounts(topo, CPUS=8, NODES=1, CORES=4, CORE_THREADS=2, NODE_CPUS=8, SEQUENTIAL=True)
		# No SMT
		topo = self.topology(seqCores(1, 4, 1))
		self.assertCounts(topo, CPUS=4, NODES=1, CORES=4, CORE_THREADS=1, NODE_CPUS=4, SEQUENTIAL=True)

	def test_many_nodes_and_threads(self):
		"""Multi-digit counts (the original kept the last digit only: 16 nodes -> 6)"""
		topo = self.topology(crossCores(16, 4, 2))
		self.assertCounts(topo, CPUS=128, NODES=16, CORES=64, CORE_THREADS=2, NODE_CPUS=8, SEQUENTIAL=False)
		self.assertEqual(sorted(topo.nodes), list(range(16)))
		self.assertEqual(topo.nodes[13][1], (29, 93))
		self.assertEqual(topo.node[127], 15)
		topo = self.topology(seqCores(1, 2, 12))
		self.assertCounts(topo, CPUS=24, NODES=1, CORES=2, CORE_THREADS=12, NODE_CPUS=24, SEQUENTIAL=True)
		self.assertEqual(topo.siblings[13], tuple(range(12, 24)))

	def test_offline_cpus(self):
		"""Offline CPUs are not usable; nodes become uneven (NODE_CPUS: whole cores of the smallest node)"""
		for onlinefile in (True, False):
			topo = self.topology(seqCores(2, 4, 2), offline=(3, 12, 13), onlinefile=onlinefile)
			self.assertEqual(topo.cpus, (0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15))
			self.assertCounts(topo, CPUS=13, NODES=2, CORES=7, CORE_THREADS=2, NODE_CPUS=6, SEQUENTIAL=True)
			self.assertEqual(topo.siblings[2], (2,))
			self.assertEqual(topo.nodes[1], ((8, 9), (10, 11), (14, 15)))

	def test_allowed_subset(self):
		"""A cgroup cpuset / sched_setaffinity restriction: only the allowed CPUs count"""
		# The first threads of 4 cores per node of the cross-node server: no usable siblings
		topo = self.topology(crossCores(2, 8, 2), allowed=range(8))
		self.assertEqual(topo.cpus, tuple(range(8)))
		self.assertCounts(topo, CPUS=8, NODES=2, CORES=8, CORE_THREADS=1, NODE_CPUS=4, SEQUENTIAL=False)
		# The second node only of the sequential server
		topo = self.topology(seqCores(2, 8, 2), allowed=range(16, 32))
		self.assertCounts(topo, CPUS=16, NODES=1, CORES=8, CORE_THREADS=2, NODE_CPUS=16, SEQUENTIAL=True)
		self.assertEqual(list(topo.nodes), [1])
		# Allowed CPUs that do not exist or are offline are ignored
		topo = self.topology(seqCores(1, 2, 2), allowed=(1, 2, 3, 64), offline=(3,))
		self.assertEqual(topo.cpus, (1, 2))
		self.assertEqual(topo.cores, ((1,), (2,)))

	def test_memory_nodes_and_core_ids(self):
		"""Nodes without CPUs do not count; without sibling lists cores come from (package, core_id)"""
		topo = self.topology(crossCores(2, 2, 2), memnodes=(2, 3))
		self.assertCounts(topo, CPUS=8, NODES=2, CORES=4, CORE_THREADS=2, NODE_CPUS=4, SEQUENTIAL=False)
		topo = self.topology(crossCores(2, 8, 2), siblings=False)
		self.assertCounts(topo, CPUS=32, NODES=2, CORES=16, CORE_THREADS=2, NODE_CPUS=16, SEQUENTIAL=False)
		self.assertEqual(topo.siblings[21], (5, 21))

	def test_fallback(self):
		"""Unreadable or garbled sysfs: a flat topology of the allowed CPUs, no exception, no output"""
		root = self.tempDir(prefix='mpetests-sysfs-')
		topo = mpepool._cputopology(os.path.join(root, 'absent'), allowed={3, 1})
		self.assertEqual(topo, CpuTopology(cpus=(1, 3), node={1: 0, 3: 0}, package={1: 0, 3: 0}
			, siblings={1: (1,), 3: (3,)}, nodes={0: ((1,), (3,))}, cores=((1,), (3,)), corethreads=1
			, sequential=True, sysfs=False))
		os.makedirs(os.path.join(root, 'cpu'))
		with open(os.path.join(root, 'cpu', 'online'), 'w') as fsys:
			fsys.write('0-x\n')
		self.assertEqual(mpepool._cputopology(root, allowed={0, 1}).cpus, (0, 1))
		self.assertFalse(mpepool._cputopology(root, allowed={0, 1}).sysfs)
		self.assertEqual(len(AffinityMask(1, topology=topo)), 2)

	def test_cpulists(self):
		"""Kernel CPU list parsing and the taskset -c formatting"""
		self.assertEqual(mpepool._parseCpulist('0-3,8,10-11\n'), {0, 1, 2, 3, 8, 10, 11})
		self.assertEqual(mpepool._parseCpulist('\n'), set())
		self.assertEqual(mpepool._cpulistStr({17, 0, 1, 2, 5, 16}), '0-2,5,16-17')
		self.assertEqual(mpepool._cpulistStr([7]), '7')


class TestAffinityMaskTables(FakeSysfsCase):
	"""AffinityMask groups on fake machines, written out: the SPEC §4.4 table where the original is
	right, node-local non-overlapping groups where it is wrong (cross-node, afnstep > CORE_THREADS)"""

	def test_spec_cross_node(self):
		"""2 nodes x 8 cores x 2 threads, cross-node enumeration (sequential=False rows)"""
		topo = self.topology(crossCores(2, 8, 2))
		for first in (True, False):
			self.assertEqual(self.masks(topo, 1, first), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'
				, '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21', '22', '23', '24', '25', '26'
				, '27', '28', '29', '30', '31'])
		self.assertEqual(self.masks(topo, 2, True), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'
			, '11', '12', '13', '14', '15'])
		self.assertEqual(self.masks(topo, 2, False), ['0,16', '1,17', '2,18', '3,19', '4,20', '5,21', '6,22'
			, '7,23', '8,24', '9,25', '10,26', '11,27', '12,28', '13,29', '14,30', '15,31'])
		# The original: 0-1, 1-2, 4-5, ... (overlapping, node-mixing); here 2 whole cores of one node
		self.assertEqual(self.masks(topo, 4, True), ['0', '1', '4', '5', '8', '9', '12', '13'])
		self.assertEqual(self.masks(topo, 4, False), ['0,2,16,18', '1,3,17,19', '4,6,20,22', '5,7,21,23'
			, '8,10,24,26', '9,11,25,27', '12,14,28,30', '13,15,29,31'])
		self.assertEqual(self.masks(topo, 8, False), ['0,2,4,6,16,18,20,22', '1,3,5,7,17,19,21,23'
			, '8,10,12,14,24,26,28,30', '9,11,13,15,25,27,29,31'])
		# The original: 0-7, 1-8; here a whole node each
		self.assertEqual(self.masks(topo, 16, True), ['0', '1'])
		self.assertEqual(self.masks(topo, 16, False), ['0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30'
			, '1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31'])
		# Larger than a node: whole cores of consecutive nodes
		self.assertEqual(self.masks(topo, 32, False), ['0-31'])
		self.assertEqual(self.masks(topo, 24, False), ['0-8,10,12,14,16-24,26,28,30'])
		# The enumeration flag does not change groups cut from the topology
		self.assertEqual(self.masks(topo, 4, False, sequential=True), self.masks(topo, 4, False))
		self.assertEqual(self.masks(topo, 1, sequential=None), self.masks(topo, 1, sequential=False))
		self.assertNodeLocal(topo)

	def test_spec_sequential(self):
		"""2 nodes x 8 cores x 2 threads, sequential enumeration (sequential=True rows, all right)"""
		topo = self.topology(seqCores(2, 8, 2))
		for first in (True, False):
			self.assertEqual(self.masks(topo, 1, first), ['0', '16', '2', '18', '4', '20', '6', '22', '8', '24'
				, '10', '26', '12', '28', '14', '30', '1', '17', '3', '19', '5', '21', '7', '23', '9', '25', '11'
				, '27', '13', '29', '15', '31'])
		self.assertEqual(self.masks(topo, 2, True), ['0', '16', '2', '18', '4', '20', '6', '22', '8', '24', '10'
			, '26', '12', '28', '14', '30'])
		self.assertEqual(self.masks(topo, 2, False), ['0-1', '16-17', '2-3', '18-19', '4-5', '20-21', '6-7'
			, '22-23', '8-9', '24-25', '10-11', '26-27', '12-13', '28-29', '14-15', '30-31'])
		self.assertEqual(self.masks(topo, 4, True), ['0', '16', '4', '20', '8', '24', '12', '28'])
		self.assertEqual(self.masks(topo, 4, False), ['0-3', '16-19', '4-7', '20-23', '8-11', '24-27', '12-15'
			, '28-31'])
		self.assertEqual(self.masks(topo, 16, True), ['0', '16'])
		self.assertEqual(self.masks(topo, 16, False), ['0-15', '16-31'])
		self.assertEqual(self.masks(topo, 2, False, sequential=False), self.masks(topo, 2, False))
		self.assertNodeLocal(topo)

	def test_laptops(self):
		"""Single node, both enumerations (where the original was right)"""
		topo = self.topology(seqCores(1, 4, 2))
		self.assertEqual(self.masks(topo, 1), ['0', '2', '4', '6', '1', '3', '5', '7'])
		self.assertEqual(self.masks(topo, 2), ['0', '2', '4', '6'])
		self.assertEqual(self.masks(topo, 2, False), ['0-1', '2-3', '4-5', '6-7'])
		self.assertEqual(self.masks(topo, 4, False), ['0-3', '4-7'])
		self.assertEqual(self.masks(topo, 8, False), ['0-7'])
		self.assertNodeLocal(topo)
		topo = self.topology(crossCores(1, 4, 2))
		self.assertEqual(self.masks(topo, 1), ['0', '1', '2', '3', '4', '5', '6', '7'])
		self.assertEqual(self.masks(topo, 2), ['0', '1', '2', '3'])
		self.assertEqual(self.masks(topo, 2, False), ['0,4', '1,5', '2,6', '3,7'])
		self.assertEqual(self.masks(topo, 4, False), ['0-1,4-5', '2-3,6-7'])
		self.assertNodeLocal(topo)

	def test_16_nodes(self):
		"""16 nodes x 4 cores x 2 threads, cross-node: cpu = thread*64 + core*16 + node"""
		topo = self.topology(crossCores(16, 4, 2))
		self.assertEqual(self.masks(topo, 1), [str(c) for c in range(128)])
		whole = self.masks(topo, 2, False)
		self.assertEqual(whole[:3] + whole[-2:], ['0,64', '1,65', '2,66', '62,126', '63,127'])
		self.assertEqual(len(whole), 64)
		# A node per worker (NODE_CPUS = 8): slot i is node i
		nodes = self.masks(topo, AffinityMask(1, topology=topo).NODE_CPUS, False)
		self.assertEqual(nodes[0], '0,16,32,48,64,80,96,112')
		self.assertEqual(nodes[10], '10,26,42,58,74,90,106,122')
		self.assertEqual(nodes[15], '15,31,47,63,79,95,111,127')
		self.assertEqual(len(nodes), 16)
		self.assertEqual(self.masks(topo, 8), [str(n) for n in range(16)])
		self.assertEqual(self.masks(topo, 4, False)[:4], ['0,16,64,80', '1,17,65,81', '2,18,66,82'
			, '3,19,67,83'])
		self.assertNodeLocal(topo)

	def test_12_threads(self):
		"""A core with 12 hardware threads"""
		topo = self.topology(seqCores(1, 2, 12))
		self.assertEqual(self.masks(topo, 12, False), ['0-11', '12-23'])
		self.assertEqual(self.masks(topo, 12), ['0', '12'])
		self.assertEqual(self.masks(topo, 1)[:5], ['0', '12', '1', '13', '2'])
		self.assertRaises(ValueError, AffinityMask, 2, topology=topo)
		self.assertNodeLocal(topo)

	def test_offline(self):
		"""Offline 3 (a second thread) and 12-13 (a whole core) of 2 sequential nodes x 4 cores x 2 threads:
		partial cores form smaller groups, nodes too small for a group are skipped"""
		topo = self.topology(seqCores(2, 4, 2), offline=(3, 12, 13))
		self.assertEqual(self.masks(topo, 1), ['0', '8', '2', '10', '4', '14', '6', '1', '9', '11', '5', '15', '7'])
		self.assertEqual(self.masks(topo, 2), ['0', '8', '2', '10', '4', '14', '6'])
		self.assertEqual(self.masks(topo, 2, False), ['0-1', '8-9', '2', '10-11', '4-5', '14-15', '6-7'])
		self.assertEqual(self.masks(topo, 4, False), ['0-2', '8-11', '4-7'])
		self.assertEqual(self.masks(topo, 6, False), ['0-2,4-5', '8-11,14-15'])  # NODE_CPUS: a group per node
		self.assertEqual(self.masks(topo, 8, False), ['0-2,4-7'])
		self.assertEqual(self.masks(topo, 12, False), ['0-2,4-11'])
		self.assertRaises(ValueError, AffinityMask, 14, topology=topo)
		self.assertNodeLocal(topo)

	def test_allowed_subset(self):
		"""cgroup-restricted CPU sets"""
		topo = self.topology(crossCores(2, 8, 2), allowed=range(8))
		self.assertEqual(self.masks(topo, 1), ['0', '1', '2', '3', '4', '5', '6', '7'])
		self.assertEqual(self.masks(topo, 2, False), ['0,2', '1,3', '4,6', '5,7'])
		self.assertEqual(self.masks(topo, 4, False), ['0,2,4,6', '1,3,5,7'])
		self.assertNodeLocal(topo)
		topo = self.topology(seqCores(2, 8, 2), allowed=range(16, 32))
		self.assertEqual(self.masks(topo, 2), ['16', '18', '20', '22', '24', '26', '28', '30'])
		self.assertEqual(self.masks(topo, 16, False), ['16-31'])
		self.assertNodeLocal(topo)
		# Only some of the threads of a core allowed
		topo = self.topology(seqCores(1, 4, 2), allowed=(0, 1, 2, 4, 6, 7))
		self.assertEqual(self.masks(topo, 2, False), ['0-1', '2', '4', '6-7'])
		self.assertNodeLocal(topo)


class TestAffinityMaskInput(FakeSysfsCase):
	"""Bad AffinityMask arguments raise ValueError/TypeError naming the parameter and the value"""

	def assertRejected(self, exc, pname, value, *args, **kwargs):
		"""The error names the parameter and echoes the value"""
		with self.assertRaises(exc) as ctx:
			AffinityMask(*args, **kwargs)
		self.assertIn(pname, str(ctx.exception))
		self.assertIn(repr(value), str(ctx.exception))

	def test_bad_input(self):
		topo = self.topology(seqCores(1, 4, 2))
		self.assertRejected(ValueError, 'afnstep', 3, 3, topology=topo)  # 3 on a 2-thread machine
		self.assertRejected(ValueError, 'afnstep', -2, -2, topology=topo)
		self.assertRejected(ValueError, 'afnstep', 0, 0, topology=topo)
		self.assertRejected(ValueError, 'afnstep', 2.1, 2.1, topology=topo)
		self.assertRejected(ValueError, 'afnstep', 10, 10, topology=topo)  # more than the 8 CPUs
		self.assertRejected(TypeError, 'afnstep', '2', '2', topology=topo)
		self.assertRejected(TypeError, 'afnstep', None, None, topology=topo)
		self.assertRejected(TypeError, 'afnstep', True, True, topology=topo)
		self.assertRejected(TypeError, 'first', 1, 2, 1, topology=topo)
		self.assertRejected(TypeError, 'first', None, 2, first=None, topology=topo)
		self.assertRejected(TypeError, 'sequential', 'yes', 2, sequential='yes', topology=topo)
		self.assertRejected(TypeError, 'topology', 'x', 2, topology='x')
		mask = AffinityMask(2.0, topology=topo)  # An integral float is converted
		self.assertEqual((mask.afnstep, type(mask.afnstep), len(mask)), (2, int, 4))
		self.assertRaises(IndexError, mask, -1)
		self.assertRaises(IndexError, mask.cpus, 4)
		self.assertRaises(TypeError, mask, 1.0)
		self.assertIn('afnstep=2', repr(mask))


class TestAffinityRealMachine(MpeTestCase):
	"""This machine's topology: sysfs against lscpu and lstopo where installed, the README setups"""

	def test_topology(self):
		"""Read from sysfs, the usable CPUs are this process's, counts consistent"""
		topo = mpepool._cputopology()
		self.assertTrue(topo.sysfs)
		self.assertEqual(topo, mpepool._TOPOLOGY)
		self.assertEqual(set(topo.cpus), os.sched_getaffinity(0))
		self.assertEqual(AffinityMask.CPUS, len(os.sched_getaffinity(0)))
		self.assertEqual((cpucorethreads(), cpunodes(), cpusequential(), cpusequential(AffinityMask.NODES))
			, (AffinityMask.CORE_THREADS, AffinityMask.NODES, AffinityMask.SEQUENTIAL, AffinityMask.SEQUENTIAL))
		self.assertEqual(sum(len(core) for core in topo.cores), AffinityMask.CPUS)
		self.assertEqual(len(topo.cores), AffinityMask.CORES)
		self.assertIsInstance(AffinityMask.SEQUENTIAL, bool)

	def test_lscpu(self):
		"""Cores and nodes as `lscpu -p` reports them (an optional cross-check)"""
		if not shutil.which('lscpu'):
			self.skipTest('lscpu is not installed')
		out = subprocess.run(['lscpu', '-p=CPU,CORE,SOCKET,NODE'], stdout=subprocess.PIPE
			, universal_newlines=True, check=True, timeout=30).stdout
		topo = mpepool._TOPOLOGY
		cores = {}
		for line in out.splitlines():
			if line.startswith('#'):
				continue
			cpu, core, socket, node = line.split(',')
			cpu = int(cpu)
			if cpu in topo.cpus:
				cores.setdefault((socket, core), set()).add(cpu)
				self.assertEqual(topo.node[cpu], int(node or 0), cpu)
		self.assertEqual(sorted(map(sorted, cores.values())), sorted(map(list, topo.cores)))

	def test_lstopo(self):
		"""Cores, nodes and the enumeration as hwloc sees them (an optional cross-check)"""
		requireTool(self, shutil.which('lstopo-no-graphics'), 'hwloc (lstopo-no-graphics) is not installed (Debian'
			' package hwloc)')
		out = subprocess.run(['lstopo-no-graphics', '--no-io', '--of', 'xml'], stdout=subprocess.PIPE
			, universal_newlines=True, check=True, timeout=60).stdout
		tree = ElementTree.fromstring(out)
		topo = mpepool._TOPOLOGY
		usable = set(topo.cpus)

		def cpuset(obj):
			"""hwloc's hex cpuset '0xffffffff,0x00000003' as a set of ints"""
			bits = int(obj.get('cpuset').replace('0x', '').replace(',', ''), 16)
			return {c for c in range(bits.bit_length()) if bits >> c & 1}

		cores = [cpuset(obj) & usable for obj in tree.iter('object') if obj.get('type') == 'Core']
		self.assertEqual(sorted(map(sorted, filter(None, cores))), sorted(map(list, topo.cores)))
		nodes = {int(obj.get('os_index')): cpuset(obj) & usable for obj in tree.iter('object')
			if obj.get('type') == 'NUMANode'}
		self.assertEqual({n: cpus for n, cpus in nodes.items() if cpus}
			, {n: {c for core in cores for c in core} for n, cores in topo.nodes.items()})
		# Logical (document) order of the PUs against their OS numbers, what the original asked hwloc
		pus = [int(obj.get('os_index')) for obj in tree.iter('object') if obj.get('type') == 'PU']
		pus = [c for c in pus if c in usable]
		self.assertEqual(pus == sorted(pus), topo.sequential)

	def test_readme_setups(self):
		"""AffinityMask(CORE_THREADS): a worker per core on its first thread; AffinityMask(NODE_CPUS,
		first=False): a worker per node on all its CPUs"""
		topo = mpepool._TOPOLOGY
		mask = AffinityMask(AffinityMask.CORE_THREADS)
		self.assertEqual(len(mask), AffinityMask.CORES)
		self.assertEqual(sorted(min(mask.cpus(i)) for i in range(len(mask))), sorted(core[0] for core in topo.cores))
		mask = AffinityMask(AffinityMask.NODE_CPUS, first=False)
		self.assertEqual(len(mask), AffinityMask.NODES)
		self.assertEqual(sorted(map(sorted, (mask.cpus(i) for i in range(len(mask)))))
			, sorted(sorted(c for core in cores for c in core) for cores in topo.nodes.values()))
		mask = AffinityMask(1)
		self.assertEqual(sorted(int(mask(i)) for i in range(len(mask))), list(topo.cpus))

	def test_restricted_process(self):
		"""A process allowed a single CPU sees exactly that CPU at import"""
		cpu = max(os.sched_getaffinity(0))
		code = ('import os, sys; os.sched_setaffinity(0, {{{}}}); sys.path.insert(0, {!r}); import mpepool as m;'
			' a = m.AffinityMask; print(a.CPUS, a.NODES, a.CORES, a.CORE_THREADS, a(1)(0), len(a(1)))'
			.format(cpu, os.path.dirname(os.path.abspath(mpepool.__file__))))
		res = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
			, universal_newlines=True, timeout=60)
		self.assertEqual((res.stdout.split(), res.stderr), (['1', '1', '1', '1', str(cpu), '1'], ''))

	def test_import_quiet(self):
		"""Importing runs no external program and prints nothing"""
		code = 'import sys; sys.path.insert(0, {!r}); import mpepool'.format(
			os.path.dirname(os.path.abspath(mpepool.__file__)))
		res = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
			, universal_newlines=True, timeout=60, env=dict(os.environ, PATH='/nonexistent'))
		self.assertEqual((res.returncode, res.stdout, res.stderr), (0, '', ''))


# Pool integration: a job, its restarts and its children run on the CPUs of the job's worker slot.

# A job that appends 'job|child <Cpus_allowed_list> <pid>' lines for itself and for a child it forks to the
# report file argv[1], then sleeps argv[2] seconds
AFNREPORT = '\n'.join((
	'import os, sys, time',
	'def allowed():',
	'	with open("/proc/self/status") as fst:',
	'		return [ln.split()[1] for ln in fst if ln.startswith("Cpus_allowed_list:")][0]',
	'pid = os.fork()',
	'if not pid:',
	'	with open(sys.argv[1], "a") as fout:',
	'		fout.write("child %s %d\\n" % (allowed(), os.getpid()))',
	'	os._exit(0)',
	'os.waitpid(pid, 0)',
	'with open(sys.argv[1], "a") as fout:',
	'	fout.write("job %s %d\\n" % (allowed(), os.getpid()))',
	'time.sleep(float(sys.argv[2]))',
	''))




def procAllowed(pid):
	"""Cpus_allowed_list of a running process, None when it is gone (or a zombie)"""
	try:
		with open('/proc/{}/status'.format(pid)) as fst:
			status = fst.read()
	except OSError:
		return None
	if '\nState:\tZ' in status:
		return None
	return [ln.split()[1] for ln in status.splitlines() if ln.startswith('Cpus_allowed_list:')][0]


class TestPoolAffinity(MpeTestCase):
	"""ExecPool pins each job to its worker slot's CPU group before the program starts"""

	def setUp(self):
		super().setUp()
		self.pids = set()
		self.affinity = os.sched_getaffinity(0)
		self.addCleanup(self.assertAffinityKept)
		self.addCleanup(self.assertPidsGone)  # After the pools of the test are terminated

	def assertPidsGone(self):
		"""No process of self.pids is left (the jobs and the children they reported)"""
		left = waitUntil(lambda: not [pid for pid in self.pids if procAllowed(pid)], 10)
		self.assertTrue(left, 'processes left: {}'.format([pid for pid in self.pids if procAllowed(pid)]))

	def assertAffinityKept(self):
		"""The pool pins its own thread only around a spawn"""
		self.assertEqual(os.sched_getaffinity(0), self.affinity)

	def reportJob(self, name, sleep=0., **kwargs):
		"""A job reporting its own and its child's allowed CPUs into a file; returns (job, report path)"""
		report = os.path.join(self.tmp, name)
		job = Job(name, args=(sys.executable, '-c', AFNREPORT, report, str(sleep)), stdout=subprocess.DEVNULL
			, **kwargs)
		return job, report

	def started(self, pool, job):
		"""Execute a job; remember its pid for the leak check"""
		self.assertEqual(pool.execute(job), 0)
		if job.proc is not None:
			self.pids.add(job.proc.pid)

	@staticmethod
	def report(path, runs=1):
		"""The (who, cpus, pid) lines of a report once it holds runs 'job' lines, [] before"""
		try:
			with open(path) as frep:
				lines = [(who, cpus, int(pid)) for who, cpus, pid in map(str.split, frep.read().splitlines())]
		except OSError:
			return []
		return lines if sum(ln[0] == 'job' for ln in lines) >= runs else []

	def test_slots(self):
		"""Every slot of the README masks pins its job and the job's child to the slot's CPUs"""
		for mask in (AffinityMask(1), AffinityMask(AffinityMask.CORE_THREADS)
		, AffinityMask(AffinityMask.NODE_CPUS, first=False)):
			pool = self.newPool(len(mask), mask)
			jobs = []
			for i in range(len(mask)):
				job, report = self.reportJob('slot{}-{}'.format(len(self.pools), i), 30)
				args = job.args
				self.started(pool, job)
				jobs.append((job, report, args))
			self.assertEqual(sorted(job.wslot for job, _, _ in jobs), list(range(len(mask))))
			for job, report, args in jobs:
				lines = waitUntil(lambda: self.report(report), 20)
				self.assertEqual(sorted(ln[:2] for ln in lines), [('child', mask(job.wslot)), ('job', mask(job.wslot))]
					, mask)
				self.pids.update(ln[2] for ln in lines)
				self.assertEqual(procAllowed(job.proc.pid), mask(job.wslot))  # Seen from outside too
				self.assertIs(job.args, args)  # No taskset prefix
			pool.terminate()
			self.assertFalse(pool.join())

	def test_restart_on_timeout(self):
		"""A job restarted on timeout (rsrtonto) is pinned to its slot again, args untouched"""
		mask = AffinityMask(1)
		pool = self.newPool(min(2, len(mask)), mask)
		if len(mask) > 1:  # Another job in slot 0, so that the restarting one runs elsewhere
			other, _ = self.reportJob('other', 30)
			self.started(pool, other)
		def onstart(job):
			# Called before every run: stop once two runs reported (the event loop runs in join())
			if self.report(report, 2):
				pool.terminate()

		job, report = self.reportJob('restarting', 30, timeout=0.5, rsrtonto=True, onstart=onstart)
		args = job.args
		self.started(pool, job)
		self.assertFalse(pool.join(30))
		lines = self.report(report, 2)
		self.assertTrue(lines, 'the job did not restart')
		self.assertEqual({ln[:2] for ln in lines}, {('job', mask(job.wslot)), ('child', mask(job.wslot))})
		runs = [ln[2] for ln in lines if ln[0] == 'job']
		self.assertEqual(len(set(runs)), len(runs))  # Distinct processes: really restarted
		self.pids.update(ln[2] for ln in lines)
		self.assertIs(job.args, args)
		self.assertEqual(job.reason, 'pool termination')

	def test_omitafn_and_spawn_failure(self):
		"""omitafn jobs keep the pool's CPUs; a failed spawn restores the pool thread and frees the slot"""
		mask = AffinityMask(1)
		pool = self.newPool(1, mask)
		free, freerep = self.reportJob('free', omitafn=True)
		self.started(pool, free)
		self.assertTrue(pool.join(30))
		self.assertEqual({ln[:2] for ln in self.report(freerep)}
			, {('job', mpepool._cpulistStr(self.affinity)), ('child', mpepool._cpulistStr(self.affinity))})
		missing = Job('missing', args=(os.path.join(self.tmp, 'absent', 'program'),))
		pool.execute(missing)
		self.assertEqual((missing.proc, missing.reason), (None, 'start failure'))
		self.assertEqual(os.sched_getaffinity(0), self.affinity)
		pinned, pinrep = self.reportJob('pinned')
		self.started(pool, pinned)
		self.assertTrue(pool.join(30))  # All finished (one of them failed)
		self.assertEqual(pinned.wslot, 0)
		self.assertEqual({ln[:2] for ln in self.report(pinrep)}, {('job', mask(0)), ('child', mask(0))})

	def test_readme_pool(self):
		"""The seed README's ExecPool(max(cpu_count() - 1, 1), cpucorethreads()): an int affinity step"""
		pool = self.newPool(max(cpu_count() - 1, 1), cpucorethreads())
		mask = pool._afnmask
		self.assertIsInstance(mask, AffinityMask)
		self.assertEqual((mask.afnstep, mask.first), (cpucorethreads(), True))
		self.assertEqual(pool._wkslim, min(max(cpu_count() - 1, 1), AffinityMask.CORES))
		jobs = [self.reportJob('readme{}'.format(i)) for i in range(pool._wkslim + 1)]
		for job, _ in jobs:
			self.started(pool, job)
		self.assertTrue(pool.join(30))
		for job, report in jobs:
			cpu = mask(job.wslot)
			self.assertIn(int(cpu), [core[0] for core in mpepool._TOPOLOGY.cores])  # A core's first thread
			self.assertEqual({ln[:2] for ln in self.report(report)}, {('job', cpu), ('child', cpu)})

	def test_wksnum_reduced(self):
		"""More slots than CPU groups: reduced with a warning; bad masks raise naming the parameter"""
		mask = AffinityMask(1)
		err = io.StringIO()
		with contextlib.redirect_stderr(err):
			pool = self.newPool(len(mask) + 3, mask)
		self.assertEqual(pool._wkslim, len(mask))
		self.assertIn('reduced', err.getvalue())
		jobs = [self.reportJob('many{}'.format(i), 0.2) for i in range(len(mask) + 2)]
		for job, _ in jobs:
			self.started(pool, job)
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, len(jobs))
		for job, report in jobs:
			self.assertEqual({ln[:2] for ln in self.report(report)}, {('job', mask(job.wslot)), ('child', mask(job.wslot))})
		with self.assertRaisesRegex(TypeError, 'afnmask'):
			ExecPool(1, 'x')
		with self.assertRaisesRegex(ValueError, 'afnstep.*0'):
			ExecPool(1, 0)
		with self.assertRaisesRegex(ValueError, 'afnstep.*{}'.format(AffinityMask.CPUS + 1)):
			ExecPool(1, AffinityMask.CPUS + 1)


# === Memory: sampling, limits, balancing, chained constraints ========================================
# Real child processes allocate tens of MB (touched pages); the estimates are 0.9 RSS + 0.1 VMS in GB.

NEEDS_PSUTIL = unittest.skipUnless(mpepool._LIMIT_WORKERS_RAM, 'memory constraints need psutil')


def LOGGER(name, logfile):
	"""Python code defining log(event): a line 'name pid event monotonic' appended to logfile (readLog)"""
	return textwrap.dedent('''\
		import os, time
		def log(event):
			with open({logfile!r}, 'a') as flog:
				flog.write('{{}} {{}} {{}} {{!r}}\\n'.format({name!r}, os.getpid(), event, time.monotonic()))
		''').format(name=name, logfile=logfile)


def ALLOC_LOGGED(name, logfile, mb, seconds, delay=0.):
	"""Sleep delay, hold mb MB for seconds; log 'S', 'A' (allocated) and 'E' lines with the monotonic time"""
	return LOGGER(name, logfile) + textwrap.dedent('''\
		log('S')
		time.sleep({delay})
		buf = b'1' * ({mb} << 20)
		log('A')
		time.sleep({seconds})
		log('E')
		''').format(mb=mb, seconds=seconds, delay=delay)


def TREE_ALLOC(parentmb, childmb, readyfile, seconds=30):
	"""A parent holding parentmb MB with a child holding childmb MB; readyfile gets the child's pid when
	both hold their memory"""
	return textwrap.dedent('''\
		import os, subprocess, sys, time
		child = subprocess.Popen([sys.executable, '-c', 'import sys, time; buf = b"1" * ({childmb} << 20);'
			' sys.stdout.write("ok"); sys.stdout.flush(); time.sleep({sec})'], stdout=subprocess.PIPE)
		buf = b'1' * ({parentmb} << 20)
		child.stdout.read(2)
		with open({ready!r} + '.tmp', 'w') as fready:
			fready.write(str(child.pid))
		os.rename({ready!r} + '.tmp', {ready!r})
		time.sleep({sec})
		''').format(childmb=childmb, parentmb=parentmb, ready=readyfile, sec=seconds)


def readLog(logfile):
	"""[(name, pid, event, monotonic)] of an ALLOC_LOGGED log"""
	if not os.path.exists(logfile):
		return []
	with open(logfile) as flog:
		return [(name, int(pid), event, float(tm)) for name, pid, event, tm in (ln.split() for ln in flog)]


def maxOverlap(intervals):
	"""The most intervals (start, end) open at once"""
	edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
	best = cur = 0
	for _, step in edges:
		cur += step
		best = max(best, cur)
	return best


class TestProcMemTree(MpeTestCase):
	"""The memory of a process tree per memkind, and Job._updateMem()"""

	@staticmethod
	def allocAndSpawnProg(mprog, cprog):
		"""Python code that starts a child running the code cprog, runs the code mprog itself and waits
		for the child (the original's helper, used by its README's memory example)"""
		return textwrap.dedent('''\
			import subprocess, sys
			child = subprocess.Popen((sys.executable, '-c', {!r}))
			exec({!r})
			child.wait()
			''').format(cprog, mprog)

	@NEEDS_PSUTIL
	def test_memkinds_of_a_parent_with_a_child(self):
		ready = self.path('ready')
		proc = subprocess.Popen(pyjob(TREE_ALLOC(30, 60, ready)))
		child = None
		try:
			self.assertTrue(waitUntil(lambda: os.path.exists(ready), 20), 'the tree did not allocate')
			with open(ready) as fready:
				child = int(fready.read())
			mem0, mem1, mem2 = (mpepool._treeMemory(proc.pid, kind) for kind in (0, 1, 2))
			# One pass for several trees gives what the single calls give
			for single, batch in zip((mem0, mem1, mem2), mpepool._treesMemory([(proc.pid, 0), (proc.pid, 1), (proc.pid, 2)])):
				self.assertAlmostEqual(single, batch, delta=0.002)
			# 0: the parent (>= 30 MB), 1: the heavier child (>= 60 MB), 2: both (>= 90 MB)
			self.assertGreater(mem0, 0.9 * 30 / 1024)
			self.assertGreater(mem1, max(mem0, 0.9 * 60 / 1024))
			self.assertGreater(mem2, max(mem1, 0.9 * 90 / 1024))
			self.assertLess(mem2, 0.5)  # Not absurd: the tree holds ~100 MB
			self.assertAlmostEqual(mem2, mem0 + mem1, delta=0.01)
			proc.kill()
			proc.wait()
			self.assertEqual(mpepool._treeMemory(proc.pid, 2), 0.)  # A tree that is gone counts 0
		finally:
			if proc.poll() is None:
				proc.kill()
				proc.wait()
			if child is not None:
				mpepool._signalPids((child,), signal.SIGKILL)
				self.assertTrue(waitUntil(lambda: not pidAlive(child), 5))

	@NEEDS_PSUTIL
	def test_memkinds_in_the_pool_and_smoothing(self):
		"""Jobs measured by the pool: mempeak per memkind; the estimate rises at once and decays slowly"""
		pool = self.newPool(3)
		jobs = []
		for kind in (0, 1, 2):
			ready = self.path('ready{}'.format(kind))
			job = Job('kind{}'.format(kind), args=pyjob(TREE_ALLOC(30, 60, ready, 1.2)), memkind=kind, memlim=1.)
			jobs.append(job)
			pool.execute(job)
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 3)
		peaks = [job.mempeak for job in jobs]
		self.assertLess(peaks[0], peaks[1])
		self.assertLess(peaks[1], peaks[2])
		self.assertGreater(peaks[0], 0.9 * 30 / 1024)
		self.assertTrue(pool._memtrace)
		job = Job('smooth')
		job.mem = 1.
		self.assertEqual(job._noteMem(2.), 2.)  # Rises at once
		self.assertAlmostEqual(job._noteMem(0.), 2. * Job._RTM)  # Decays by the retention ratio
		self.assertEqual(job.mempeak, 2.)

	def test_updatemem_without_a_process(self):
		job = Job('noproc', args=('true',))
		if mpepool._LIMIT_WORKERS_RAM:
			with self.assertRaises(AttributeError):
				job._updateMem()
		else:
			self.assertEqual(job._updateMem(), 0)


@NEEDS_PSUTIL
class TestMemoryLimits(MpeTestCase):
	"""Job.memlim on its own, the pool memlimit, postponement and a job that can never fit"""

	def test_job_over_its_memlim_is_stopped_with_the_reason(self):
		pool = self.newPool(2, cgroups=False)  # No pool memlimit: the job's own limit is enforced anyway (sampled)
		self.assertEqual(pool.memlimit, 0)
		self.assertLessEqual(pool._memperiod, 0.5)
		log = self.path('log')
		finished = []
		big = Job('big', args=pyjob(ALLOC_LOGGED('big', log, 80, 30, delay=0.3)), memlim=0.05
			, onfinish=lambda job: finished.append((job.name, time.monotonic())))
		other = Job('other', args=pyjob(ALLOC(10, 0.5)), onfinish=lambda job: finished.append((job.name, time.monotonic())))
		err = io.StringIO()
		with contextlib.redirect_stderr(err):
			pool.execute(big)
			pool.execute(other)
			self.assertTrue(pool.join(20))
		self.assertEqual(big.reason, 'memory limit')
		self.assertEqual(big.proc.returncode, -signal.SIGTERM)
		self.assertGreaterEqual(big.mempeak, 0.05)
		self.assertIsNone(other.reason)
		self.assertEqual(pool.jobsdone, 1)
		self.assertEqual([(info.name, info.reason) for info in pool.failures], [('big', 'memory limit')])
		self.assertIn('"big" #{} is terminated because of the memory limit violation'.format(big.proc.pid), err.getvalue())
		allocated = [tm for name, _, event, tm in readLog(log) if event == 'S']
		stopped = dict(finished)['big']
		self.assertEqual(len(allocated), 1)
		self.assertLess(stopped - allocated[0] - 0.3, 1.5)  # Sampled every 0.2 s: stopped well within 1.5 s

	def test_group_over_memlimit_is_postponed_and_completes_with_fewer_at_once(self):
		"""4 jobs that each need ~60 MB after 0.6 s, memlimit fits 2: some are postponed and restarted,
		all succeed, and at most 2 held their memory at once in the runs that completed"""
		pool = self.newPool(4, memlimit=0.16)
		log = self.path('log')
		starts = []
		finishes = []
		jobs = [Job('g{}'.format(i), args=pyjob(ALLOC_LOGGED('g{}'.format(i), log, 50, 0.8, delay=0.6))
			, onstart=starts.append, onfinish=finishes.append) for i in range(4)]
		err = io.StringIO()
		with contextlib.redirect_stderr(err):
			for job in jobs:
				pool.execute(job)
			self.assertTrue(pool.join(40))
		self.assertEqual(pool.jobsdone, 4, err.getvalue())
		self.assertEqual(pool.failures, [])
		self.assertEqual(sorted(job.name for job in finishes), ['g0', 'g1', 'g2', 'g3'])  # Once each
		self.assertGreater(len(starts), 4)  # Postponed runs were started again
		self.assertIn('group memory limit violation', err.getvalue())
		records = readLog(log)
		runs = {}
		for name, pid, event, tm in records:
			runs.setdefault((name, pid), {})[event] = tm
		done = [(run['A'], run['E']) for run in runs.values() if 'E' in run]
		self.assertEqual(len(done), 4)
		self.assertLessEqual(maxOverlap(done), 2)
		self.assertTrue(any('E' not in run for run in runs.values()))  # The postponed runs were stopped
		# The restarted jobs ran together again once memory was freed (the worker count recovered)
		restarted = [name for name in {name for name, _ in runs} if sum(1 for n, _ in runs if n == name) > 1]
		again = [(run['A'], run['E']) for (name, _), run in runs.items() if name in restarted and 'E' in run]
		self.assertEqual(len(again), len(restarted))
		self.assertNotIn('g0', restarted)  # Started first (the others waited for its samples): kept running
		self.assertGreaterEqual(len(again), 1)
		if len(again) >= 2:
			self.assertEqual(maxOverlap(again), 2)
		self.assertTrue(any(jobsgb >= 0.1 for _, jobsgb, _ in pool._memtrace))

	def test_a_job_larger_than_memlimit_fails_once(self):
		pool = self.newPool(2, memlimit=0.08)
		starts = []
		finishes = []
		big = Job('huge', args=pyjob(ALLOC(150, 30)), onstart=starts.append, onfinish=finishes.append)
		small = Job('small', args=pyjob(ALLOC(5, 0.3)))
		with contextlib.redirect_stderr(io.StringIO()):
			pool.execute(big)
			pool.execute(small)
			t0 = time.perf_counter()
			self.assertTrue(pool.join(30))
		self.assertLess(time.perf_counter() - t0, 10)
		self.assertEqual((len(starts), len(finishes)), (1, 1))
		self.assertEqual(big.reason, 'memory limit')
		self.assertEqual([info.name for info in pool.failures], ['huge'])
		self.assertEqual(pool.jobsdone, 1)

	def test_a_burst_of_execute_calls_does_not_overshoot_memlimit(self):
		"""Unknown demand: one job starts and the others wait for its samples; known demand (a finished
		job of the category): as many as fit start at once, before any sample of theirs"""
		pool = self.newPool(4, memlimit=0.14)
		burst = [Job('u{}'.format(i), args=pyjob(ALLOC(40, 0.3)), category='b') for i in range(3)]
		for job in burst:
			pool.execute(job)
		self.assertEqual((len(pool._workers), len(pool._jobs)), (1, 2))  # Demand unknown: wait for samples
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 3)
		demand, known = pool._jobDemand(Job('probe', category='b'))
		self.assertTrue(known)
		self.assertGreater(demand, 0.035)  # ~40 MB and the interpreter, from samples and the kernel's peak
		fit = 1  # What the gate admits: the started jobs count their expected demand before any sample
		while fit < 4 and fit * demand + demand * ExecPool._JMEMTRR < 0.14:
			fit += 1
		log = self.path('log')
		burst = [Job('k{}'.format(i), args=pyjob(ALLOC_LOGGED('k{}'.format(i), log, 40, 0.6)), category='b')
			for i in range(4)]
		for job in burst:
			pool.execute(job)
		self.assertEqual(len(pool._workers), fit)
		self.assertLessEqual(fit, 2)  # ~50 MB each: 2 fit in 0.14 GB, 3 do not
		self.assertEqual(len(pool._workers) + len(pool._jobs), 4)
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 7)
		runs = {}
		for name, pid, event, tm in readLog(log):
			runs.setdefault(pid, {})[event] = tm
		self.assertLessEqual(maxOverlap([(run['A'], run['E']) for run in runs.values()]), 2)

	def test_sampling_is_event_driven(self):
		"""Without a watched job nothing is sampled; with one, about one sample per period"""
		pool = self.newPool(2)
		pool.execute(Job('plain', args=pyjob(SLEEP(0.5))))
		self.assertTrue(pool.join(10))
		self.assertEqual(len(pool._memtrace), 0)
		pool.execute(Job('watched', args=pyjob(SLEEP(1.2)), memlim=1.))
		self.assertTrue(pool.join(10))
		self.assertGreaterEqual(len(pool._memtrace), 2)
		self.assertLessEqual(len(pool._memtrace), 1.2 / mpepool._MEM_PERIOD + 3)
		times = [tm for tm, _, _ in pool._memtrace]
		self.assertGreaterEqual(min(b - a for a, b in zip(times, times[1:])), mpepool._MEM_PERIOD * 0.9)


class TestMemoryChains(MpeTestCase):
	"""Chained termination and cancellation within a category, by timeout and by memory"""

	def test_timeout_chain(self):
		pool = self.newPool(4)
		task = Task('chain')
		finishes = []
		kw = dict(task=task, onfinish=finishes.append)
		jobs = {
			't2': Job('t2', args=pyjob(SLEEP(20)), category='t', size=2, timeout=0.5, **kw),  # The origin
			't3': Job('t3', args=pyjob(SLEEP(20)), category='t', size=3, **kw),  # Heavier: stopped
			't1': Job('t1', args=pyjob(SLEEP(1.2)), category='t', size=1, **kw),  # Lighter: goes on
			'u9': Job('u9', args=pyjob(SLEEP(1.2)), category='u', size=9, **kw),  # Other category
			# Queued: the pool has 4 slots
			't5': Job('t5', args=pyjob(SLEEP(0.1)), category='t', size=5, **kw),  # Canceled
			'w9': Job('w9', args=pyjob(SLEEP(0.1)), category='w', size=9, **kw),
			't0': Job('t0', args=pyjob(SLEEP(0.1)), category='t', size=0.5, **kw),
		}
		for job in jobs.values():
			pool.execute(job)
		self.assertEqual(len(pool._jobs), 3)
		with contextlib.redirect_stderr(io.StringIO()) as err:
			self.assertTrue(pool.join(30))
		reasons = {name: job.reason for name, job in jobs.items()}
		self.assertEqual(reasons, dict(t2='timeout', t3='timeout chain', t1=None, u9=None, t5='timeout chain'
			, w9=None, t0=None))
		self.assertIs(jobs['t3'].chtermtime, True)
		self.assertIsNone(jobs['t5'].proc)
		self.assertEqual(sorted(info.name for info in pool.failures), ['t2', 't3', 't5'])
		self.assertEqual(len(finishes), 7)
		self.assertEqual((task.numdone, task.numterm), (4, 3))
		self.assertIsNotNone(task.tstop)
		self.assertIn('"t5" is canceled by timeout chain from "t2"', err.getvalue())

	@NEEDS_PSUTIL
	def test_memory_chain(self):
		pool = self.newPool(4, cgroups=False)  # The sampled limit (the kernel's: TestCgroups)
		log = self.path('log')
		task = Task('mchain')
		jobs = {
			# The origin: exceeds its memlim after 0.8 s
			'c2': Job('c2', args=pyjob(ALLOC_LOGGED('c2', log, 80, 20, delay=0.8)), category='c', size=2, memlim=0.06, task=task),
			# Same category, uses more memory than the origin, but its own memlim is larger: c2's limit
			# does not apply to it, it goes on
			'c3': Job('c3', args=pyjob(ALLOC(100, 1.5)), category='c', size=3, memlim=1., task=task),
			# Same category, lighter: goes on
			'c1': Job('c1', args=pyjob(ALLOC(10, 1.5)), category='c', size=1, memlim=1., task=task),
			# Another category, heavy: untouched
			'd5': Job('d5', args=pyjob(ALLOC(100, 1.5)), category='d', size=5, memlim=1., task=task),
			# Queued
			'c4': Job('c4', args=pyjob(SLEEP(0.1)), category='c', size=4, task=task),  # No memlim: goes on
			'd9': Job('d9', args=pyjob(SLEEP(0.1)), category='d', size=9, task=task),
			'c0': Job('c0', args=pyjob(SLEEP(0.1)), category='c', size=1, task=task),
			# Larger, with a memlim not above the origin's: canceled by size
			'c5': Job('c5', args=pyjob(SLEEP(0.1)), category='c', size=5, memlim=0.06, task=task),
		}
		for job in jobs.values():
			pool.execute(job)
		self.assertEqual(len(pool._jobs), 4)
		with contextlib.redirect_stderr(io.StringIO()) as err:
			self.assertTrue(pool.join(30))
		reasons = {name: job.reason for name, job in jobs.items()}
		self.assertEqual(reasons, dict(c2='memory limit', c3=None, c1=None, d5=None
			, c4=None, d9=None, c0=None, c5='memory limit chain'), err.getvalue())
		self.assertIs(jobs['c5'].chtermtime, False)
		self.assertGreaterEqual(jobs['c3'].mempeak, jobs['c2'].mem)
		self.assertIsNone(jobs['c5'].proc)
		self.assertEqual(sorted(info.name for info in pool.failures), ['c2', 'c5'])
		self.assertEqual((task.numdone, task.numterm), (6, 2))
		self.assertIn('"c5" is canceled by memory limit chain from "c2"', err.getvalue())


def FILL_LOGGED(name, logfile, mb, seconds, delay=0., steps=10, pause=0.05):
	"""ALLOC_LOGGED filling its mb MB in steps (a pause after each): 'A' is logged when it starts to fill,
	'F' when it is full"""
	return LOGGER(name, logfile) + textwrap.dedent("""\
		log('S')
		time.sleep({delay})
		log('A')
		bufs = []
		for _ in range({steps}):
			bufs.append(b'1' * ({mb} * (1 << 20) // {steps}))
			time.sleep({pause})
		log('F')
		time.sleep({seconds})
		log('E')
		""").format(mb=mb, seconds=seconds, delay=delay, steps=steps, pause=pause)


def HOLD_UNTIL_A_STOP(name, logfile, mb, delay, seconds=20.):
	"""ALLOC_LOGGED that holds its memory until another job of the log was stopped (its process gone
	without its 'E' line), then 0.3 s more; at most seconds"""
	return LOGGER(name, logfile) + textwrap.dedent("""\
		def stopped():
			with open({logfile!r}) as flog:
				recs = [ln.split() for ln in flog]
			ended = {{rec[1] for rec in recs if rec[2] == 'E'}}
			return any(rec[2] == 'S' and rec[1] not in ended and not os.path.exists('/proc/' + rec[1])
				for rec in recs if rec[0] != {name!r})
		log('S')
		time.sleep({delay})
		buf = b'1' * ({mb} << 20)
		log('A')
		deadline = time.monotonic() + {seconds}
		while not stopped() and time.monotonic() < deadline:
			time.sleep(0.02)
		time.sleep(0.3)
		log('E')
		""").format(name=name, logfile=logfile, mb=mb, delay=delay, seconds=seconds)


@NEEDS_PSUTIL
class TestMemoryBursts(MpeTestCase):
	"""A burst never starts more than memlimit allows once the first job's demand is known; group
	postponement stops the most recently started of jobs of equal memory first"""

	def test_jobs_of_unknown_demand_wait_for_the_first_of_their_kind(self):
		"""Four jobs filling 300 MB over 0.4 s, memlimit 0.5 GB: one at a time, none postponed (a sample
		during the first job's start-up does not count as its demand)"""
		pool = self.newPool(4, memlimit=0.5)
		log = self.path('log')
		starts = []
		jobs = [Job('f{}'.format(i), args=pyjob(FILL_LOGGED('f{}'.format(i), log, 300, 0.1, pause=0.04)), onstart=starts.append)
			for i in range(4)]
		with contextlib.redirect_stderr(io.StringIO()) as err:
			for job in jobs:
				pool.execute(job)
			self.assertEqual((len(pool._workers), len(pool._jobs)), (1, 3))
			self.assertTrue(pool.join(60))
		self.assertEqual((pool.jobsdone, pool.failures), (4, []), err.getvalue())
		self.assertEqual(sorted(job.name for job in starts), ['f0', 'f1', 'f2', 'f3'], err.getvalue())  # None postponed
		self.assertNotIn('group memory limit', err.getvalue())
		runs = {}
		for _, pid, event, tm in readLog(log):
			runs.setdefault(pid, {})[event] = tm
		self.assertEqual(maxOverlap([(run['A'], run['E']) for run in runs.values()]), 1)
		self.assertGreater(max(job.mempeak for job in jobs), 0.29)

	def test_the_first_of_a_kind_is_awaited_unless_the_size_is_declared(self):
		"""Kind = category: once 'x' showed its demand, 'y1', the first of its kind, starts on a guess and
		fills 120 MB over 1.2 s; 'y3' that declares its size (memlim) starts at once, 'y2' of unknown
		demand waits until one of them stopped growing"""
		pool = self.newPool(4, memlimit=0.5)
		log = self.path('log')
		x = Job('x', args=pyjob(SLEEP(2)), category='x')
		y1 = Job('y1', args=pyjob(FILL_LOGGED('y1', log, 120, 0.3, steps=24)), category='y')
		y3 = Job('y3', args=pyjob(FILL_LOGGED('y3', log, 60, 0.3, steps=24)), category='y', memlim=0.1)
		y2 = Job('y2', args=pyjob(ALLOC_LOGGED('y2', log, 5, 0.1)), category='y')
		with contextlib.redirect_stderr(io.StringIO()) as err:
			for job in (x, y1, y3, y2):
				pool.execute(job)
			self.assertEqual(len(pool._workers), 1)  # x starts up: its demand is unknown
			self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, 4, err.getvalue())
		events = {(name, event): tm for name, _, event, tm in readLog(log)}
		self.assertLess(events['y3', 'S'], events['y1', 'F'])
		self.assertGreater(events['y2', 'S'], min(events['y1', 'F'], events['y3', 'F']))

	def test_group_postponement_of_equal_jobs_stops_the_youngest_first(self):
		"""memlimit 0.5 GB, four jobs of 150 MB each: three younger ones, started 0.2 s apart, hold their
		memory, then the oldest takes its own: of equal memory, the youngest is postponed (its memory
		weighs the most by age), the oldest and the first of the younger keep running"""
		pool = self.newPool(4, memlimit=0.5)
		log = self.path('log')
		starts = []
		# old sleeps 2 s first: its samples show its start-up is over (some 10 MB), the others start beside
		# it and allocate before it does, so the sample that finds the group over memlimit sees them whole
		old = Job('old', args=pyjob(HOLD_UNTIL_A_STOP('old', log, 150, 2.)), onstart=lambda job: starts.append(
			(job.name, time.perf_counter())))
		# The young ones hold their memory until the old one allocated, whatever the load
		young = [Job('y{}'.format(i), args=pyjob(ALLOC_LOGGED('y{}'.format(i), log, 150, 2., delay=0.6)), startdelay=0.2
			, onstart=lambda job: starts.append((job.name, time.perf_counter()))) for i in range(3)]
		with contextlib.redirect_stderr(io.StringIO()) as err:
			for job in [old] + young:
				pool.execute(job)
			self.assertTrue(pool.join(60))
		self.assertEqual((pool.jobsdone, pool.failures), (4, []), err.getvalue())
		names = [name for name, _ in starts]
		self.assertEqual(names.count('old'), 1, err.getvalue())  # The oldest is never stopped
		self.assertIsNone(old.reason)
		postponed = {name for name in names if names.count(name) > 1}
		self.assertTrue(postponed, err.getvalue())
		self.assertIn('group memory limit violation', err.getvalue())
		firsts = [name for i, name in enumerate(names) if name not in names[:i]]
		self.assertEqual(set(firsts[len(firsts) - len(postponed):]), postponed, (firsts, postponed))  # The youngest


def ALLOC_AFTER_STARTS(nbytes, seconds, barrier, count, delay=0., wait=2.):
	"""Look small (the interpreter alone) until count jobs appended their pid to the file barrier (at most
	wait seconds), then delay seconds more; then hold nbytes of touched memory for seconds"""
	return textwrap.dedent('''\
		import os, time
		with open({barrier!r}, 'a') as fbar:
			fbar.write('%d\\n' % os.getpid())
		deadline = time.monotonic() + {wait}
		while time.monotonic() < deadline:
			with open({barrier!r}) as fbar:
				if len(fbar.readlines()) >= {count}:
					break
			time.sleep(0.01)
		time.sleep({delay})
		buf = b'1' * {nbytes}
		time.sleep({seconds})
		''').format(nbytes=int(nbytes), seconds=seconds, barrier=barrier, count=count, delay=delay, wait=wait)


@NEEDS_PSUTIL
class TestMemoryPostponement(MpeTestCase):
	"""The group memory limit postpones the heaviest running jobs, their memory weighed by age; a kind's
	demand learned from a postponement gates the later starts"""

	def runOriginalsGroupChained(self):
		"""The original's test_jobMemlimGroupChained (its jobs, limits and assertions), each job looking
		small until four have started (allocating at once, they would never over-commit: the start gate
		admits no more than fit), so that four start and their allocations exceed memlimit. The heaviest,
		jgms3, allocates 0.3 s after the barrier, its neighbours 0.45 s after it (the oldest at once): a
		sample that caught its allocation half done would rightly find another job heavier. Returns the
		names of the postponed jobs and the pool's stderr."""
		latency = 0.1
		worktime = latency * 10
		timeout = worktime * 2
		etimeout = (max(1, latency) + timeout) * (1 + ExecPool._KILLDELAY)
		msmall = inBytes(0.025)
		barrier = self.path('barrier')
		if os.path.exists(barrier):
			os.remove(barrier)

		def prog(nbytes, seconds, delay=0.45):
			return pyjob(ALLOC_AFTER_STARTS(nbytes, seconds, barrier, 4, delay))
		err = io.StringIO()
		with contextlib.redirect_stderr(err), self.newPool(4, latency=latency, memlimit=0.15) as xpool:
			tstart = time.perf_counter()
			jgms1 = Job('jcgroup_mem_small_1', args=prog(msmall, worktime, 0.), size=5, timeout=timeout)
			tjms2 = worktime / 3
			jgms2 = Job('jcgroup_mem_small_2s', args=prog(msmall, tjms2), size=5, timeout=timeout, onstart=mock.MagicMock())
			jgms3 = Job('jcgroup_mem_small_3g', args=prog(msmall * 1.5, worktime, 0.3), category='cat_sa', size=5
				, timeout=timeout, onstart=mock.MagicMock(), ondone=mock.MagicMock())
			jgmsp1 = Job('jcgroup_mem_small_postponed_1m', args=prog(msmall * 1.2, worktime * 1.25), category='cat_toch'
				, size=6, timeout=timeout, onstart=mock.MagicMock())
			jgmsp2 = Job('jcgroup_mem_small_postponed_2_to', args=prog(msmall * 0.8, worktime), category='cat_toch', size=4
				, timeout=worktime / 2, ondone=mock.MagicMock())
			jgmsp3 = Job('jcgroup_mem_small_postponed_3', args=prog(msmall, worktime), size=9, timeout=worktime
				, onstart=mock.MagicMock())
			jobs = (jgms1, jgms2, jgms3, jgmsp1, jgmsp2, jgmsp3)
			for job in jobs:
				xpool.execute(job)
			time.sleep(worktime / 4)
			self.assertTrue(xpool.join(etimeout))
			etime = time.perf_counter() - tstart
		trace = err.getvalue()
		self.assertLess(etime, etimeout)
		self.assertGreaterEqual(jgms1.tstop - jgms1.tstart, worktime)
		self.assertFalse(jgms1.proc.returncode)
		self.assertGreaterEqual(jgms2.tstop - jgms2.tstart, tjms2)
		self.assertFalse(jgms2.proc.returncode)
		self.assertGreaterEqual(jgms3.tstop - jgms3.tstart, worktime)
		self.assertFalse(jgms3.proc.returncode)
		if jgmsp1.tstop > jgmsp2.tstop + latency:
			self.assertLessEqual(jgmsp1.tstop - jgmsp1.tstart, timeout + latency * ExecPool._KILLDELAY)
			self.assertTrue(jgmsp1.proc.returncode)
		self.assertLessEqual(jgmsp2.tstop - jgmsp2.tstart, worktime)
		self.assertTrue(jgmsp2.proc.returncode)
		self.assertGreaterEqual(jgmsp3.tstop - jgmsp3.tstart, worktime)
		jgms2.onstart.assert_called_with(jgms2)
		jgms3.onstart.assert_called_with(jgms3)
		self.assertTrue(2 <= jgms3.onstart.call_count <= 3, (jgms3.onstart.call_count, trace))  # The heaviest: started again
		jgms3.ondone.assert_called_once_with(jgms3)
		jgmsp1.onstart.assert_called_with(jgmsp1)
		self.assertTrue(1 <= jgmsp1.onstart.call_count <= 2, trace)
		jgmsp2.ondone.assert_not_called()
		jgmsp3.onstart.assert_called_with(jgmsp3)
		self.assertTrue(1 <= jgmsp3.onstart.call_count <= 2, trace)
		return {name for name in re.findall(r'"([^"]+)" #\d+ is terminated because of the group memory limit', trace)}, trace

	def test_the_originals_group_chained_scenario(self):
		"""The heaviest job is postponed and started again, 5 runs in a row"""
		for run in range(5):
			with self.subTest(run=run):
				postponed, trace = self.runOriginalsGroupChained()
				self.assertEqual(postponed, {'jcgroup_mem_small_3g'}, trace)  # The heaviest alone

	def test_a_demand_learned_from_a_postponement_gates_the_restarts(self):
		"""Four jobs of one program look small for 0.6 s, then hold 280 MB each, memlimit 0.6 GB: all four
		start on their small look and over-commit; once some are postponed, their kind's demand is what
		its jobs held, and a postponed job starts again only when that fits: two restarts at most (two of
		them fit together), all four succeed"""
		pool = self.newPool(4, memlimit=0.6)
		log = self.path('log')
		starts = []
		restarts = []  # The demand expected of a postponed job when it starts again: at least what the others held

		def started(job):
			if job in starts:
				restarts.append(pool._jobDemand(job))
			starts.append(job)
		jobs = [Job('h{}'.format(i), args=pyjob(ALLOC_LOGGED('h{}'.format(i), log, 280, 1., delay=0.6)), onstart=started)
			for i in range(4)]
		with contextlib.redirect_stderr(io.StringIO()) as err:
			for job in jobs:
				pool.execute(job)
			self.assertTrue(pool.join(60))
		self.assertEqual((pool.jobsdone, pool.failures), (4, []), err.getvalue())
		self.assertIn('group memory limit violation', err.getvalue())
		self.assertLessEqual(len(starts), 6, ([job.name for job in starts], err.getvalue()))
		self.assertTrue(restarts)
		for demand, known in restarts:
			self.assertTrue(known)
			self.assertGreaterEqual(demand, inGigabytes(280 << 20), (restarts, err.getvalue()))
		runs = {}
		for _, pid, event, tm in readLog(log):
			runs.setdefault(pid, {})[event] = tm
		self.assertEqual(sum(1 for run in runs.values() if 'E' in run), 4)
		# The runs that completed held their memory two at a time at most
		self.assertLessEqual(maxOverlap([(run['A'], run['E']) for run in runs.values() if 'E' in run]), 2)


def WAIT_GONE(name, logfile, seconds=20.):
	"""Wait until the process that logged ('S') as name in an ALLOC_LOGGED log is gone; at most seconds"""
	return textwrap.dedent("""\
		import time
		def pidof():
			try:
				with open({logfile!r}) as flog:
					return next((int(rec[1]) for rec in (ln.split() for ln in flog) if rec[0] == {name!r}
						and rec[2] == 'S'), None)
			except OSError:
				return None
		def alive(pid):
			try:
				with open('/proc/%d/stat' % pid) as fstat:
					return fstat.read().rsplit(')', 1)[1].split()[0] != 'Z'
			except OSError:
				return False
		deadline = time.monotonic() + {seconds}
		pid = None
		while time.monotonic() < deadline:
			pid = pid or pidof()
			if pid is not None and not alive(pid):
				break
			time.sleep(0.02)
		""").format(name=name, logfile=logfile, seconds=seconds)


@NEEDS_PSUTIL
class TestMemoryChainLimits(MpeTestCase):
	"""A memory chain follows the limit that was actually broken"""

	def runExample(self, progA, progB):
		"""The example: memlimit 0.2 GB, category c, 2 workers: A (size 5) grows to 0.4 GB, B (size
		2.5, memlim 0.1) to 0.2 GB while C (size 4), D (5) and E (10) are queued; A and B are stopped
		for their own limits, A's chain cancels D and E, C (a few MB, it ends when A is gone) succeeds"""
		pool = self.newPool(2, memlimit=0.2)
		finished = []
		kw = dict(category='c', onfinish=finished.append)
		jobs = dict(
			A=Job('A', args=pyjob(progA), size=5, **kw),
			B=Job('B', args=pyjob(progB), size=2.5, memlim=0.1, **kw),
			C=Job('C', args=pyjob(WAIT_GONE('A', self.log)), size=4, **kw),
			D=Job('D', args=pyjob(SLEEP(0.1)), size=5, **kw),
			E=Job('E', args=pyjob(SLEEP(0.1)), size=10, **kw))
		with contextlib.redirect_stderr(io.StringIO()) as err:
			for job in jobs.values():
				pool.execute(job)
			self.assertTrue(pool.join(40))
		reasons = {name: job.reason for name, job in jobs.items()}
		self.assertEqual(reasons, dict(A='memory limit', B='memory limit', C=None, D='memory limit chain'
			, E='memory limit chain'), err.getvalue())
		self.assertEqual((pool.jobsdone, sorted(info.name for info in pool.failures)), (1, ['A', 'B', 'D', 'E']))
		self.assertEqual(jobs['C'].proc.returncode, 0)
		self.assertEqual(sorted(job.name for job in finished), sorted(jobs))
		self.assertEqual([(job.proc, job.tstart) for job in (jobs['D'], jobs['E'])], [(None, None)] * 2)  # Never started
		self.assertTrue(all(job.tstop is not None for job in jobs.values()))
		for name in 'DE':
			self.assertIn('"{}" is canceled by memory limit chain from "A"'.format(name), err.getvalue())
		self.assertNotIn('chain from "B"', err.getvalue())
		return err.getvalue()

	def test_a_memlim_breaker_condemns_only_relatives_under_that_memlim(self):
		"""The example as specified: A and B break their limits in any order, or in one sample"""
		self.log = self.path('log')
		self.runExample(ALLOC_LOGGED('A', self.log, 400, 20, delay=0.6), ALLOC_LOGGED('B', self.log, 200, 20, delay=0.3))

	def test_the_example_with_b_postponed_first(self):
		"""The example when B, holding 60 MB, is first postponed for the group limit while A grows slowly:
		the queued relatives that inherit B's estimate are still judged by their size, D and E canceled"""
		self.log = log = self.path('log')
		progB = LOGGER('B', log) + textwrap.dedent("""\
			log('S')
			with open({log!r}) as flog:
				rerun = sum(1 for ln in flog if ln.startswith('B ')) > 1
			buf = b'1' * (200 << 20 if rerun else 60 << 20)
			""").format(log=log) + WAIT_GONE('A', log) + "more = b'1' * (200 << 20)\n"
		err = self.runExample(FILL_LOGGED('A', log, 400, 20, delay=1., steps=40), progB)
		self.assertIn('"B" #', err)
		self.assertIn('group memory limit violation', err)

	def test_origins_of_one_sample_are_not_chained(self):
		"""Jobs that break their limits in the same sample are all origins: a heavier one is never taken
		for a job chained by a lighter relative (three pairs, as the order of a sample's jobs is arbitrary)"""
		pool = self.newPool(6, latency=1., cgroups=False)  # The first sample, after 1 s, finds every job over its memlim
		jobs = []
		for cat in 'xyz':
			jobs.append(Job(cat + '1', args=pyjob(ALLOC(60, 20)), category=cat, size=1, memlim=0.03))
			jobs.append(Job(cat + '2', args=pyjob(ALLOC(90, 20)), category=cat, size=2, memlim=0.03))
		with contextlib.redirect_stderr(io.StringIO()) as err:
			for job in jobs:
				pool.execute(job)
			self.assertTrue(pool.join(40))
		self.assertEqual({job.name: job.reason for job in jobs}, {job.name: 'memory limit' for job in jobs}
			, err.getvalue())
		self.assertNotIn('chain', err.getvalue())


def txtRow(lines, name):
	"""{column: value} of the row of name in a table of a Web UI txt page (columns cut at its dashes)"""
	for i, line in enumerate(lines[1:], 1):
		if line.startswith('--') and set(line) <= {'-', ' '}:
			spans = [m.span() for m in re.finditer(r'-+', line)]
			header = [lines[i - 1][a:b].strip() for a, b in spans]
			for row in lines[i + 1:]:
				if not row.strip():
					break
				if row[spans[0][0]:spans[0][1]].strip() == name:
					return {col: row[a:b].strip() for col, (a, b) in zip(header, spans)}
	raise AssertionError('no row {!r} in {}'.format(name, lines))


class TestNeverStarted(MpeTestCase):
	"""A job canceled before it started keeps tstart None, its tstop set; reports and the Web UI show
	its start as '-'"""

	def cancelPaths(self, seen):
		"""Run each cancel path of a queued job in a 1-worker pool; return {reason: the canceled job}"""
		pool = self.newPool(1)
		canceled = {}

		def run(running, queued, reason, after=None):
			for job in (running, queued):
				job.onfinish = mpepool._bindCallback(lambda job: seen.append((job.name, job.tstart, job.proc)), job
					, 'onfinish')
				pool.execute(job)
			self.assertIs(pool._jobs[0], queued)
			if after is not None:
				after()
			else:
				self.assertTrue(pool.join(30))
			self.assertEqual(queued.reason, reason)
			canceled[reason] = queued

		run(Job('t1', args=pyjob(SLEEP(20)), category='t', size=1, timeout=0.2)
			, Job('t2', args=pyjob(SLEEP(0.1)), category='t', size=2), 'timeout chain')
		if mpepool._LIMIT_WORKERS_RAM:
			run(Job('m1', args=pyjob(ALLOC(60, 20)), category='m', size=1, memlim=0.03)
				, Job('m2', args=pyjob(SLEEP(0.1)), category='m', size=2, memlim=0.03), 'memory limit chain')
		task = Task('tt', timeout=0.2)
		run(Job('k1', args=pyjob(SLEEP(20)), task=task), Job('k2', args=pyjob(SLEEP(0.1)), task=task), 'task timeout')
		again = Job('again', args=pyjob(EXIT(0)))  # Ran once: executed again, its new run never starts
		pool.execute(again)
		self.assertTrue(pool.join(30))
		self.assertIsNotNone(again.tstart)
		run(Job('p1', args=pyjob(SLEEP(20))), again, 'pool termination', after=pool.terminate)
		return pool, canceled

	def test_every_cancel_path_keeps_tstart_none(self):
		seen = []
		with contextlib.redirect_stderr(io.StringIO()) as err:
			pool, canceled = self.cancelPaths(seen)
		for reason, job in canceled.items():
			self.assertIsNone(job.tstart, reason)
			self.assertIsNotNone(job.tstop, reason)
			self.assertIsNone(job.proc, reason)
			self.assertIn((job.name, None, None), seen)  # onfinish saw a job that never started
			self.assertIn('Completed (ABNORMALLY) "{}" #- with errcode - ({}), never started'.format(job.name, reason)
				, self.out.getvalue())
		infos = {info.name: info for info in pool.failures}
		for job in canceled.values():
			info = infos[job.name]
			self.assertEqual((info.tstart, info.duration), (None, None))
			self.assertIsNotNone(info.tstop)
			self.assertEqual(infodata(info, ['name', 'tstart', 'duration']), (job.name, '-', '-'))
		# The failure reports show '-' for the start and the duration of the canceled jobs
		props = JobInfo._xprops.split()
		report = self.out.getvalue() + err.getvalue()
		for job in canceled.values():
			row = next(line.split() for line in report.splitlines() if line.split()[:1] == [job.name])
			self.assertEqual(props[-1], 'duration')  # After reason, which may hold spaces
			self.assertEqual([row[props.index('tstart')], row[-1]], ['-', '-'], row)
		started = [info for info in pool.failures if info.name not in {job.name for job in canceled.values()}]
		self.assertTrue(started)
		self.assertTrue(all(info.tstart is not None and info.duration >= 0 for info in started))

	def test_the_web_ui_shows_a_never_started_job(self):
		"""JSON null, '-' in txt, an htm page and a timeline without a bar for it, through the server"""
		if mpewui is None:
			self.skipTest('bottle is not installed: the Web UI is not available')
		app = mpewui.WebUiApp(host='127.0.0.1', port=0)
		try:
			pool = self.newPool(1, webuiapp=app)
			ran = Job('ran', args=pyjob(SLEEP(20)))
			pool.execute(ran)
			pool.execute(Job('never', args=pyjob(SLEEP(0.1))))
			with contextlib.redirect_stderr(io.StringIO()):
				pool.terminate()
			self.assertTrue(waitUntil(lambda: uiJson(app, '/?fmt=json')['pool']['state'] == 'terminated', 5.))
			for path, table in (('/?fmt=json', 'jobsInfo'), ('/jobs?fmt=json', 'doneInfo')):
				header, *rows = uiJson(app, path)[table]
				recs = {row[header.index('name')]: dict(zip(header, row)) for row in rows}
				self.assertEqual((recs['never']['tstart'], recs['never']['duration']), (None, None), path)
				self.assertIsNotNone(recs['ran']['tstart'])
				self.assertGreaterEqual(recs['ran']['duration'], 0)
			for path in ('/?fmt=txt', '/jobs?fmt=txt'):
				status, _, body, _ = uiGet(app, path)
				self.assertEqual(status, 200)
				lines = body.splitlines()
				row = txtRow(lines, 'never')
				self.assertEqual([row['tstart'], row['duration']], ['-', '-'], path)
				self.assertNotEqual(txtRow(lines, 'ran')['tstart'], '-', path)
			status, _, timeline, _ = uiGet(app, '/jobs')
			self.assertEqual(status, 200)
			bars = re.findall(r'<rect [^>]*class="bar [^>]*>\s*<title>([^<:]*):', timeline)
			self.assertEqual(bars, ['ran'], timeline[-3000:])
		finally:
			app.stop()


class TestMemoryQueue(MpeTestCase):
	"""The queue: wkslim order, deque operations, lazy chained postponement, no O(n^2) path"""

	@staticmethod
	def job(name, wkslim=None, category=None, size=0, mem=0.):
		job = Job(name, category=category, size=size)
		job.wkslim = wkslim
		job.mem = mem
		return job

	def names(self, queue):
		return [job.name for job in queue]

	def test_order_and_deque_operations(self):
		queue = mpepool._JobQueue()
		self.assertFalse(queue)
		with self.assertRaises(IndexError):
			queue.popleft()
		with self.assertRaises(IndexError):
			queue[0]
		for name, wkslim in (('a', 4), ('p2', 2), ('b', 4), ('p3', 3), ('q2', 2)):
			queue.append(self.job(name, wkslim))
		queue.append(self.job('r2', 2), priority=True)  # Front of its group
		queue.appendleft(self.job('s3', 3))
		self.assertEqual(self.names(queue), ['a', 'b', 's3', 'p3', 'r2', 'p2', 'q2'])
		self.assertEqual((len(queue), queue[0].name, queue[-1].name, queue[3].name), (7, 'a', 'q2', 'p3'))
		self.assertEqual(queue.popleft().name, 'a')
		kept = [job for job in queue if job.name != 'p3']
		queue.clear()
		queue.extend(kept)  # As the pool's cancellation rebuilds it
		self.assertEqual(self.names(queue), ['b', 's3', 'r2', 'p2', 'q2'])
		queue.remove(kept[1])
		self.assertNotIn(kept[1], queue)
		self.assertIn(kept[0], queue)
		self.assertEqual([queue.popleft().name for _ in range(len(queue))], ['b', 'r2', 'p2', 'q2'])
		self.assertFalse(queue)
		plain = mpepool._JobQueue([self.job('x'), self.job('y')])  # No memlimit: FIFO
		self.assertEqual(self.names(plain), ['x', 'y'])

	def test_chained_postponement(self):
		"""The heavier relatives queued before a postponed job follow it and inherit its estimate"""
		queue = mpepool._JobQueue()
		for name, size in (('c1', 1), ('c3', 3), ('d5', 5), ('c4', 4)):
			queue.append(self.job(name, 4, category=name[0], size=size, mem=0.01 if name == 'c4' else 0.))
		origin = self.job('c2', 2, category='c', size=2, mem=0.5)
		queue.append(origin)
		queue.sink(origin)
		queue.append(self.job('c9', 4, category='c', size=9))  # Queued later: not affected
		order = [queue.popleft() for _ in range(len(queue))]
		self.assertEqual([job.name for job in order], ['c1', 'd5', 'c9', 'c2', 'c3', 'c4'])
		self.assertEqual({job.name: (job.wkslim, job.mem) for job in order if job.category == 'c'}
			, dict(c1=(4, 0.), c9=(4, 0.), c2=(2, 0.5), c3=(2, 0.5), c4=(2, 0.5)))

	def test_100000_jobs_with_memlimit_enqueue_in_linear_time(self):
		pool = ExecPool(1, memlimit=1.) if mpepool._LIMIT_WORKERS_RAM else ExecPool(1)
		with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
			try:
				pool.execute(Job('blocker', args=pyjob(SLEEP(30))))
				costs = {}
				for njobs in (10000, 100000):
					jobs = [Job('q{}'.format(i), args=('true',), category=i % 7, size=1 + i % 13) for i in range(njobs)]
					t0 = time.perf_counter()
					for job in jobs:
						pool.execute(job)
					costs[njobs] = time.perf_counter() - t0
					self.assertEqual(len(pool._jobs), njobs)
					self.assertIs(pool._jobs[0], jobs[0])
					pool._jobs.clear()
			finally:
				pool.terminate()
		self.assertLess(costs[100000], 5.)  # ~0.4 s unloaded; the benchmark holds the 1 s target
		self.assertLess(costs[100000] / 100000, 2. * costs[10000] / 10000)


class TestMemoryInput(MpeTestCase):
	"""Bad memory parameters raise naming the parameter and the value; the defaults"""

	def test_bad_values(self):
		for kwargs, exc, words in (
				(dict(memlimit=-1), ValueError, 'memlimit.*-1'),
				(dict(memlimit=float('inf')), ValueError, 'memlimit.*inf'),
				(dict(memlimit=float('nan')), ValueError, 'memlimit.*nan'),
				(dict(memlimit='4'), TypeError, "memlimit.*'4'"),
				(dict(latency=-0.5), ValueError, 'latency.*-0.5'),
				(dict(latency=float('inf')), ValueError, 'latency.*inf')):
			with self.assertRaisesRegex(exc, words, msg=kwargs):
				ExecPool(1, **kwargs)
		for kwargs, exc, words in (
				(dict(memkind=3), ValueError, 'memkind.*3'),
				(dict(memkind=True), ValueError, 'memkind.*True'),
				(dict(memlim=-0.5), ValueError, 'memlim.*-0.5'),
				(dict(memlim=float('inf')), ValueError, 'memlim.*inf'),
				(dict(memlim='1'), TypeError, "memlim.*'1'")):
			with self.assertRaisesRegex(exc, words, msg=kwargs):
				Job('bad', **kwargs)

	@NEEDS_PSUTIL
	def test_memlim_above_the_pool_memlimit_and_clamping(self):
		pool = self.newPool(1, memlimit=0.5)
		job = Job('greedy', args=('true',), memlim=0.75)
		with self.assertRaisesRegex(ValueError, 'memlim.*greedy.*0.5.*0.75'):
			pool.execute(job)
		self.assertFalse(pool._jobs or pool._workers)
		self.assertEqual(pool.latency, mpepool._MEM_PERIOD)  # latency=0: the automatic sampling period
		self.assertEqual(self.newPool(1, latency=1.5)._memperiod, 1.5)
		with contextlib.redirect_stderr(io.StringIO()) as err:
			huge = self.newPool(1, memlimit=mpepool._RAM_SIZE * 4)
		self.assertEqual(huge.memlimit, mpepool._RAM_LIMIT)
		self.assertIn('reduced to the RAM limit', err.getvalue())


class TestMemoryWithoutPsutil(MpeTestCase):
	"""Without psutil the module imports, jobs run, and each pool says once that memory constraints are off"""

	def test_hidden_psutil(self):
		res = self.runScript('''\
			import sys
			sys.modules['psutil'] = None
			import mpepool
			from mpepool import ExecPool, Job
			assert mpepool.psutil is None and not mpepool._LIMIT_WORKERS_RAM
			for name in ('one', 'two'):
				pool = ExecPool(2, memlimit=0.5, name=name, cgroups=False)  # With a cgroup the kernel enforces memlim
				jobs = [Job(name + str(i), args=(sys.executable, '-c', 'b = b"1" * (20 << 20)'), memlim=0.01, memkind=2
					, category='c', size=i) for i in range(3)]
				for job in jobs:
					pool.execute(job)
				print('JOINED', name, pool.join(20), pool.jobsdone, pool.memlimit, len(pool._memtrace)
					, [job._updateMem() for job in jobs], [job.reason for job in jobs])
			quiet = ExecPool(1)
			quiet.execute(Job('nolimit', args=('true',)))
			print('QUIET', quiet.join(10))
			''')
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertIn('JOINED one True 3 0.0 0 [0, 0, 0] [None, None, None]', res.stdout)
		self.assertIn('JOINED two True 3 0.0 0 [0, 0, 0] [None, None, None]', res.stdout)
		self.assertIn('QUIET True', res.stdout)
		self.assertEqual(res.stderr.count('memory constraints are disabled'), 2, res.stderr)
		self.assertEqual(res.stderr.count('WARNING one, memory constraints are disabled'), 1)


	@unittest.skipIf(os.environ.get('MPEPOOL_HIDE_PSUTIL'), 'already running without psutil')
	def test_the_suite_without_psutil(self):
		"""The tests of the pool, the tasks, the compatibility, the command line and the Web UI server pass
		with psutil hidden (MPEPOOL_HIDE_PSUTIL=1 hides it for the whole suite)"""
		env = dict(os.environ, MPEPOOL_HIDE_PSUTIL='1')
		# Two halves at once: most of these tests wait on their jobs, so two runs share the cores well
		runs = [subprocess.Popen((PYEXEC, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', os.path.join(REPO
			, 'mpetests.py'), '-k', classes), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO
			, env=env) for classes in ('TestExecPool or TestTasks or TestCompatibility'
			, 'TestTermination or TestCliRun or TestWebUIServer')]
		for proc in runs:
			self.addCleanup(proc.wait)
			self.addCleanup(proc.kill)  # A no-op once it ended
		for proc in runs:
			out = proc.communicate(timeout=300)[0]
			self.assertEqual(proc.returncode, 0, out[-3000:])
			self.assertRegex(out, r'\b[1-9]\d passed')

# === Web UI ==========================================================================================
# A real threaded server on 127.0.0.1 (free ports), attached to real pools whose join() runs in a helper
# thread so that snapshots keep coming while the test queries; headless Chromium and w3m when installed.

NOBOTTLE = 'bottle is not installed: the Web UI is not available'
CHROMIUM = shutil.which('chromium') or shutil.which('chromium', path=os.defpath)  # /usr/bin when PATH lacks it
W3M = shutil.which('w3m')
XSS = '<script>alert(1)</script>'
UIROUTES = ('/', '/jobs', '/tasks', '/apinfo')
# Where the browser tests save their screenshots (git-ignored)
ARTIFACTS = os.path.join(REPO, 'artifacts', 'webui')


def uiAuth(app):
	"""The headers that carry app's token (as a script sends it)"""
	return {'Authorization': 'Bearer ' + app.token} if app.token else {}


def uiUrl(app, route):
	"""The URL of app's route with the token in its query string (as a user opens it: the server sets its
	cookie and redirects to the URL without it)"""
	return 'http://127.0.0.1:{}{}{}'.format(app.port, route, '{}token={}'.format('&' if '?' in route else '?'
		, app.token) if app.token else '')


def uiGet(app, path, timeout=10., headers=None):
	"""GET app's path with its token -> (status, content type, body str, seconds)"""
	tstart = time.perf_counter()
	conn = http.client.HTTPConnection('127.0.0.1', app.port, timeout=timeout)
	try:
		conn.request('GET', path, headers=dict(uiAuth(app), **(headers or {})))
		resp = conn.getresponse()
		body = resp.read().decode('utf-8', 'replace')
		return resp.status, resp.getheader('Content-Type', ''), body, time.perf_counter() - tstart
	finally:
		conn.close()


def uiJson(app, path):
	"""The parsed JSON of app's path (asserting 200)"""
	status, ctype, body, _ = uiGet(app, path)
	if status != 200 or not ctype.startswith('application/json'):
		raise AssertionError('{} -> {} {}: {}'.format(path, status, ctype, body[:300]))
	return json.loads(body)


def chromium(url, shot, tmpdir, size='1280,1800'):
	"""Render url in headless Chromium: save a screenshot to shot, return the DOM"""
	cmd = (CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'
		, '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars'
		, '--user-data-dir=' + os.path.join(tmpdir, 'chromium'), '--window-size=' + size, '--dump-dom'
		, '--screenshot=' + shot, url)
	res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
	return res.stdout


class UiPoolRun(object):
	"""A pool with a Web UI whose join() runs in a helper thread until release()

	A sentinel job holds a worker slot until a flag file appears; its onfinish terminates the pool when
	asked, so the helper thread's join() returns and the pool's processes are gone.
	"""

	def __init__(self, tmpdir, wksnum=3, name='wui', memlimit=0.):
		self.app = WebUiApp(host='127.0.0.1', port=0, name='WebUI-test')
		self.pool = ExecPool(wksnum, webuiapp=self.app, name=name, memlimit=memlimit)
		self.flag = os.path.join(tmpdir, 'release-{}'.format(id(self)))
		self.terminate = True
		self.thread = None
		self.result = None

	def sentinel(self, task=None):
		"""The job that keeps the pool busy until release()"""
		return Job('sentinel', args=pyjob('import os, time\nwhile not os.path.exists({!r}): time.sleep(0.02)'
			.format(self.flag)), task=task, onfinish=lambda job: self.terminate and self.pool.terminate())

	def join(self, timeout=120):
		"""Start joining the pool in the helper thread"""
		def run():
			self.result = self.pool.join(timeout)
		self.thread = threading.Thread(target=run, name='pool-join', daemon=True)
		self.thread.start()

	def release(self, terminate=True):
		"""End the sentinel (terminating the pool if asked), wait for the join, stop the server"""
		self.terminate = terminate
		with open(self.flag, 'w'):
			pass
		if self.thread is not None:
			self.thread.join(60)
			assert not self.thread.is_alive(), 'join() did not return after the release'
		if self.pool.alive and terminate:
			self.pool.terminate()
		self.app.stop()


def busyPool(tmpdir, nqueued=1000, memlimit=0.5):
	"""A pool under a Web UI with failed jobs in nested tasks, 3 running jobs and nqueued queued ones"""
	run = UiPoolRun(tmpdir, name='busy <i>pool</i>', memlimit=memlimit)
	pool = run.pool
	root = Task('Root')
	sub = Task('Sub', task=root)
	leaf = Task('Leaf', task=sub)
	other = Task('Other')
	pool.execute(Job('ok1', args=pyjob(EXIT(0)), task=leaf, category='cat2'))
	pool.execute(Job('bad1', args=pyjob(EXIT(1)), task=leaf, category='cat1'))
	pool.execute(Job('bad2', args=pyjob(EXIT(2)), task=sub, category='cat4', size=7))
	pool.execute(Job(XSS, args=pyjob(EXIT(3)), category='cat3'))
	pool.execute(Job('slow', args=pyjob(SLEEP(10)), timeout=0.4, category='cat1'))
	pool.execute(Job('ok2', args=pyjob(EXIT(0))))
	pool.execute(run.sentinel(task=other))
	pool.execute(Job('long1', args=('sleep', '30'), task=other, category='cat1'))
	pool.execute(Job('long2', args=('sleep', '30'), category='cat2', timeout=60))
	for i in range(nqueued):
		pool.execute(Job('q{}'.format(i), args=('sleep', '30'), task=(leaf, other, None)[i % 3]
			, category='cat{}'.format(i % 5 + 1), size=i))
	run.join()
	if not waitUntil(lambda: (lambda d: d['progress']['running'] == 3 and d['progress']['queued'] == nqueued
	and d['progress']['failed'] >= 4)(uiJson(run.app, '/jobs?fmt=json')), 30., 0.05):
		run.release()
		raise AssertionError('the busy state was not reached: {}'.format(uiJson(run.app, '/jobs?fmt=json')))
	return run


@unittest.skipIf(mpewui is None, NOBOTTLE)
class TestWebUIParse(MpeTestCase):
	"""Query parsing and formatting, without a server"""

	def test_dhmsSec(self):
		dhms = ResultOptions.dhmsSec
		self.assertEqual([dhms(s) for s in ('10', '1m', '1m5.782', '1h2m5', '2d2h', '1d0h0m2')]
			, [10, 60, 65.782, 3725, 180000, 86402])
		self.assertAlmostEqual(dhms('2d5h12.8'), 2 * 86400 + 5 * 3600 + 12.8)
		self.assertAlmostEqual(dhms('10d2h15.7'), 10 * 86400 + 2 * 3600 + 15.7)
		for bad in ('', 'd', '1x', '1h1d', '-5', '1.2.3', '5m1h'):
			with self.assertRaises(ValueError, msg=bad):
				dhms(bad)

	def test_filter_syntax(self):
		flt = ResultOptions.parseFilter('rcode*:-15|duration:1.5..10d2h15.7|task|category*:cat1..cat5|tstart:1h2m5..')
		self.assertEqual(list(flt), ['rcode', 'duration', 'task', 'category', 'tstart'])
		self.assertEqual(flt['rcode'], mpewui.UiResFilterVal(-15, None, True))
		self.assertEqual(flt['duration'].beg, 1.5)
		self.assertAlmostEqual(flt['duration'].end, 10 * 86400 + 2 * 3600 + 15.7)
		self.assertIsNone(flt['task'])
		self.assertEqual(flt['category'], mpewui.UiResFilterVal('cat1', 'cat5', True))
		self.assertEqual(flt['tstart'], mpewui.UiResFilterVal(3725, float('inf'), False))
		self.assertEqual(ResultOptions.parseFilter('duration*:..2d5h12.8')['duration'].end, 190812.8)  # DHMS with *
		for bad, name in (('nope:1', 'nope'), ('pid:abc', 'pid'), ('duration:1x', 'duration'), ('code:1.5', 'code')
		, ('task*', 'task'), ('name:', 'name')):
			with self.assertRaises(ValueError) as ctx:
				ResultOptions.parseFilter(bad)
			self.assertIn(name, str(ctx.exception))

	def test_options(self):
		opts = ResultOptions({'fmt': 'json', 'cols': 'pid,duration', 'lim': '7', 'refresh': '3'})
		self.assertEqual((opts.fmt, opts.cols, opts.lim, opts.refresh), (UiResFmt.json, ['pid', 'duration'], 7, 3))
		opts = ResultOptions({})
		self.assertEqual((opts.fmt, opts.cols, opts.lim, opts.refresh, opts.fltopts), (UiResFmt.htm, None, 50, None
			, {}))
		for qdict, name in (({'fmt': 'xml'}, 'fmt'), ({'cols': 'pid,bogus'}, 'cols'), ({'lim': '-1'}, 'lim')
		, ({'lim': 'x'}, 'lim'), ({'refresh': '2s'}, 'refresh'), ({'colz': 'x'}, 'colz')):
			with self.assertRaises(ValueError) as ctx:
				ResultOptions(qdict)
			self.assertIn(name, str(ctx.exception))

	def test_subpackage(self):
		"""mpewui imports as a module of a package (next to mpepool and views/) and finds its own views"""
		tmp = tempfile.mkdtemp(prefix='mpetests-wuipkg-')
		try:
			pkg = os.path.join(tmp, 'utils')
			os.mkdir(pkg)
			open(os.path.join(pkg, '__init__.py'), 'w').close()
			for name in ('mpepool.py', 'mpewui.py'):
				shutil.copy(os.path.join(REPO, name), pkg)
			shutil.copytree(os.path.join(REPO, 'views'), os.path.join(pkg, 'views'))
			code = textwrap.dedent('''\
				import io, contextlib, urllib.request
				from utils.mpepool import ExecPool, Job
				from utils.mpewui import WebUiApp
				app = WebUiApp(host='127.0.0.1', port=0)
				with contextlib.redirect_stdout(io.StringIO()):
					with ExecPool(1, webuiapp=app, name='sub') as pool:
						pool.execute(Job('one', args=('true',)))
						pool.join(30)
				req = urllib.request.Request(app.url.partition('?')[0] + 'jobs', headers={'Authorization': 'Bearer '
					+ app.token})
				body = urllib.request.urlopen(req).read().decode()
				assert '<!DOCTYPE html>' in body and 'one' in body, body[:500]
				app.stop()
				print('ok')
				''')
			res = subprocess.run((PYEXEC, '-c', code), capture_output=True, text=True, timeout=60, cwd=tmp
				, env=dict(os.environ, PYTHONPATH=tmp))
			self.assertEqual(res.stdout.strip(), 'ok', res.stderr[-2000:])
		finally:
			shutil.rmtree(tmp, ignore_errors=True)

	def test_formatting(self):
		self.assertEqual([mpewui._fmtDuration(s) for s in (None, 0.0004, 0.85, 12.44, 122, 7500, 3 * 86400 + 4 * 3600)]
			, ['', '0 ms', '850 ms', '12.4 s', '2m 02s', '2h 05m', '3d 04h'])
		self.assertEqual([mpewui._fmtMem(g) for g in (None, 0, 740 / 1024.**2, 12.3 / 1024, 1.25)]
			, ['', '0', '740 KB', '12.3 MB', '1.25 GB'])

	def test_names(self):
		"""The mpewui names of the original's interface"""
		self.assertEqual(mpewui.UiResOpt.lim, 4)
		self.assertEqual([c.name for c in mpewui.UiCmdId], ['FAILURES', 'LIST_JOBS', 'LIST_TASKS', 'API_MANUAL'])
		self.assertEqual([f.name for f in UiResFmt], ['json', 'htm', 'txt'])
		self.assertEqual([c.name for c in mpewui.UiResCol][:13], 'category rcode duration memkind memsize name'
			' numadded numdone numterm pid task tstart tstop'.split())
		self.assertEqual(list(mpewui.SummaryBrief(workers=2, jobs=1).json()), ['workers', 'jobs', 'jobsDone'
			, 'jobsFailed', 'tasks', 'tasksFailed', 'tasksRoot', 'tasksRootFailed'])
		cmd1, cmd2 = mpewui.UiCmd(None), mpewui.UiCmd(mpewui.UiCmdId.FAILURES)
		cmd1.data['x'] = 1
		self.assertEqual(cmd2.data, {})  # No shared mutable default
		for attr in ('RAM', 'LCPUS', 'CPUCORES', 'CPUNODES', 'WKSMAX'):
			self.assertTrue(hasattr(WebUiApp, attr))
		with self.assertRaises(ValueError):
			WebUiApp(port=70000)


class BusyPoolCase(MpeTestCase):
	"""A Web UI attached to a busy pool (busyPool with NQUEUED queued jobs), shared by the tests of a class
	(cls.busy, cls.app; its folder cls.busyTmp): made by setUpClass, which registers its clean-up"""
	NQUEUED = 1000

	@classmethod
	def setUpClass(cls):
		cls.busyTmp = tempfile.mkdtemp(prefix='mpetests-wui-')
		cls.addClassCleanup(shutil.rmtree, cls.busyTmp, True)
		if not os.environ.get('MPETESTS_VERBOSE'):
			quiet = contextlib.redirect_stdout(io.StringIO())
			quiet.__enter__()
			cls.addClassCleanup(quiet.__exit__, None, None, None)
		cls.busy = busyPool(cls.busyTmp, nqueued=cls.NQUEUED)
		cls.addClassCleanup(cls.releaseBusy)
		cls.app = cls.busy.app
		cls.sharedPrefixes = (cls.busy.pool._prefix,)  # Its jobs run on during the tests

	@classmethod
	def releaseBusy(cls):
		cls.busy.release()
		if cls.app.is_alive():
			raise AssertionError('the Web UI thread is still alive after stop()')
		noJobsLeft(10.)




@unittest.skipIf(mpewui is None, NOBOTTLE)
class TestWebUIServer(BusyPoolCase):
	"""Routes, formats, filters and safety against a pool running 3 jobs with 1,000 queued"""

	def get(self, path):
		return uiGet(self.app, path)

	def test_routes_formats(self):
		"""Every route in every format: status, content type and content"""
		for route in UIROUTES:
			for fmt in ('htm', 'json', 'txt'):
				status, ctype, body, _ = self.get('{}?fmt={}'.format(route, fmt))
				self.assertEqual(status, 200, (route, fmt, body[:300]))
				if fmt == 'json':
					self.assertTrue(ctype.startswith('application/json'), ctype)
					data = json.loads(body)
					if route != '/apinfo':
						self.assertEqual(data['pool']['name'], 'busy <i>pool</i>')
						self.assertEqual(data['lim'], 50)
						self.assertEqual(data['summary']['jobs'], 1000)
						self.assertEqual(data['summary']['workers'], 3)
						self.assertNotIn('4', data)  # The limit is reported as lim, not under the enum value
					else:
						self.assertIn('flt', data['params'])
						self.assertIn('tasksInfo', ''.join(data['json']))
				elif fmt == 'txt':
					self.assertTrue(ctype.startswith('text/plain'), ctype)
					self.assertNotRegex(body, r'<(html|table|td|div|svg)\b')
				else:
					self.assertTrue(ctype.startswith('text/html'), ctype)
					self.assertIn('</html>', body)
		# Page contents
		data = uiJson(self.app, '/?fmt=json')
		plain = {row[0] for row in data['jobsInfo'][1:]}
		self.assertEqual(plain, {XSS, 'slow'})
		tree = [r for r in data['tasksInfo'] if r['compound'] is None]
		names = [r['data'][0] for r in tree]
		self.assertEqual(names, ['Root', 'Sub', 'bad2', 'Leaf', 'bad1'])  # Each task once, nested
		self.assertEqual([r['ident'] for r in tree], [0, 1, 2, 2, 3])
		slow = [row for row in data['jobsInfo'][1:] if row[0] == 'slow'][0]
		self.assertIn('killed', slow)
		self.assertIn('timeout', slow)
		data = uiJson(self.app, '/jobs?fmt=json')
		self.assertEqual({r[0] for r in data['workersInfo'][1:]}, {'sentinel', 'long1', 'long2'})
		self.assertEqual([r[0] for r in data['jobsInfo'][1:4]], ['q0', 'q1', 'q2'])
		self.assertEqual(data['jobsInfoMatched'], 1000)
		hdr = data['workersInfo'][0]
		for row in data['workersInfo'][1:]:
			self.assertIsInstance(row[hdr.index('pid')], int)
			self.assertIsInstance(row[hdr.index('tstart')], float)
			self.assertLess(abs(row[hdr.index('tstart')] - time.time()), 120)  # Wall clock, not perf_counter
		data = uiJson(self.app, '/tasks?fmt=json')
		tasks = [r['data'][0] for r in data['tasksInfo'] if r['compound'] is None and r['ident'] == 0]
		self.assertIn('Other', tasks)
		body = self.get('/jobs?fmt=txt')[2]
		self.assertRegex(body, r'(?m)^name\s+task\s+category\s+pid')
		self.assertRegex(body, r'(?m)^long1\s+Other\s+cat1\s+\d+')

	def test_filter_examples(self):
		"""The examples of the API page answer, and filters select what they say"""
		for example in mpewui._API_EXAMPLES:
			status, _, body, _ = self.get(example)
			self.assertEqual(status, 200, (example, body[:300]))
		api = self.get('/apinfo')[2]
		for example in mpewui._API_EXAMPLES:
			self.assertIn('href="{}"'.format(example.replace('&', '&amp;')), api)

		def names(path, key='jobsInfo'):
			rows = uiJson(self.app, path)[key]
			return [r[0] for r in rows[1:]] if rows and isinstance(rows[0], list) else [r['data'][0] for r in rows
				if r['compound'] is None]
		self.assertEqual(names('/?fmt=json&flt=code:3'), [XSS])
		self.assertEqual(names('/?fmt=json&flt=rcode:-15..0'), ['slow'])  # Killed by a signal
		self.assertEqual(names('/?fmt=json&flt=reason:timeout'), ['slow'])
		self.assertEqual(names('/?fmt=json&flt=category*:cat1..cat3'), ['slow'])  # Half-open: cat3 excluded
		self.assertEqual(sorted(names('/?fmt=json&flt=category:cat1..cat5', 'tasksInfo')), ['Leaf', 'Root', 'Sub'
			, 'bad1', 'bad2'])
		self.assertEqual(names('/?fmt=json&flt=task', 'jobsInfo'), [])  # Jobs with a task are in the tree
		self.assertEqual(sorted(names('/?fmt=json&flt=duration:..1h2m5')), sorted([XSS, 'slow']))
		self.assertEqual(names('/?fmt=json&flt=duration:2d5h12.8..'), [])
		self.assertEqual(names('/jobs?fmt=json&flt=size:5..8&lim=0'), ['q5', 'q6', 'q7'])
		self.assertEqual(names('/jobs?fmt=json&flt=name:q42'), ['q42'])
		self.assertEqual(names('/jobs?fmt=json&flt=task:Other|size:..10'), ['q1', 'q4', 'q7'])
		self.assertEqual(sorted(names('/jobs?fmt=json&flt=state:running', 'workersInfo')), ['long1', 'long2'
			, 'sentinel'])
		self.assertEqual(sorted(names('/jobs?fmt=json&flt=timeout:1m', 'workersInfo')), ['long2'])
		self.assertEqual(names('/jobs?fmt=json&flt=pid*:1..2', 'workersInfo'), [])
		self.assertEqual(len(names('/jobs?fmt=json&flt=pid*:1..|timeout*:..1d&lim=0')), 1000)  # Queued: no pid
		self.assertEqual(names('/jobs?fmt=json&flt=tstart:0..1d', 'jobsInfo'), [])  # Queued jobs have no start
		self.assertEqual(len(names('/jobs?fmt=json&flt=tstart:0..1d', 'workersInfo')), 3)
		data = uiJson(self.app, '/jobs?fmt=json&cols=pid,duration')
		self.assertEqual(data['workersInfo'][0], ['name', 'pid', 'duration'])

	def test_lim_refresh(self):
		data = uiJson(self.app, '/jobs?fmt=json&lim=3')
		self.assertEqual(data['lim'], 3)
		self.assertEqual(len(data['jobsInfo']), 1 + 3)
		self.assertEqual(len(data['workersInfo']), 1 + 3)  # Running jobs are all listed
		self.assertEqual(len(uiJson(self.app, '/jobs?fmt=json&lim=0')['jobsInfo']), 1 + 1000)
		self.assertEqual(len(uiJson(self.app, '/jobs?fmt=json')['jobsInfo']), 1 + 50)
		data = uiJson(self.app, '/tasks?fmt=json&lim=4')
		jobs = [r for r in data['tasksInfo'] if r['compound'] is None and 'context' not in r]
		self.assertEqual(len(jobs), 4)
		self.assertIn('first 3 of 1000 matching', self.get('/jobs?fmt=txt&lim=3')[2])
		self.assertIn('Limited to 3 items', self.get('/jobs?lim=3')[2])
		refresh = re.compile(r'<meta http-equiv="refresh" content="(\d+)">')
		for query, expect in (('refresh=5', '5'), ('refresh=1', '2'), ('refresh=0', None), ('refresh=', None), ('', None)):
			status, _, body, _ = self.get('/jobs?' + query)
			self.assertEqual(status, 200)
			found = refresh.search(body)
			self.assertEqual(found.group(1) if found else None, expect, query)
		self.assertIn('refresh=5', self.get('/jobs?refresh=5')[2])  # The navigation keeps it

	def test_bad_parameters(self):
		"""A bad parameter -> 400 with a message naming it (JSON when fmt=json)"""
		for query, name in (('fmt=xml', 'fmt'), ('cols=name,nope', 'cols'), ('flt=nope:1', 'nope')
		, ('flt=pid:abc', 'pid'), ('flt=duration:1x..', 'duration'), ('lim=-1', 'lim'), ('lim=abc', 'lim')
		, ('lim=99999999999', 'lim'), ('refresh=x', 'refresh'), ('pool=nope', 'pool'), ('bogus=1', 'bogus')
		, ('flt=task*', 'task')):
			for route in UIROUTES[:3]:
				status, ctype, body, _ = self.get('{}?{}'.format(route, query))
				self.assertEqual(status, 400, (route, query, body[:200]))
				self.assertTrue(ctype.startswith('text/plain'), ctype)
				self.assertIn(name, body)
		status, ctype, body, _ = self.get('/jobs?fmt=json&lim=x')
		self.assertEqual((status, ctype.split(';')[0]), (400, 'application/json'))
		self.assertIn('lim', json.loads(body)['errmsg'])
		self.assertEqual(self.get('/nowhere')[0], 404)
		conn = http.client.HTTPConnection('127.0.0.1', self.app.port, timeout=10)
		conn.request('POST', '/jobs', body='x')
		self.assertEqual(conn.getresponse().status, 405)  # GET only
		conn.close()

	def test_random_queries(self):
		"""1,000 seeded random query strings: never a 5xx, JSON always parses"""
		rnd = random.Random(20240501)
		keys = ['fmt', 'cols', 'flt', 'lim', 'refresh', 'pool', 'x', '', 'flt*', 'f%mt']
		pieces = ['htm', 'json', 'txt', 'name', 'pid', 'duration', 'rcode', 'task', 'category', 'tstart', '..', '|'
			, ':', '*', ',', '1h2m5', '2d5h12.8', '-15', '0', '1', '50', '1e309', 'nan', 'inf', '-inf', 'cat1', '%ff'
			, '%00', '%', '<script>', '\u00e9', '\u2603', '"', "'", '&', '=', '..0', '9' * 30, ' ', '\t', 'state'
			, 'running', 'numdone', 'mempeak']
		counts = collections.Counter()
		tstart = time.perf_counter()
		for _ in range(1000):
			route = rnd.choice(UIROUTES[:3] + ('/apinfo',))
			params = []
			for _ in range(rnd.randint(0, 4)):
				key = rnd.choice(keys)
				val = ''.join(rnd.choice(pieces) for _ in range(rnd.randint(0, 6)))
				params.append(quote(key, safe='%') + ('=' + quote(val, safe='%|:*,.') if rnd.random() < 0.95 else ''))
			if rnd.random() < 0.3:  # JSON keeps the answers small
				params.append('fmt=json')
			path = route + '?' + '&'.join(params)
			status, ctype, body, _ = self.get(path)
			counts[status] += 1
			self.assertIn(status, (200, 400), (path, body[:500]))
			if status == 200 and ctype.startswith('application/json'):
				json.loads(body)
		self.assertGreater(counts[200], 100, counts)
		self.assertGreater(counts[400], 100, counts)
		self.assertLess(time.perf_counter() - tstart, 60)

	def test_escaped(self):
		"""Names are escaped everywhere in the HTML (tables, charts' tooltips, titles)"""
		for path in ('/', '/jobs?flt=code:3', '/tasks', '/?cols=name,category'):
			body = self.get(path)[2]
			self.assertNotIn('<script>', body)
			self.assertNotIn('<i>pool', body)
		body = self.get('/')[2]
		self.assertIn('&lt;script&gt;alert(1)&lt;/script&gt;', body)
		self.assertIn('busy &lt;i&gt;pool&lt;/i&gt;', body)
		self.assertRegex(body, r'<title>&lt;script&gt;alert\(1\)&lt;/script&gt;: failed')  # Timeline tooltip
		self.assertEqual(uiJson(self.app, '/?fmt=json&flt=code:3')['jobsInfo'][1][0], XSS)

	def test_latency_busy(self):
		"""Every route answers within 100 ms while the pool runs with 1,000 queued jobs"""
		times = collections.defaultdict(list)
		for _ in range(3):
			for route in UIROUTES:
				for fmt in ('htm', 'json', 'txt'):
					path = '{}?fmt={}'.format(route, fmt)
					status, _, _, secs = self.get(path)
					self.assertEqual(status, 200)
					times[path].append(secs)
		best = {p: min(t) for p, t in times.items()}
		self.assertLess(max(best.values()), 0.1, best)  # Best of 3: a loaded 2-CPU machine has hiccups
		every = sorted(s for t in times.values() for s in t)
		self.assertLess(every[len(every) // 2], 0.1, every)
		self.assertLess(every[-1], 1., every)
		self.assertTrue(self.busy.thread.is_alive())
		self.assertLess(uiJson(self.app, '/jobs?fmt=json')['pool']['snapshotAge'], 2.)  # Live snapshots


@unittest.skipIf(mpewui is None, NOBOTTLE)
class TestWebUI(MpeTestCase):
	"""Lifecycle: idle and finished pools, several pools and apps, stop(), templates; the demo"""

	def assertFast(self, app, label):
		"""Each data route (htm and json) answers within 100 ms (best of 3), none over 1 s"""
		for route in UIROUTES:
			for fmt in ('htm', 'json'):
				times = []
				for _ in range(3):
					status, _, body, secs = uiGet(app, '{}?fmt={}'.format(route, fmt))
					self.assertEqual(status, 200, body[:300])
					times.append(secs)
				self.assertLess(min(times), 0.1, (label, route, fmt, times))
				self.assertLess(max(times), 1., (label, route, fmt, times))

	def test_idle_finished(self):
		"""Answers before any snapshot, while idle between joins and after the pool finished"""
		app = self.newApp()
		pool = self.newPool(2, webuiapp=app, name='lifecycle')
		self.assertTrue(app.is_alive())  # Started by the pool
		self.assertFast(app, 'new')
		for i in range(4):
			pool.execute(Job('a{}'.format(i), args=pyjob(EXIT(i % 2))))
		self.assertTrue(pool.join(30))
		data = uiJson(app, '/?fmt=json')
		self.assertEqual(data['pool']['state'], 'idle')
		self.assertEqual((data['progress']['done'], data['progress']['failed']), (2, 2))
		self.assertIsNotNone(data['progress']['elapsed'])
		self.assertFast(app, 'idle')
		pool.execute(Job('b', args=pyjob(SLEEP(0.1))))
		self.assertTrue(pool.join(30))
		self.assertEqual(uiJson(app, '/jobs?fmt=json')['progress']['done'], 3)
		pool.terminate()
		self.assertTrue(waitUntil(lambda: uiJson(app, '/?fmt=json')['pool']['state'] == 'terminated', 5.))
		self.assertFast(app, 'terminated')
		timeline = uiGet(app, '/jobs')[2]
		self.assertEqual(len(re.findall(r'<rect [^>]*class="bar ', timeline)), 5)

	def test_several_pools(self):
		"""One app serves pools created one after another; two apps coexist; stop() frees the port"""
		app = self.newApp()
		app2 = self.newApp()
		pool1 = self.newPool(1, webuiapp=app, name='first')
		pool1.execute(Job('p1', args=pyjob(EXIT(0))))
		self.assertTrue(pool1.join(30))
		pool2 = self.newPool(1, webuiapp=app, name='second')
		pool3 = self.newPool(1, webuiapp=app2, name='third')
		pool2.execute(Job('p2', args=pyjob(EXIT(5))))
		pool3.execute(Job('p3', args=pyjob(EXIT(0))))
		self.assertTrue(pool2.join(30))
		self.assertTrue(pool3.join(30))
		data = uiJson(app, '/?fmt=json')
		self.assertEqual([p['name'] for p in data['pools']], ['first', 'second'])
		self.assertEqual(data['pool']['name'], 'second')  # The newest by default
		self.assertEqual(data['jobsInfo'][1][0], 'p2')
		self.assertEqual(uiJson(app, '/jobs?fmt=json&pool=0')['doneInfo'][1][0], 'p1')
		self.assertEqual(uiJson(app, '/jobs?fmt=json&pool=first')['pool']['name'], 'first')
		self.assertIn('second (idle)', uiGet(app, '/')[2])  # The pool selector
		self.assertEqual(uiJson(app2, '/jobs?fmt=json')['doneInfo'][1][0], 'p3')
		self.assertEqual(uiGet(app, '/?pool=2')[0], 400)
		port = app.port
		app.stop()
		self.assertFalse(app.is_alive())
		with self.assertRaises(OSError):
			uiGet(app, '/', timeout=2)
		app3 = self.newApp()
		app3.start()  # Explicitly: no pool registered with it
		self.assertIn('No execution pool is attached', uiJson(app3, '/?fmt=json')['errmsg'])
		del pool1  # The app holds no reference to a pool
		self.assertIsNotNone(port)

	def test_slow_client(self):
		"""A client that never sends its request delays neither the pool nor other clients"""
		app = self.newApp()
		pool = self.newPool(2, webuiapp=app)
		stuck = [socket.create_connection(('127.0.0.1', app.port)) for _ in range(3)]
		try:
			stuck[0].sendall(b'GET /jobs HTTP/1.0\r\n')  # An unfinished request
			tstart = time.perf_counter()
			for i in range(6):
				pool.execute(Job('s{}'.format(i), args=pyjob(EXIT(0))))
			self.assertTrue(pool.join(30))
			self.assertLess(time.perf_counter() - tstart, 15)
			status, _, _, secs = uiGet(app, '/jobs?fmt=json')
			self.assertEqual(status, 200)
			self.assertLess(secs, 1.)
		finally:
			for sock in stuck:
				sock.close()

	def test_template_override(self):
		"""A webui.tpl in a folder passed as views= replaces the package's view; bottle.TEMPLATE_PATH is not used"""
		vdir = self.path('myviews')
		os.mkdir(vdir)
		with open(os.path.join(vdir, 'webui.tpl'), 'w') as ftpl:
			ftpl.write('<p>custom {{title}} {{jobsDone}} {{page}}</p>')
		app = self.newApp(views=vdir)
		self.newPool(1, webuiapp=app)
		self.assertEqual(uiGet(app, '/jobs')[2], '<p>custom Jobs 0 jobs</p>')
		bottle.TEMPLATE_PATH.insert(0, vdir)
		bottle.TEMPLATES.clear()
		try:
			app2 = self.newApp()
			self.newPool(1, webuiapp=app2)
			self.assertIn('<!DOCTYPE html>', uiGet(app2, '/jobs')[2])
		finally:
			bottle.TEMPLATE_PATH.remove(vdir)
			bottle.TEMPLATES.clear()
		self.assertTrue(os.path.exists(os.path.join(mpewui._VIEWS_OWN, 'webui.tpl')))
		with self.assertRaises(ValueError):
			WebUiApp(views=self.path('nowhere'))

	def test_failures(self):
		"""The demo: failed, running and queued jobs in nested tasks

		MANUAL=1 python -m unittest mpetests.TestWebUI.test_failures  serves it on localhost:8081 for
		MANUAL_SECONDS (180) seconds; otherwise it runs briefly on a free port and checks the pages.
		"""
		manual = bool(os.environ.get('MANUAL'))
		if manual:
			app = WebUiApp(host='localhost', port=int(os.environ.get('MANUAL_PORT', 8081)), name='MpepoolWebUI')
			self.addCleanup(app.stop)
		else:
			app = self.newApp(name='MpepoolWebUI')
		pool = self.newPool(3, webuiapp=app, name='demo', memlimit=1. if mpepool._LIMIT_WORKERS_RAM else 0.)
		seconds = float(os.environ.get('MANUAL_SECONDS', 180)) if manual else 0.
		root = Task('Root', params={'demo': True})
		mid = Task('Middle', task=root)
		leaf = Task('Leaf', task=mid)
		other = Task('Independent')
		jobs = [Job('fail-1', args=pyjob(EXIT(1)), task=leaf, category='cat1')
			, Job('fail-2', args=pyjob(EXIT(2)), task=mid, category='cat2')
			, Job('timeout', args=pyjob(SLEEP(30)), timeout=0.5, task=leaf, category='cat1')
			, Job('no-task-fail', args=pyjob(EXIT(3)))
			, Job('ok', args=pyjob(ALLOC(20, 0.5)), task=other)]
		for i in range(12):
			jobs.append(Job('work-{}'.format(i), args=pyjob(ALLOC(10 + 5 * i, 0.3 + (i % 4) * 0.2)), task=(leaf
				, other, None)[i % 3], category='cat{}'.format(i % 3 + 1)))
		run = UiPoolRun(self.tmp)
		run.app.stop()  # Only its sentinel and join helpers are used here
		run.pool = pool
		jobs.append(run.sentinel(task=other))
		jobs.append(Job('long-a', args=('sleep', str(max(seconds, 30))), task=leaf))
		jobs.append(Job('long-b', args=('sleep', str(max(seconds, 30))), task=mid, category='cat2'))
		for i in range(20):
			jobs.append(Job('queued-{}'.format(i), args=('sleep', '30'), task=(leaf, other)[i % 2]))
		for job in jobs:
			pool.execute(job)
		run.join()
		try:
			ready = waitUntil(lambda: (lambda d: d['progress']['failed'] >= 4 and d['progress']['running'] == 3
				and d['progress']['queued'] == 20)(uiJson(app, '/?fmt=json')), 60., 0.05)
			self.assertTrue(ready, uiJson(app, '/?fmt=json')['progress'])
			if manual:
				sys.__stdout__.write('The WebUI demo is served on {} for {:.0f} s\n'.format(app.url, seconds))
				sys.__stdout__.flush()
				time.sleep(seconds)
			data = uiJson(app, '/?fmt=json')
			self.assertEqual([r[0] for r in data['jobsInfo'][1:]], ['no-task-fail'])
			tree = [(r['ident'], r['data'][0]) for r in data['tasksInfo'] if r['compound'] is None]
			self.assertEqual(tree[:2], [(0, 'Root'), (1, 'Middle')])
			self.assertIn((2, 'Leaf'), tree)
			self.assertEqual({n for i, n in tree if i == 3}, {'fail-1', 'timeout'})
			tasks = uiGet(app, '/tasks?fmt=txt')[2]
			self.assertRegex(tasks, r'(?m)^\+ Root\s+running')
			self.assertRegex(tasks, r'(?m)^      - queued-0\s+queued')
			self.assertRegex(tasks, r'(?m)^  - long-a\s+running|^      - long-a\s+running')
		finally:
			run.release()


# A burst of clients opening their connections at once, from a process of its own (so that the server's
# accept thread cannot keep pace by sharing the GIL); answers are waited for without a deadline of speed
# (30 s). Each answer is printed as '<status line> <body bytes> <retransmissions>': the TCP segments the
# client sent again (tcp_info.tcpi_total_retrans, at offset 100 of struct tcp_info), e.g. a SYN that the
# kernel dropped because the listen backlog was full, retried after 1 s, 3 s, 7 s... (a client of the
# report saw no answer within 10 s); TCP_SYNCNT=1 makes a twice dropped SYN an error.
BURST = textwrap.dedent('''\
	import json, socket, struct, sys
	port, nconn, rounds, path, token = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
	results = []
	for _ in range(rounds):
		socks = []
		for _ in range(nconn):
			sock = socket.socket()
			sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 1)
			sock.setblocking(False)
			sock.connect_ex(('127.0.0.1', port))
			socks.append(sock)
		res = []
		for sock in socks:
			sock.settimeout(30)
			try:
				sock.sendall(('GET ' + path + ' HTTP/1.0\\r\\nAuthorization: Bearer ' + token + '\\r\\n\\r\\n').encode())
				data = b''
				while True:
					chunk = sock.recv(65536)
					if not chunk:
						break
					data += chunk
				retrans = struct.unpack_from('I', sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 100)[0]
				res.append('{} {} {}'.format(data.split(b'\\r\\n', 1)[0].decode(), len(data.partition(b'\\r\\n\\r\\n')[2])
					, retrans))
			except OSError as err:
				res.append('ERROR ' + type(err).__name__)
			finally:
				sock.close()
		results.append(res)
	print(json.dumps(results))
	''')


@unittest.skipIf(mpewui is None, NOBOTTLE)
class TestWebUITruthful(MpeTestCase):
	"""The Web UI under a burst of clients, with the original's column order, never stale, never a false 0"""

	def uiPool(self, wksnum=2, **kwargs):
		"""A pool (without memory limits) served by a Web UI of its own"""
		app = self.newApp(name='WebUI-truth')
		return app, self.newPool(wksnum, webuiapp=app, name='truth', **kwargs)

	def test_burst_answered(self):
		"""50 clients connecting at once, 3 rounds: every request is answered, none needs a SYN retry"""
		app, pool = self.uiPool(3)
		for i in range(300):
			pool.execute(Job('b{}'.format(i), args=('sleep', '30'), category='c', size=i))
		self.assertTrue(waitUntil(lambda: uiJson(app, '/jobs?fmt=json')['jobsInfoMatched'] == 297, 5, 0.05))
		res = subprocess.run((PYEXEC, '-c', BURST, str(app.port), '50', '3', '/jobs?fmt=json', app.token), capture_output=True
			, text=True, timeout=120)
		self.assertEqual(res.returncode, 0, res.stderr)
		rounds = json.loads(res.stdout)
		answers = [ans for rnd in rounds for ans in rnd]
		self.assertEqual(len(answers), 150)
		bad = [ans for ans in answers if not ans.startswith('HTTP/1.0 200 ')]
		self.assertEqual(bad, [], collections.Counter(answers))
		self.assertTrue(all(int(ans.split()[-2]) > 2000 for ans in answers), answers[:5])  # Whole pages
		retried = [ans for ans in answers if ans.split()[-1] != '0']
		self.assertEqual(retried, [], 'connections that had to be retried: the listen backlog overflowed')
		self.assertLessEqual(sys.getswitchinterval(), mpewui._SWITCH_INTERVAL)  # The pool's thread gets the GIL soon

	def test_json_original_columns(self):
		"""A client of the original indexes the JSON rows by position: the original's columns come first"""
		app, pool = self.uiPool(2)
		task = Task('T')
		pool.execute(Job('plainbad', args=pyjob(EXIT(3)), category='cf'))
		pool.execute(Job('taskbad', args=pyjob(EXIT(4)), task=task, category='ct'))
		# The loop runs without join(), which would finish the task T: a finished task takes no new item
		self.assertTrue(waitUntil(lambda: pool._cycle(time.perf_counter() + 0.05) or not pool._workers, 30))
		pool.execute(Job('run1', args=('sleep', '30'), task=task, category='c1', size=2))
		pool.execute(Job('run2', args=('sleep', '30'), category='c2'))
		pool.execute(Job('wait1', args=('sleep', '30'), task=task, category='c1', size=3))
		orig, torig = JobInfo._props.split(), TaskInfo._props.split()
		self.assertEqual(orig, ['name', 'pid', 'code', 'tstart', 'tstop', 'memsize', 'memkind', 'task', 'category'
			, 'duration'])

		def jobRows(data, key):
			rows = data[key]
			self.assertEqual(rows[0][:10], orig, key)
			return {row[0]: row for row in rows[1:]}
		self.assertTrue(waitUntil(lambda: uiJson(app, '/jobs?fmt=json')['progress']['queued'] == 1, 5))
		data = uiJson(app, '/jobs?fmt=json')
		running = jobRows(data, 'workersInfo')
		now = time.time()
		for name, task_, cat in (('run1', 'T', 'c1'), ('run2', None, 'c2')):
			row = running[name]
			self.assertEqual(row[1], [j for j in pool._workers if j.name == name][0].proc.pid)
			self.assertIsNone(row[2])  # code
			self.assertLess(abs(row[3] - now), 60)  # tstart: epoch seconds
			self.assertIsNone(row[4])  # tstop
			self.assertEqual((row[7], row[8]), (task_, cat))
			self.assertGreaterEqual(row[9], 0.)  # duration, s
		queued = jobRows(data, 'jobsInfo')
		self.assertEqual(queued['wait1'][:3], ['wait1', None, None])
		self.assertEqual(queued['wait1'][7:9], ['T', 'c1'])
		done = jobRows(data, 'doneInfo')
		self.assertEqual(done['plainbad'][2], 3)
		self.assertGreaterEqual(done['plainbad'][4], done['plainbad'][3])  # tstop >= tstart
		failures = uiJson(app, '/?fmt=json')
		plain = jobRows(failures, 'jobsInfo')
		self.assertEqual((plain['plainbad'][2], plain['plainbad'][8]), (3, 'cf'))
		tree = failures['tasksInfo']
		self.assertEqual(tree[0]['data'][:8], torig)  # The task header, then its values
		self.assertEqual((tree[1]['data'][0], tree[1]['data'][5], tree[1]['data'][6]), ('T', 1, None))  # numterm, task
		self.assertEqual(tree[2]['data'][:10], orig)  # The job header, then the job row
		self.assertEqual((tree[3]['data'][0], tree[3]['data'][2], tree[3]['data'][7]), ('taskbad', 4, 'T'))
		tasks = uiJson(app, '/tasks?fmt=json')['tasksInfo']
		self.assertEqual(tasks[0]['data'][:8], torig)
		self.assertEqual(tasks[2]['data'][:10], orig)
		# cols= selects and orders the columns of every format; htm and txt order the defaults for people
		self.assertEqual(uiJson(app, '/jobs?fmt=json&cols=pid,category')['workersInfo'][0], ['name', 'pid', 'category'])
		self.assertRegex(uiGet(app, '/jobs?fmt=txt&cols=pid,category')[2], r'(?m)^name\s+pid\s+category\s*$')
		self.assertRegex(uiGet(app, '/jobs?cols=pid,category')[2], r'>name</th>\s*<th[^>]*>pid</th>\s*<th[^>]*>category<')
		self.assertRegex(uiGet(app, '/jobs?fmt=txt')[2], r'(?m)^name\s+task\s+category\s+pid')
		for fmt in ('txt', 'json', 'htm'):  # The manual documents the order
			self.assertIn(' '.join(orig), uiGet(app, '/apinfo?fmt=' + fmt)[2], fmt)

	def test_never_stale(self):
		"""Four jobs executed, the caller does other work without joining: the UI shows them running and queued"""
		app, pool = self.uiPool(2)
		for i in range(4):
			pool.execute(Job('w{}'.format(i), args=('sleep', '30')))
		texecuted = time.perf_counter()

		def shown():
			data = uiJson(app, '/jobs?fmt=json')
			return ([r[0] for r in data['workersInfo'][1:]], [r[0] for r in data['jobsInfo'][1:]]
				, data['progress']['running'], data['progress']['queued'], data['pool']['state'])
		expect = (['w0', 'w1'], ['w2', 'w3'], 2, 2, 'running')
		self.assertTrue(waitUntil(lambda: shown() == expect, 1.5, 0.05), shown())
		self.assertLess(time.perf_counter() - texecuted, 1.5)
		if CHROMIUM:
			dom = chromium(uiUrl(app, '/jobs'), os.path.join(self.tmp, 'stale.png'), self.tmp)
			queued = re.search(r'<section class="card" id="jobsInfo">(.*?)</section>', dom, re.S)
			self.assertTrue(queued, dom[:2000])
			self.assertIn('w2', queued.group(1))
			self.assertIn('w3', queued.group(1))
			self.assertIn('2 running, 2 queued', dom)
		pool.terminate()
		self.assertTrue(waitUntil(lambda: shown()[4] == 'terminated', 2., 0.05), shown())

	@NEEDS_PSUTIL
	def test_memory_measured(self):
		"""With psutil and a Web UI, running jobs are sampled for display without any memory limit"""
		run = UiPoolRun(self.tmp, wksnum=3)  # join() runs in a helper thread: the pool samples
		self.addCleanup(run.app.stop)
		app, pool = run.app, run.pool
		pool.execute(run.sentinel())
		pool.execute(Job('alloc', args=pyjob(ALLOC(80, 30))))
		pool.execute(Job('quick', args=pyjob(ALLOC(40, 0.8))))
		run.join()
		try:
			self.checkMeasured(app)
		finally:
			run.release()

	@NEEDS_PSUTIL
	def test_memory_measured_while_the_caller_is_busy(self):
		"""Four 60 MB jobs executed, no join(): the caller does other work (here it asks the Web UI), and
		the requests that take the snapshot sample the jobs' memory, at most every 0.25 s"""
		app, pool = self.uiPool(4)
		for i in range(4):
			pool.execute(Job('m{}'.format(i), args=pyjob(ALLOC(60, 30))))

		def memsizes():
			rows = uiJson(app, '/jobs?fmt=json')['workersInfo']
			return {row[0]: dict(zip(rows[0], row))['memsize'] for row in rows[1:]}
		self.assertTrue(waitUntil(lambda: sorted(name for name, mem in memsizes().items() if (mem or 0) > 0.06)
			== ['m0', 'm1', 'm2', 'm3'], 10, 0.05), memsizes())
		self.assertGreater(uiJson(app, '/jobs?fmt=json')['pool']['memjobs'], 0.24)
		self.assertIn(pool._state, mpepool._IDLE)  # Nobody runs its loop: the requests sample
		# 20 requests a second for 1 s: a sample every 0.25 s at most
		tstart = time.perf_counter()
		while time.perf_counter() - tstart < 1.:
			uiJson(app, '/jobs?fmt=json')
			time.sleep(0.05)
		samples = [tm for tm, _, _ in pool._memtrace if tm >= tstart]
		self.assertGreaterEqual(len(samples), 2)
		self.assertLessEqual(len(samples), 5)
		self.assertGreaterEqual(min(b - a for a, b in zip(samples, samples[1:])), 0.25 - 1e-3)

	def checkMeasured(self, app):
		"""The memory of the running and finished jobs of app's pool is shown as measured"""
		def running():
			rows = uiJson(app, '/jobs?fmt=json')['workersInfo']
			return {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
		self.assertTrue(waitUntil(lambda: (running().get('alloc', {}).get('memsize') or 0) > 0.06, 10, 0.05), running())
		self.assertGreater(running()['alloc']['mempeak'], 0.06)
		self.assertTrue(waitUntil(lambda: uiJson(app, '/jobs?fmt=json')['doneInfo'], 10, 0.05))
		done = uiJson(app, '/jobs?fmt=json')['doneInfo']
		quick = dict(zip(done[0], done[1]))
		self.assertEqual(quick['name'], 'quick', done)
		self.assertGreater(quick['mempeak'], 0.03)
		self.assertGreater(uiJson(app, '/jobs?fmt=json')['pool']['memjobs'], 0.06)
		self.assertTrue(waitUntil(lambda: 'class="mem"' in uiGet(app, '/jobs')[2], 5, 0.05))
		txt = uiGet(app, '/jobs?fmt=txt')[2]
		self.assertRegex(txt, r'Memory of the jobs: \d+(\.\d+)? MB')
		if CHROMIUM:
			dom = chromium(uiUrl(app, '/jobs'), os.path.join(self.tmp, 'mem.png'), self.tmp)
			self.assertRegex(dom, r'<td>Jobs memory</td><td>\d+(\.\d+)? MB')
			self.assertRegex(dom, r'<polyline [^>]*class="mem"')

	def test_memory_not_measured(self):
		"""Without psutil every format says that memory is not measured, never 0; the console says '-' too"""
		res = self.runScript('''\
			import json, sys, time, http.client
			sys.modules['psutil'] = None
			import mpepool, mpewui
			from mpepool import ExecPool, Job
			app = mpewui.WebUiApp(host='127.0.0.1', port=0)
			pool = ExecPool(2, webuiapp=app)
			pool.execute(Job('sleeper', args=(sys.executable, '-c', 'import time; b = b"1" * (30 << 20); time.sleep(30)')))
			pool.execute(Job('late', args=('sleep', '30'), timeout=0.3))
			pool.execute(Job('short', args=('true',)))
			while pool._workers and len(pool._workers) > 1 or len(pool._history) < 2:
				pool._cycle(time.perf_counter() + 0.05)
			pool._publishUi(True)
			def get(path):
				conn = http.client.HTTPConnection('127.0.0.1', app.port, timeout=30)
				conn.request('GET', path, headers={'Authorization': 'Bearer ' + app.token})
				return conn.getresponse().read().decode()
			data = json.loads(get('/jobs?fmt=json'))
			print('JSON', json.dumps([data['workersInfo'], data['doneInfo'], data['pool']['memjobs']
				, data['pool']['memMeasured']]))
			print('TXT', json.dumps(get('/jobs?fmt=txt&cols=memsize,mempeak')))
			print('HTM', json.dumps(get('/jobs?cols=memsize,mempeak')))
			print('FAIL', json.dumps(get('/?fmt=txt&cols=memsize,mempeak')))
			pool.terminate()
			app.stop()
			''')
		self.assertEqual(res.returncode, 0, res.stderr)
		out = {line.split(' ', 1)[0]: json.loads(line.split(' ', 1)[1]) for line in res.stdout.splitlines()
			if line.split(' ', 1)[0] in ('JSON', 'TXT', 'HTM', 'FAIL')}
		workers, done, memjobs, measured = out['JSON']
		for rows in (workers, done):
			self.assertGreaterEqual(len(rows), 2, rows)
			for row in rows[1:]:
				rec = dict(zip(rows[0], row))
				self.assertIsNone(rec['memsize'], rec)
				self.assertIsNone(rec['mempeak'], rec)
		self.assertEqual((memjobs, measured), (None, False))
		self.assertRegex(out['TXT'], r'(?m)^sleeper\s+-\s+-\s*$')
		self.assertRegex(out['TXT'], r'(?m)^short\s+-\s+-\s*$')
		self.assertIn('Memory of the jobs: not measured (no psutil)', out['TXT'])
		self.assertIn('Memory is not measured: psutil is not installed.', out['TXT'])
		self.assertRegex(out['HTM'], r'<td>Jobs memory</td><td>not measured')
		self.assertIn('Memory is not measured: psutil is not installed.', out['HTM'])
		self.assertRegex(out['HTM'], r'>sleeper</td>\s*<td[^>]*>-</td>\s*<td[^>]*>-</td>')
		self.assertRegex(out['FAIL'], r'(?m)^late\s+-\s+-\s*$')
		self.assertNotRegex(res.stdout + res.stderr, r'consumes 0\.0000')
		# Only what is known: the limit broken and the time it ran (its memory was not measured)
		self.assertRegex(res.stderr, r'(?m)"late" #\d+ is terminated because of the timeout violation: its timeout is'
			r' [\d.]+ s; it ran [\d.]+ s$')
		self.assertRegex(res.stdout, r'(?m)^\s+late\s+\d+\s+-15\s+[\d:.]+\s+[\d:.]+\s+-\s+')  # The failure report


@unittest.skipIf(mpewui is None, NOBOTTLE)
class TestWebUIWording(MpeTestCase):
	"""A failed job's stderr on its row; the txt page says each thing once; an app's default name; plurals"""

	def test_wording(self):
		app = self.newApp()
		self.assertEqual(app.name, 'mpewui')  # Not the thread's default Thread-N
		pool = self.newPool(2, webuiapp=app, memlimit=1.)
		code = 'import sys\nfor i in range(1, 9): print("line", i, file=sys.stderr)\nsys.exit(3)'
		pool.execute(Job('noisy', args=pyjob(code), stderr=subprocess.PIPE))
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(pool.join(30))
		status, _, txt, _ = uiGet(app, '/?fmt=txt')
		self.assertEqual(status, 200)
		row = next(line for line in txt.splitlines() if line.startswith('noisy'))
		self.assertTrue(row.endswith('line 4 ⏎ line 5 ⏎ line 6 ⏎ line 7 ⏎ line 8'), row)  # One line per row
		self.assertNotIn('line 3', txt)
		for route in UIROUTES:  # A page without a query string is its htm page with the defaults
			status, ctype, _, _ = uiGet(app, route)
			self.assertEqual((status, ctype.split(';')[0]), (200, 'text/html'), route)
		status, _, htm, _ = uiGet(app, '/')
		self.assertIn('<td>line 4 ⏎ line 5 ⏎ line 6 ⏎ line 7 ⏎ line 8</td>', htm)
		status, _, data, _ = uiGet(app, '/?fmt=json&cols=name,errtail')
		self.assertIn('"line 4\\nline 5\\nline 6\\nline 7\\nline 8"', data)
		status, _, txt, _ = uiGet(app, '/jobs?fmt=txt')
		self.assertEqual(txt.count('Memory of the jobs'), 1, txt)
		nodes = WebUiApp.CPUNODES
		self.assertRegex(htm, r'{} node{}</td>'.format(nodes, '' if nodes == 1 else 's'))
		self.assertNotRegex(htm, r'\b1 (node|core|logical CPU)s\b')


@unittest.skipIf(mpewui is None, NOBOTTLE)
class TestWebUIBrowser(BusyPoolCase):
	"""Headless Chromium renders every page (DOM checked, screenshots saved); w3m dumps readable tables"""
	NQUEUED = 40

	@classmethod
	def setUpClass(cls):
		if not CHROMIUM and not W3M:
			if os.environ.get('CI') == 'true':  # .ci/run installs both
				raise AssertionError('CI needs chromium and w3m (Debian packages chromium, w3m)')
			raise unittest.SkipTest('neither chromium nor w3m is installed')
		super().setUpClass()

	def test_chromium(self):
		"""Each page renders: title, navigation, summary, charts, tables; names stay text; screenshots saved"""
		requireTool(self, CHROMIUM, 'chromium is not installed (Debian package chromium)')
		os.makedirs(ARTIFACTS, exist_ok=True)
		pages = (('failures', '/', ('Failed jobs not assigned to tasks', 'Failed tasks with their jobs', 'bad1'))
			, ('jobs', '/jobs', ('Running', 'Queued', 'Recently finished', 'long1', 'q39'))
			, ('tasks', '/tasks', ('Unfinished tasks with their jobs', 'Other', 'q0'))
			, ('apinfo', '/apinfo', ('REST API', 'Parameters', 'Columns', 'tasksInfoWide')))
		for page, route, texts in pages:
			shot = os.path.join(ARTIFACTS, page + '.png')
			if os.path.exists(shot):
				os.remove(shot)
			dom = chromium(uiUrl(self.app, route), shot, self.tmp)
			self.assertIn('</html>', dom, page)
			self.assertRegex(dom, r'<a href="{}[^"]*" class="sel">'.format(re.escape(route)))
			for text in texts:
				self.assertIn(text, dom, page)
			self.assertNotIn('<script', dom)  # No script at all: the job named <script>... is text
			if page != 'apinfo':
				self.assertIn('busy &lt;i&gt;pool&lt;/i&gt;', dom)
				self.assertRegex(dom, r'<svg[^>]* id="timeline"')
				self.assertGreaterEqual(len(re.findall(r'<rect [^>]*class="bar ', dom)), 9)
				if mpepool._LIMIT_WORKERS_RAM:
					self.assertRegex(dom, r'<svg[^>]* id="memchart"')
					self.assertIn('class="limit"', dom)  # The pool's memory limit line
				else:  # Nothing measured: the chart is a note saying so, never a flat zero
					self.assertIn('Memory is not measured: psutil is not installed.', dom)
				self.assertIn('id="progress"', dom)
			if page == 'failures':
				self.assertIn('&lt;script&gt;alert(1)&lt;/script&gt;', dom)
			with open(shot, 'rb') as fshot:
				png = fshot.read()
			self.assertEqual(png[:8], b'\x89PNG\r\n\x1a\n', page)
			self.assertGreater(len(png), 20000, page)  # A rendered page, not a blank one

	def test_w3m(self):
		"""w3m -dump shows each page as readable text tables, the charts as their summaries"""
		requireTool(self, W3M, 'w3m is not installed (Debian package w3m)')
		for route, header, rowre in (('/', r'name\s*│task\s*│category', r'│slow\s*│\s*│cat1\s*│killed')
		, ('/jobs', r'name\s*│task\s*│category\s*│\s*pid', r'│long1\s*│Other\s*│cat1\s*│\s*\d+│')
		, ('/tasks', r'name\s*│\s*state', r'│▸ Other\s*│running')
		, ('/apinfo', r'Column\s*│Kind', r'│duration\s*│sec')):
			res = subprocess.run((W3M, '-dump', '-cols', '180', '-o', 'display_charset=UTF-8', uiUrl(self.app, route))
				, capture_output=True, text=True, timeout=30)
			self.assertEqual(res.returncode, 0, res.stderr)
			text = res.stdout
			self.assertRegex(text, header, route)
			self.assertRegex(text, rowre, route)
			self.assertIn('Failures | Jobs | Tasks | API', text)
			self.assertNotRegex(text, r'slot 0slot|\d [KMG]B\d')  # No run-on SVG labels
			if route != '/apinfo':
				self.assertRegex(text, r'Timeline: \d+ jobs in 3 worker slots')
				self.assertIn('Jobs ', text)


# A planted template: a webui.tpl that, if ever rendered, runs Python creating the file named by {marker}
_PLANTED_TPL = '% open({marker!r}, "w").close()\n<p>planted</p>\n'

# Idle connections from a process of its own (another local user): argv port, count, a file
# written once they are all connected; held until stdin closes. Prints how many the server closed
_IDLE_CLIENTS = textwrap.dedent('''\
	import resource, socket, sys, time
	port, count, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 64)), hard))
	socks = []
	for _ in range(count):
		sock = socket.socket()
		sock.setblocking(False)
		sock.connect_ex(('127.0.0.1', port))
		socks.append(sock)
	open(ready, 'w').close()
	sys.stdin.read()
	closed = 0
	for sock in socks:
		try:
			closed += sock.recv(1) == b''
		except OSError:
			pass
		sock.close()
	print(closed)
	''')


def _uiRaw(port, data, timeout=10., unixpath=None):
	"""Send raw bytes to a server, read its answer to the end -> (status int or None, head str, body bytes)"""
	if unixpath is not None:
		sock = socket.socket(socket.AF_UNIX)
		sock.settimeout(timeout)
		sock.connect(unixpath)
	else:
		sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
	with sock:
		sock.sendall(data)
		answer = b''
		while True:
			chunk = sock.recv(65536)
			if not chunk:
				break
			answer += chunk
	head, _, body = answer.partition(b'\r\n\r\n')
	head = head.decode('latin-1')
	status = int(head.split()[1]) if head.startswith('HTTP/') else None
	return status, head, body


def _asNobody(*argv, **kwargs):
	"""Run argv as the user nobody (setpriv): subprocess.CompletedProcess with text output"""
	return subprocess.run(('setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups') + argv
		, capture_output=True, text=True, timeout=60, **kwargs)


@unittest.skipIf(mpewui is None, NOBOTTLE)
class TestWebUISecurity(MpeTestCase):
	"""Private by default: the token in its three forms, the Host check, GET only, the headers, owner-only
	files and socket, HTTPS, templates never from the working directory, slow and greedy clients"""

	def setUp(self):
		super().setUp()
		self.runtime = self.path('runtime')  # The URL files go here, in a folder others may traverse
		os.mkdir(self.runtime)
		os.chmod(self.tmp, 0o755)
		os.chmod(self.runtime, 0o755)
		patcher = mock.patch.dict(os.environ, XDG_RUNTIME_DIR=self.runtime)
		patcher.start()
		self.addCleanup(patcher.stop)

	def servedApp(self, **kwargs):
		"""A started app on a free loopback port serving a pool with one finished job"""
		app = self.newApp(**kwargs)
		pool = self.newPool(1, webuiapp=app, name='secure')
		pool.execute(Job('done1', args=('true',)))
		self.assertTrue(pool.join(30))
		return app

	def assertHeaders(self, head):
		"""The headers of every answer"""
		for hdr in ('Cache-Control: no-store', 'Referrer-Policy: no-referrer', 'X-Content-Type-Options: nosniff'
		, "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action"
		" 'none'; frame-ancestors 'none'"):
			self.assertIn(hdr + '\r\n', head + '\r\n')

	def test_token_forms(self):
		"""No token or a wrong one: 401; the token as ?token= (cookie set, redirect), as the cookie, as Bearer"""
		app = self.servedApp()
		self.assertGreaterEqual(len(app.token), 22)  # >= 128 bits in base64
		self.assertIn('?token=' + app.token, app.url)
		wrong = app.token[:-1] + ('A' if app.token[-1] != 'A' else 'B')
		req = 'GET {} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n{}\r\n'.format
		port = app.port
		for path, extra in (('/jobs', ''), ('/jobs?token=' + wrong, ''), ('/jobs?token=', '')
		, ('/jobs', 'Authorization: Bearer {}\r\n'.format(wrong)), ('/jobs', 'Cookie: {}={}\r\n'.format(app._cookie
		, wrong)), ('/jobs', 'Authorization: Basic {}\r\n'.format(app.token)), ('/nowhere', '')):
			status, head, body = _uiRaw(port, req(path, port, extra).encode())
			self.assertEqual(status, 401, (path, extra))
			self.assertHeaders(head)
			self.assertIn(b'printed on its standard error', body)
			self.assertNotIn(app.token.encode(), body + head.encode())
		# The query form: a cookie (HttpOnly, SameSite=Strict, Path=/) and a redirect to the URL without it
		status, head, body = _uiRaw(port, req('/jobs?fmt=txt&token={}&lim=3'.format(app.token), port, '').encode())
		self.assertEqual(status, 303)
		self.assertIn('\r\nLocation: /jobs?fmt=txt&lim=3\r\n', head)
		head = _uiRaw(port, req('//evil.example.com/x?token={}'.format(app.token), port, '').encode())[1]
		self.assertIn('\r\nLocation: /evil.example.com/x\r\n', head)  # Never to another site
		cookie = re.search(r'\r\nSet-Cookie: ([^\r]*)', head).group(1)
		self.assertEqual(cookie, '{}={}; HttpOnly; SameSite=Strict; Path=/'.format(app._cookie, app.token))
		self.assertHeaders(head)
		status, head, body = _uiRaw(port, req('/jobs?fmt=txt&lim=3', port, 'Cookie: other=1; {}\r\n'.format(
			cookie.split(';')[0])).encode())
		self.assertEqual(status, 200)
		self.assertHeaders(head)
		self.assertIn(b'done1', body)
		status, head, body = _uiRaw(port, req('/?fmt=json', port, 'Authorization: Bearer {}\r\n'.format(app.token))
			.encode())
		self.assertEqual(status, 200)
		self.assertEqual(json.loads(body)['pool']['name'], 'secure')
		self.assertHeaders(head)
		# A browser-like client follows the redirect with its cookie jar: the pages, with the URL's parameters
		opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
		with opener.open(uiUrl(app, '/jobs?fmt=json'), timeout=10) as resp:
			self.assertEqual(resp.url, 'http://127.0.0.1:{}/jobs?fmt=json'.format(port))
			self.assertEqual(json.loads(resp.read())['doneInfo'][1][0], 'done1')
		with opener.open('http://127.0.0.1:{}/tasks'.format(port), timeout=10) as resp:  # The cookie alone
			self.assertIn(b'</html>', resp.read())
		# HEAD: the same checks, no body
		self.assertEqual(_uiRaw(port, 'HEAD /jobs HTTP/1.0\r\n\r\n'.encode())[0], 401)
		status, head, body = _uiRaw(port, req('/jobs', port, 'Authorization: Bearer {}\r\n'.format(app.token))
			.replace('GET', 'HEAD').encode())
		self.assertEqual((status, body), (200, b''))

	def test_host_method_headers(self):
		"""A forged Host: 403 (even with the token); allowed_hosts; POST and others: 405; headers everywhere"""
		app = self.servedApp(allowed_hosts=['pool.example.org'])
		auth = 'Authorization: Bearer {}\r\n'.format(app.token)
		for host, expect in (('evil.example.com', 403), ('evil.example.com:{}'.format(app.port), 403), ('127.0.0.1.nip.io'
		, 403), ('localhost', 200), ('LOCALHOST:1234', 200), ('127.0.0.1:{}'.format(app.port), 200), ('127.1.2.3', 200)
		, ('[::1]:80', 200), ('pool.example.org', 200), ('10.1.2.3', 403)):
			status, head, body = _uiRaw(app.port, 'GET /jobs?fmt=txt HTTP/1.1\r\nHost: {}\r\n{}Connection: close\r\n\r\n'
				.format(host, auth).encode())
			self.assertEqual(status, expect, host)
			self.assertHeaders(head)
			if expect == 403:
				self.assertIn(b'allowed_hosts', body)
		self.assertEqual(_uiRaw(app.port, 'GET /jobs HTTP/1.0\r\n{}\r\n'.format(auth).encode())[0], 200)  # No Host
		for method in ('POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'):
			status, head, body = _uiRaw(app.port, '{} /jobs HTTP/1.0\r\nContent-Length: 1\r\n{}\r\nx'.format(method
				, auth).encode())
			self.assertEqual(status, 405, method)
			self.assertIn('\r\nAllow: GET, HEAD', head)
			self.assertHeaders(head)
			self.assertEqual(_uiRaw(app.port, '{} /jobs HTTP/1.0\r\n\r\n'.format(method).encode())[0], 405)
		for path, expect in (('/nowhere', 404), ('/jobs?lim=x', 400), ('/favicon.ico', 204)):
			status, head, _ = _uiRaw(app.port, 'GET {} HTTP/1.0\r\n{}\r\n'.format(path, auth).encode())
			self.assertEqual(status, expect, path)
			self.assertHeaders(head)

	def test_token_never_shown(self):
		"""The token is in no page, no answer of any status and no log line but the one that gives the URL"""
		res = self.runScript('''\
			import http.client, json, sys
			import mpewui
			from mpepool import ExecPool, Job
			app = mpewui.WebUiApp(host='127.0.0.1', port=0, name='quiet')
			with ExecPool(2, webuiapp=app, name='p') as pool:
				pool.execute(Job('fails', args=('false',)))
				pool.execute(Job('ok', args=('true',)))
				pool.join(30)
				answers = []
				for route in ('/', '/jobs', '/tasks', '/apinfo', '/nowhere', '/jobs?lim=x', '/jobs?token=bad'
				, '/jobs?token=' + app.token, '/?pool=9', '/favicon.ico', '/jobs?bogus=' + app.token):
					for fmt in ('', 'fmt=json', 'fmt=txt'):
						for method in ('GET', 'POST'):
							conn = http.client.HTTPConnection('127.0.0.1', app.port, timeout=30)
							conn.request(method, route + ('&' if '?' in route else '?') + fmt, headers={
								'Authorization': 'Bearer ' + app.token})
							resp = conn.getresponse()
							answers.append((resp.status, [v for k, v in resp.getheaders() if k != 'Set-Cookie']
								, resp.read().decode()))
							conn.close()
			app.stop()
			print('TOKEN', app.token)
			print('STATUSES', json.dumps(sorted({a[0] for a in answers})))
			print('SHOWN', sum(app.token in str(a) for a in answers))
			''')
		self.assertEqual(res.returncode, 0, res.stderr)
		token = re.search(r'(?m)^TOKEN (\S+)$', res.stdout).group(1)
		self.assertEqual(json.loads(re.search(r'(?m)^STATUSES (.*)$', res.stdout).group(1)), [200, 204, 303, 400, 401
			, 404, 405])
		self.assertIn('SHOWN 0\n', res.stdout)
		self.assertEqual(res.stdout.count(token), 1)  # Printed by the script itself, never by the UI
		self.assertEqual(res.stderr.count(token), 1, res.stderr)
		self.assertRegex(res.stderr, r'WebUI "quiet" serves http://127\.0\.0\.1:\d+/\?token={} '.format(token))

	def test_token_values(self):
		"""None: a random token per app; a str used as given; False only on loopback and Unix sockets"""
		app1, app2 = self.newApp(), self.newApp()
		self.assertNotEqual(app1.token, app2.token)
		self.assertRegex(app1.token, r'^[\w-]{32}$')  # 192 bits
		app = WebUiApp('127.0.0.1', 0, 'original', True, None, (), {})  # The original's positional signature
		self.assertEqual((app.name, app.daemon, app.port), ('original', True, 0))
		self.assertTrue(app.token)
		given = 'my-own.token_0123456789'
		self.assertEqual(self.newApp(token=given).token, given)
		secret = 'short-secret1'
		with self.assertRaises(ValueError) as ctx:
			WebUiApp(host='127.0.0.1', port=0, token=secret)
		self.assertNotIn(secret, str(ctx.exception))
		self.assertIn('token', str(ctx.exception))
		with self.assertRaises(ValueError):
			WebUiApp(port=0, token='has a space in it, long enough')
		with self.assertRaises(TypeError):
			WebUiApp(port=0, token=True)
		for host in ('0.0.0.0', '::', '192.0.2.1', 'example.org'):
			with self.assertRaises(ValueError) as ctx:
				WebUiApp(host=host, port=0, token=False)
			self.assertIn(host, str(ctx.exception))
		for host in ('localhost', '127.0.0.1', '::1', 'unix:' + self.path('s.sock')):
			self.assertIsNone(WebUiApp(host=host, port=0, token=False).token)
		self.assertEqual(WebUiApp(host='::1', port=8123, token=given).url, 'http://[::1]:8123/?token=' + given)
		app = self.servedApp(token=False)  # Off on loopback: served without a token, no cookie
		self.assertTrue(app.url.endswith(':{}/'.format(app.port)), app.url)
		status, head, _ = _uiRaw(app.port, b'GET /jobs HTTP/1.0\r\n\r\n')
		self.assertEqual(status, 200)
		self.assertEqual(_uiRaw(app.port, b'GET /jobs HTTP/1.0\r\nHost: evil.example.com\r\n\r\n')[0], 403)
		with self.assertRaises(ValueError):
			WebUiApp(port=0, keyfile=self.path('key.pem'))

	def test_url_file_other_user(self):
		"""The URL is printed once on stderr and written to an owner-only file (removed at stop); another
		local user can read neither it nor connect to the Unix socket, and gets 401 over TCP"""
		if os.geteuid() != 0 or not shutil.which('setpriv'):
			self.skipTest('running as the user nobody needs root and setpriv (util-linux)')
		err = io.StringIO()
		with contextlib.redirect_stderr(err):
			app = self.servedApp(name='private')
			sockpath = self.path('ui.sock')
			uapp = self.servedApp(host='unix:' + sockpath, name='private-unix')
		lines = err.getvalue().splitlines()
		self.assertEqual([line for line in lines if app.token in line], ['WebUI "private" serves {} (also in {},'
			' readable by you only)'.format(app.url, app.urlfile)])
		folder = os.path.join(self.runtime, 'pyexpool')
		self.assertEqual(os.path.dirname(app.urlfile), folder)
		self.assertEqual(stat.S_IMODE(os.stat(folder).st_mode), 0o700)
		self.assertEqual(stat.S_IMODE(os.stat(app.urlfile).st_mode), 0o600)
		with open(app.urlfile) as furl:
			self.assertEqual(furl.read(), app.url + '\n')
		self.assertEqual(stat.S_IMODE(os.stat(sockpath).st_mode), 0o600)
		self.assertTrue(stat.S_ISSOCK(os.stat(sockpath).st_mode))
		os.chmod(folder, 0o755)  # Even with a traversable folder, the file itself is the owner's only
		res = _asNobody('cat', app.urlfile)
		self.assertNotEqual(res.returncode, 0)
		self.assertIn('Permission denied', res.stderr)
		client = ('import socket, sys\ns = socket.socket(socket.AF_UNIX)\ntry:\n\ts.connect(sys.argv[1])\n'
			'except PermissionError:\n\tprint("refused")\nelse:\n\tprint("connected")\n')
		res = _asNobody('/usr/bin/python3', '-c', client, sockpath)
		self.assertEqual(res.stdout.strip(), 'refused', res.stderr)
		res = _asNobody('curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:{}/jobs'.format(app.port))
		self.assertEqual(res.stdout, '401', res.stderr)
		res = _asNobody('curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: localhost'
			, 'http://127.0.0.1:{}/?token=guessed-0123456789abcdef'.format(app.port))
		self.assertEqual(res.stdout, '401', res.stderr)
		# Its owner reaches the socket (curl --unix-socket), with the token
		res = subprocess.run(('curl', '-s', '--unix-socket', sockpath, '-H', 'Authorization: Bearer ' + uapp.token
			, 'http://localhost/jobs?fmt=json'), capture_output=True, text=True, timeout=30)
		self.assertEqual(json.loads(res.stdout)['pool']['name'], 'secure')
		self.assertEqual(_uiRaw(None, b'GET /jobs HTTP/1.0\r\n\r\n', unixpath=sockpath)[0], 401)
		self.assertTrue(uapp.url.startswith('http+unix://' + quote(sockpath, safe='') + '/?token='), uapp.url)
		urlfile = app.urlfile
		app.stop()
		uapp.stop()
		self.assertFalse(os.path.exists(urlfile))
		self.assertFalse(os.path.exists(sockpath))
		self.assertEqual(os.listdir(folder), [])

	def test_unix_socket_no_token(self):
		"""On a Unix socket the token may be off: its 0600 mode is the protection"""
		sockpath = self.path('open.sock')
		app = self.servedApp(host='unix:' + sockpath, token=False)
		self.assertEqual(app.url, 'http+unix://{}/'.format(quote(sockpath, safe='')))
		status, head, body = _uiRaw(None, b'GET /jobs?fmt=txt HTTP/1.0\r\nHost: localhost:8080\r\n\r\n'
			, unixpath=sockpath)
		self.assertEqual(status, 200)
		self.assertIn(b'done1', body)
		self.assertHeaders(head)

	def test_https(self):
		"""certfile= and keyfile=: HTTPS (a certificate made here), the cookie Secure; plain HTTP gets no page;
		a non-loopback address warns once when not encrypted"""
		cert, key = self.path('cert.pem'), self.path('key.pem')
		res = subprocess.run(('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj'
			, '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert)
			, capture_output=True, text=True, timeout=120)
		self.assertEqual(res.returncode, 0, res.stderr)
		err = io.StringIO()
		with contextlib.redirect_stderr(err):
			app = self.servedApp(certfile=cert, keyfile=key)
		self.assertTrue(app.url.startswith('https://127.0.0.1:{}/?token='.format(app.port)), app.url)
		self.assertNotIn('WARNING', err.getvalue())
		ctx = ssl.create_default_context(cafile=cert)
		conn = http.client.HTTPSConnection('127.0.0.1', app.port, timeout=10, context=ctx)
		conn.request('GET', '/jobs?fmt=json', headers=uiAuth(app))
		resp = conn.getresponse()
		self.assertEqual(resp.status, 200)
		self.assertEqual(json.loads(resp.read())['doneInfo'][1][0], 'done1')
		self.assertIn('max-age', resp.getheader('Strict-Transport-Security'))
		conn.close()
		conn = http.client.HTTPSConnection('127.0.0.1', app.port, timeout=10, context=ctx)
		conn.request('GET', '/?token=' + app.token)
		resp = conn.getresponse()
		self.assertEqual(resp.status, 303)
		self.assertTrue(resp.getheader('Set-Cookie').endswith('; Secure'))
		conn.close()
		res = subprocess.run(('curl', '-s', '--cacert', cert, '-H', 'Authorization: Bearer ' + app.token
			, 'https://localhost:{}/jobs?fmt=txt'.format(app.port)), capture_output=True, text=True, timeout=30)
		self.assertIn('done1', res.stdout)
		status, _, body = _uiRaw(app.port, 'GET /jobs HTTP/1.0\r\nAuthorization: Bearer {}\r\n\r\n'.format(app.token)
			.encode())
		self.assertNotIn(b'done1', body)  # Plain HTTP on the TLS port: no page
		# Exposed on purpose: a warning without TLS, none with it; never more than once
		for kwargs, warned in (({}, True), ({'certfile': cert, 'keyfile': key}, False)):
			err = io.StringIO()
			with contextlib.redirect_stderr(err):
				wide = self.newApp(host='0.0.0.0', **kwargs)
				wide.start()
			if warned:  # The token is required there; the machine's name and its addresses are its hosts
				self.assertEqual(_uiRaw(wide.port, b'GET / HTTP/1.0\r\n\r\n')[0], 401)
				self.assertIn('://{}:{}/?token='.format(socket.gethostname(), wide.port), wide.url)
				for host, expect in ((socket.gethostname(), 200), ('192.0.2.7:80', 200), ('evil.example.com', 403)):
					self.assertEqual(_uiRaw(wide.port, 'GET /?fmt=txt HTTP/1.0\r\nHost: {}\r\nAuthorization: Bearer {}'
						'\r\n\r\n'.format(host, wide.token).encode())[0], expect, host)
			self.assertEqual(err.getvalue().count('unencrypted'), int(warned), err.getvalue())
			wide.stop()

	def test_planted_template(self):
		"""A webui.tpl planted in the program's working folder (./ and ./views/) is never run"""
		work = self.path('work')
		os.makedirs(os.path.join(work, 'views'))
		marker = self.path('planted-ran')
		for tpl in (os.path.join(work, 'webui.tpl'), os.path.join(work, 'views', 'webui.tpl')):
			with open(tpl, 'w') as ftpl:
				ftpl.write(_PLANTED_TPL.format(marker=marker))
		res = subprocess.run((PYEXEC, '-c', textwrap.dedent('''\
			import http.client
			import mpewui
			from mpepool import ExecPool, Job
			app = mpewui.WebUiApp(host='127.0.0.1', port=0)
			with ExecPool(1, webuiapp=app) as pool:
				pool.execute(Job('one', args=('true',)))
				pool.join(30)
				for route in ('/', '/jobs', '/tasks', '/apinfo'):
					conn = http.client.HTTPConnection('127.0.0.1', app.port, timeout=30)
					conn.request('GET', route, headers={'Authorization': 'Bearer ' + app.token})
					print('PAGE', route, conn.getresponse().read().decode().count('<!DOCTYPE html>'))
			app.stop()
			''')), capture_output=True, text=True, timeout=120, cwd=work, env=dict(os.environ, PYTHONPATH=REPO))
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertEqual([line for line in res.stdout.splitlines() if line.startswith('PAGE ')], ['PAGE / 1'
			, 'PAGE /jobs 1', 'PAGE /tasks 1', 'PAGE /apinfo 1'])
		self.assertFalse(os.path.exists(marker))

	def test_vendored_views(self):
		"""The vendored layout utils/mpewui.py with a top-level views/ finds its templates, from any folder"""
		base = self.path('project')
		pkg = os.path.join(base, 'utils')
		os.makedirs(pkg)
		open(os.path.join(pkg, '__init__.py'), 'w').close()
		for name in ('mpepool.py', 'mpewui.py'):
			shutil.copy(os.path.join(REPO, name), pkg)
		shutil.copytree(os.path.join(REPO, 'views'), os.path.join(base, 'views'))
		res = subprocess.run((PYEXEC, '-c', textwrap.dedent('''\
			import http.client
			from utils.mpewui import WebUiApp
			app = WebUiApp(host='127.0.0.1', port=0)
			app.start()
			conn = http.client.HTTPConnection('127.0.0.1', app.port, timeout=30)
			conn.request('GET', '/apinfo', headers={'Authorization': 'Bearer ' + app.token})
			print(conn.getresponse().read().decode().count('REST API') > 0)
			app.stop()
			''')), capture_output=True, text=True, timeout=60, cwd=self.tmp, env=dict(os.environ, PYTHONPATH=base))
		self.assertEqual(res.stdout.strip(), 'True', res.stderr[-2000:])

	def test_limits(self):
		"""A request line over a few KB: 414; headers: 431; a connection silent (or dripping) past the
		deadline is closed, and the others are answered meanwhile"""
		app = self.servedApp()
		auth = 'Authorization: Bearer {}\r\n'.format(app.token)
		status, head, _ = _uiRaw(app.port, 'GET /jobs?x={} HTTP/1.0\r\n\r\n'.format('a' * 9000).encode())
		self.assertEqual(status, 414)
		self.assertHeaders(head)
		status, head, _ = _uiRaw(app.port, 'GET /jobs HTTP/1.0\r\n{}X-Big: {}\r\n\r\n'.format(auth, 'b' * 17000)
			.encode())
		self.assertEqual(status, 431)
		self.assertHeaders(head)
		status, _, _ = _uiRaw(app.port, 'GET /jobs HTTP/1.0\r\n{}{}\r\n'.format(auth, ''.join('X-H{}: {}\r\n'.format(
			i, 'c' * 100) for i in range(200))).encode())
		self.assertEqual(status, 431)  # Many small headers
		with mock.patch.object(mpewui._QuietHandler, 'timeout', 1.):  # _CLIENT_TIMEOUT
			idle = socket.create_connection(('127.0.0.1', app.port))
			drip = socket.create_connection(('127.0.0.1', app.port))
			tstart = time.perf_counter()
			try:
				for char in 'GET /jobs HTTP/1.0\r\nX-Slow: ' + 'd' * 100:  # A byte every 0.1 s, for 2.5 s
					try:
						drip.sendall(char.encode())
					except OSError:  # Closed by the server
						break
					time.sleep(0.1)
					if time.perf_counter() - tstart > 2.5:
						break
				self.assertEqual(uiGet(app, '/jobs?fmt=json')[0], 200)  # Meanwhile
				for sock in (idle, drip):
					sock.settimeout(10)
					try:
						self.assertEqual(sock.recv(1), b'')  # Closed by the server, without an answer
					except ConnectionResetError:  # Closed while bytes were still coming
						pass
					self.assertLess(time.perf_counter() - tstart, 5)
			finally:
				idle.close()
				drip.close()

	def test_idle_connections(self):
		"""1,000 idle connections from another process while 50 jobs run: all succeed, the pages answer, the
		server holds at most _UI_CONN_MAX connections (descriptors) and as many threads"""
		app = self.newApp()
		pool = self.newPool(4, webuiapp=app, name='busy')
		def sockets():
			"""This process's open sockets: the server's (the pool's descriptors are pipes, pidfds and files)"""
			found = 0
			for name in os.listdir('/proc/self/fd'):
				try:
					found += os.readlink('/proc/self/fd/' + name).startswith('socket:')
				except OSError:  # Closed meanwhile
					pass
			return found
		nfd0 = sockets()
		ready = self.path('idle-ready')
		idle = subprocess.Popen((PYEXEC, '-c', _IDLE_CLIENTS, str(app.port), '1000', ready), stdin=subprocess.PIPE
			, stdout=subprocess.PIPE, text=True)
		try:
			self.assertTrue(waitUntil(lambda: os.path.exists(ready) or idle.poll() is not None, 30, 0.05))
			self.assertIsNone(idle.poll())
			jobs = [Job('j{}'.format(i), args=pyjob(SLEEP(0.05))) for i in range(50)]
			for job in jobs:
				pool.execute(job)
			fds, threads = [], []
			tstart = time.perf_counter()
			while pool._workers or pool._jobs:
				pool._cycle(time.perf_counter() + 0.05)
				fds.append(sockets())
				threads.append(threading.active_count())
			self.assertTrue(pool.join(60))
			self.assertLess(time.perf_counter() - tstart, 60)
			self.assertEqual([job.proc.returncode for job in jobs], [0] * 50)
			status, _, body, secs = uiGet(app, '/jobs?fmt=json')  # Served among the idle ones
			self.assertEqual(status, 200)
			self.assertEqual(json.loads(body)['progress']['done'], 50)
			self.assertLessEqual(max(fds) - nfd0, mpewui._UI_CONN_MAX, fds)  # Its connections
			self.assertLess(max(threads), mpewui._UI_CONN_MAX + 20, threads)
		finally:
			out, _ = idle.communicate('', timeout=60)
		self.assertGreater(int(out), 0)  # The server closed idle connections to serve the others

	def test_manual_demo_url(self):
		"""The original's demo (MANUAL=1 python3 -m unittest mpetests.TestWebUI.test_failures) prints its URL,
		which opens the pages in a client with cookies"""
		port = mpepool._cliFreePort()
		proc = subprocess.Popen((PYEXEC, '-m', 'unittest', 'mpetests.TestWebUI.test_failures'), cwd=REPO
			, env=dict(os.environ, MANUAL='1', MANUAL_SECONDS='8', MANUAL_PORT=str(port)), stdout=subprocess.PIPE
			, stderr=subprocess.PIPE, text=True)
		try:
			line = proc.stdout.readline()
			found = re.match(r'The WebUI demo is served on (http://localhost:{}/\?token=[\w-]+) for 8 s$'.format(port)
				, line)
			self.assertTrue(found, line)
			opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
			with opener.open(found.group(1), timeout=10) as resp:
				self.assertEqual(resp.status, 200)
				self.assertIn(b'fail-1', resp.read())
		finally:
			_, err = proc.communicate(timeout=120)
		self.assertEqual(proc.returncode, 0, err[-2000:])
		self.assertIn(found.group(1), err)  # Printed by the server too


# === Command line: mpepool / python -m mpepool =======================================================
# The parsing, input, template and job log helpers are checked in-process; everything else runs the real
# command as a subprocess (sys.executable -m mpepool) with the repository as its working directory.

def cliCmd(*args):
	"""The argv of the real command line"""
	return [sys.executable, '-m', 'mpepool'] + [str(a) for a in args]


def cliEnv():
	"""The environment of the real command: ours without GNU parallel's default options ($PARALLEL)"""
	return {name: val for name, val in os.environ.items() if name != 'PARALLEL'}


def cliRun(*args, stdin=b'', timeout=60, cwd=None, env=None):
	"""Run `python -m mpepool ARGS` to its end: subprocess.CompletedProcess with bytes stdout/stderr"""
	env = cliEnv() if env is None else env
	return subprocess.run(cliCmd(*args), input=stdin, stdout=subprocess.PIPE
		, stderr=subprocess.PIPE, timeout=timeout, cwd=cwd or REPO, env=env)


def cliParseLog(path):
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


def cliCommands(argv, stdin=b''):
	"""[(seq, command)] of the jobs of a command line, in-process"""
	ns = mpepool._cliParse(argv)
	return [(rec.seq, ns.template.fill(rec.args, rec.seq)) for rec in mpepool._cliJobs(ns, io.BytesIO(stdin))]


class TestCliParsing(MpeTestCase):
	"""Options, sizes, the halt policy and input lines of the command line, in-process"""

	def test_defaults(self):
		ns = mpepool._cliParse(['-a', 'cmds.txt'])
		self.assertEqual(ns.sources, [('files', ['cmds.txt'], False)])
		self.assertEqual(mpepool._cliSlots(ns.jobs, 3, 10), 3)  # The CPUs
		self.assertEqual((ns.timeout, ns.retries, ns.memlim, ns.memlimit, ns.afnstep), ((0, None), 1, 0, 0, 0))
		self.assertIsNone(ns.halt)
		self.assertEqual(ns.command, [])

	def test_values(self):
		ns = mpepool._cliParse(['-j', '3', '--timeout', '2.5', '--retries', '4', '--memlim', '512M'
			, '--memlimit', '2', '--afnstep', '2', '--halt', 'soon,fail=3', '--webui', ':8123', 'echo'
			, '{}', ':::', 'a', 'b c', ':::+', '1', '2', '::::', 'f', '--timeout'])
		self.assertEqual((ns.jobs, ns.timeout, ns.retries, ns.afnstep), ('3', (2.5, None), 4, 2))
		self.assertAlmostEqual(ns.memlim, 0.5)
		self.assertEqual(ns.memlimit, 2.)
		self.assertEqual(ns.halt, ('soon', 'fail', 3, None))
		self.assertEqual(ns.webui, ('localhost', 8123))
		self.assertEqual(ns.command, ['echo', '{}'])  # The options end at the command: --timeout is an argument
		self.assertEqual(ns.sources, [('args', ['a', 'b c'], False), ('args', ['1', '2'], True)
			, ('files', ['f', '--timeout'], False)])
		ns = mpepool._cliParse(['-kj4', '--', 'gzip', '-9'])  # Bundled short options; a leading -- is accepted
		self.assertEqual((ns.keep_order, ns.jobs, ns.command, ns.sources), (True, '4', ['gzip', '-9'], []))
		self.assertEqual(mpepool._cliParse(['--timeout=1m30s', '--delay', '0.5']).timeout, (90., None))
		self.assertEqual(mpepool._cliParse(['--timeout', '200%']).timeout, (None, 2.))
		for spec, slots in (('3', 3), ('+1', 5), ('-1', 3), ('50%', 2), ('0', 7), ('10%', 1)):
			self.assertEqual(mpepool._cliSlots(spec, 4, 7), slots, spec)

	def test_sizes(self):
		for txt, gb in (('1.5', 1.5), ('2G', 2.), ('2gb', 2.), ('512M', .5), ('1048576K', 1.), ('1T', 1024.)
		, ('0', 0.)):
			self.assertAlmostEqual(mpepool._cliSize('--memlim', txt), gb, msg=txt)
		for bad in ('-1', 'x', '2Q', '', 'nan'):
			with self.assertRaises(mpepool._CliError, msg=bad) as ctx:
				mpepool._cliSize('--memlim', bad)
			self.assertIn('--memlim', str(ctx.exception))

	def test_halt(self):
		halt = lambda val: mpepool._cliHalt('--halt', val)
		self.assertIsNone(halt('never'))
		self.assertIsNone(halt('0'))
		for val, policy in (('1', ('soon', 'fail', 1, None)), ('2', ('now', 'fail', 1, None)), ('-1', ('soon'
		, 'success', 1, None)), ('-2', ('now', 'success', 1, None)), ('30%', ('soon', 'fail', None, .3))
		, ('now,fail=3', ('now', 'fail', 3, None)), ('soon,done=25%', ('soon', 'done', None, .25))):
			self.assertEqual(halt(val), policy, val)
		for bad in ('later,fail=1', 'now,fail=0', 'now,fail=-1', 'now,succeed=1', 'soon,fail=101%', 'x', '3'
		, 'fail=1'):
			with self.assertRaises(mpepool._CliError, msg=bad) as ctx:
				halt(bad)
			self.assertIn('--halt', str(ctx.exception))

	def test_errors_name_the_problem(self):
		for argv, word in ((['--no-such-option'], '--no-such-option'), (['--timeout', '-1'], '--timeout')
		, (['-j', '-4'], '-j'), (['-j', 'two'], '-j'), (['--retries', '-2'], '--retries')
		, (['--resume'], '--joblog'), (['--joblog', 'l', '--resume', '--resume-failed'], 'exclude')
		, (['--webui', 'host:http'], '--webui'), (['--webui', ':70000'], '--webui'), (['--pipe'], '--pipe')
		, (['-kS', 'h'], '-S'), (['echo', '{= s/a/b/ =}'], '{='), (['echo', '{0}'], '{0}'), (['echo', '::::'], '::::')
		, (['--workdir', '...'], '--workdir'), (['--joblog', '-'], '--joblog'), (['--results', 'o.csv'], '--results')
		, (['--timeout'], 'needs a value'), (['--tag=x'], '--tag'), (['--demo', 'f'], '--demo')):
			with self.assertRaises(mpepool._CliError, msg=argv) as ctx:
				mpepool._cliParse(argv)
			self.assertIn(word, str(ctx.exception), argv)

	def test_template_fill(self):
		def fill(template, args, seq=1, slot=1):
			return mpepool._CliTemplate(template).fill(args, seq, slot)
		self.assertEqual(fill('gzip {}', ('a b.txt',)), "gzip 'a b.txt'")
		self.assertEqual(fill('conv {} {.}.png {/} {//} {/.} #{#} %{%}', ('d/x.jpg',), 7, 2)
			, 'conv d/x.jpg d/x.png x.jpg d x #7 %2')
		self.assertEqual(fill("awk '{print $1}' {}", ('f',)), "awk '{print $1}' f")
		self.assertEqual(fill('echo ${HOME} {', ('f',)), 'echo ${HOME} { f')  # None: {} appended
		self.assertEqual(fill('echo {}', ("it's",)), 'echo \'it\'"\'"\'s\'')
		self.assertEqual(fill('cp {1} {2//}/{2/.}.{-1}', ('a b', 'x/y.z', 'bak')), "cp 'a b' x/y.bak")
		self.assertEqual(fill('echo {} {3}', ('a', 'b')), 'echo a b ')  # Missing: empty, as GNU parallel
		self.assertEqual(fill('{} --x', ('echo a;',)), 'echo a; --x')  # In the first word: nothing quoted
		self.assertEqual(fill('./run_{1} {2}', ('a b', 'c d')), './run_a b c d')
		self.assertEqual(fill('V={} run', ('a b',)), "V='a b' run")
		# GNU parallel's quoting and Perl's dirname, value by value
		for val, quoted in (('a=b', "'a=b'"), ('a+b', 'a+b'), ('', "''"), ("'", '"\'"'),
		("'x", '"\'"\'x\''), ('é', "'é'")):
			self.assertEqual(mpepool._cliQuote(val), quoted, val)
		for val, dirname in (('a/', '.'), ('/', '/'), ('/a', '/'), ('a//b', 'a'), ('x/.y/z', 'x/.y'), ('', '.')):
			self.assertEqual(mpepool._cliPerlDirname(val), dirname, val)

	def test_several_arguments_per_command(self):
		def fill(words, args, **kwargs):
			return mpepool._CliTemplate(words, **kwargs).fill(args, 1, 1)
		# With context (-X, -N, -L) the word around {} is repeated per argument; {N} stays once
		self.assertEqual(fill(['cp', 'src/{}.c', 'dst/'], ('a', 'b c'), context=True), "cp src/a.c src/'b c'.c dst/")
		self.assertEqual(fill(['echo', 'in/{}.txt', 'x{1}'], ('a', 'b'), context=True), 'echo in/a.txt in/b.txt xa')
		self.assertEqual(fill(['echo', 'in/{}.txt'], ('a', 'b')), 'echo in/a b.txt')  # -n, -m: inside the word
		self.assertEqual(fill(['echo', 'hi'], ()), 'echo hi ')  # -N0: {} appended, no argument
		self.assertEqual(fill(['printf', '%s;', '{}'], ('a b', "it's"), quoteall=True), 'printf \'%s;\' \'a b\' '
			'\'it\'"\'"\'s\'')  # -q: each word quoted whole
		self.assertEqual(fill(['echo', '{1\n}x', '{2 .}'], ('a', 'b.c')), 'echo ax b')  # Blanks after N
		self.assertEqual(fill(['echo', ',,', '{}'], ('a',), replstr=',,'), 'echo a {}')  # -I
		self.assertEqual(fill(['echo', '{+.}', '{..}', '{:-d}', '{%.b}'], ('x.a.b',), plus=True), 'echo b x x.a.b x.a')
		ns = mpepool._cliParse(['-l', 'echo'])
		self.assertEqual((ns.maxlines, ns.command), (1, ['echo']))  # -l takes no separate value
		self.assertEqual(mpepool._cliParse(['-l3', 'echo']).maxlines, 3)
		self.assertEqual(mpepool._cliParse(['--retries', '0']).retries, 1)
		self.assertEqual(cliCommands(['-k', '-n2', 'echo'], b'a\nb\nc\n'), [(1, 'echo a b'), (2, 'echo c')])
		for delim, text in (('\\r\\n', '\r\n'), ('\\101', 'A'), ('\\0', '\0'), ('\\\\', '\\\\'), ('\\t', '\t')):
			self.assertEqual(mpepool._cliDelimiter('-d', delim), text, delim)

	def test_inputs(self):
		with tempfile.TemporaryDirectory() as tmp:
			fa = os.path.join(tmp, 'a')
			fb = os.path.join(tmp, 'b')
			with open(fa, 'wb') as fout:
				fout.write(b'echo 1\n\n  \necho 2\r\n')
			with open(fb, 'wb') as fout:
				fout.write(b'echo \xff3')  # No final newline; a byte that is not UTF-8
			self.assertEqual(cliCommands(['-a', fa]), [(1, 'echo 1'), (2, ''), (3, '  '), (4, 'echo 2\r')])  # As GNU
			self.assertEqual(cliCommands(['--arg-sep', ',', 'e', ',', 'a', 'b', ',', 'c']),
				[(1, 'e a c'), (2, 'e b c')])
			# Blank lines are arguments of a command; stdin is read when no source is given
			self.assertEqual(cliCommands(['echo'], b'x\n\ny z\n'), [(1, 'echo x'), (2, "echo ''"), (3, "echo 'y z'")])
			self.assertEqual(cliCommands(['-r', 'echo'], b'x\n\n \n'), [(1, 'echo x')])
			self.assertEqual(cliCommands(['-0', 'echo'], b'a\nb\0c\0'), [(1, "echo 'a\nb'"), (2, 'echo c')])
			self.assertEqual(cliCommands(['echo', '{2}{1}', '::::', fa, '::::+', fb]),
				[(1, "echo 'echo \udcff3''echo 1'")])
			self.assertEqual(cliCommands(['-a', fa, '--colsep', ' ', 'e', 'X{2}X']), [(1, 'e X1X'), (2, 'e XX')
				, (3, "e X''X"), (4, 'e X2X')])  # Trimmed columns, as GNU parallel
			with self.assertRaises(mpepool._CliError) as ctx:
				cliCommands(['-a', fa, '-a', os.path.join(tmp, 'missing')])
			self.assertIn('missing', str(ctx.exception))


class TestCliJoblog(MpeTestCase):
	"""The job log line format and the reading of logs for --resume, in-process"""

	def setUp(self):
		super().setUp()
		self.log = os.path.join(self.tmp, 'log')

	def write(self, text):
		with open(self.log, 'w') as flog:
			flog.write(text)

	def test_line_round_trip(self):
		line = mpepool._cliLogLine(12, 1700000000.1234, 1.5, 42, -1, 15, "printf 'a\\tb'\tx", 0.5, 0.25, 0.125
			, 'timeout')
		self.assertTrue(line.endswith('\n'))
		cols = line[:-1].split('\t')
		self.assertEqual(cols[:8], ['12', ':', '1700000000.123', '     1.500', '0', '42', '-1', '15'])
		self.assertEqual(cols[-4:], ['512.000', '0.250', '0.125', 'timeout'])
		self.assertEqual(mpepool._cliLogRecord(line[:-1]), (12, -1, 15, "printf 'a\\tb'\tx\t512.000\t0.250"
			"\t0.125\ttimeout"))
		self.write(mpepool._JOBLOG_HEADER + '\n' + line)
		self.assertEqual(mpepool._cliReadJoblog(self.log), {12: False})
		line = mpepool._cliLogLine(3, 1.7e9, 0.1, 0, 0, 0, "echo 'a\nb'", 0, 0, 0, None)  # As GNU: one line
		self.assertEqual((line.count('\n'), line.split('\t')[8]), (1, "echo 'a\0b'"))

	def test_verdicts(self):
		rows = [mpepool._cliLogLine(s, 1.7e9, 0.1, 0, e, g, 'c', 0, 0, 0, None) for s, e, g in (
			(1, 0, 0), (2, 3, 0), (3, 0, 9), (2, 0, 0))]
		self.write(mpepool._JOBLOG_HEADER + '\n' + ''.join(rows))
		self.assertEqual(mpepool._cliReadJoblog(self.log), {1: True, 2: True, 3: False})
		# A log of GNU parallel has only the nine first columns
		self.write('\t'.join(mpepool._JOBLOG_GNU) + '\n1\t:\t1795674156.012\t     0.000\t0\t2\t0\t0\techo a\n'
			'2\t:\t1795674156.014\t     0.203\t0\t0\t3\t0\tsleep 0.2; exit 3\n')
		self.assertEqual(mpepool._cliReadJoblog(self.log), {1: True, 2: False})
		self.assertEqual(mpepool._cliReadJoblog(self.log + '.missing'), {})
		self.write('')
		self.assertEqual(mpepool._cliReadJoblog(self.log), {})

	def test_malformed(self):
		good = mpepool._cliLogLine(1, 1.7e9, 0.1, 0, 0, 0, 'c', 0, 0, 0, None)
		for text, where in (('Seq\tHost\n' + good, 'line 1'), (mpepool._JOBLOG_HEADER + '\n' + good[:-1]
		, 'line 2'), (mpepool._JOBLOG_HEADER + '\n' + good + 'x\t:\t1\t1\t0\t0\t0\t0\tc\n', 'line 3')
		, (mpepool._JOBLOG_HEADER + '\n1\t:\t1\n', 'line 2'), (mpepool._JOBLOG_HEADER + '\n' + good.replace(
			'\t0\t0\tc', '\tzero\t0\tc') , 'Exitval')):
			self.write(text)
			with self.assertRaises(mpepool._CliError, msg=text) as ctx:
				mpepool._cliReadJoblog(self.log)
			self.assertIn('malformed job log', str(ctx.exception))
			self.assertIn(where, str(ctx.exception))


class TestCliUsageErrors(MpeTestCase):
	"""Bad input to the real command: one line naming the problem, exit status 255, nothing run"""

	def test_bad_input(self):
		with tempfile.TemporaryDirectory() as tmp:
			marker = os.path.join(tmp, 'ran')
			cmds = os.path.join(tmp, 'cmds')
			with open(cmds, 'w') as fout:
				fout.write('touch {}\n'.format(marker))
			badlog = os.path.join(tmp, 'bad.log')
			with open(badlog, 'w') as fout:
				fout.write('not a job log\n')
			for args, word in ((['--bogus', '-a', cmds], '--bogus'), (['--timeout', '-5', '-a', cmds], '--timeout')
			, (['-a', cmds, '-a', os.path.join(tmp, 'nofile')], 'nofile'), (['--joblog', badlog, '--resume', '-a'
				, cmds], 'malformed job log'), (['--memlim', 'lots', '-a', cmds], '--memlim'), (['--halt', 'x', '-a'
				, cmds], '--halt'), (['--joblog', os.path.join(tmp, 'no', 'dir', 'log'), '-a', cmds], 'job log')
			, (['--pipe', '-a', cmds], '--pipe'), (['-a', cmds, 'echo', '{= uc =}'], '{=')
			, (['--timeout', 'inf', '-a', cmds], '--timeout'), (['--timeout', '1e300', '-a', cmds], '--timeout')
			, (['--memlim', '1e400G', '-a', cmds], '--memlim'), (['-j', '1000000000', '-a', cmds], '-j')
			, (['-j', '9' * 400, '-a', cmds], '-j')):
				res = cliRun(*args)
				self.assertEqual(res.returncode, 255, (args, res.stderr))
				err = res.stderr.decode()
				self.assertEqual(err.count('\n'), 1, err)
				self.assertTrue(err.startswith('mpepool: error: '), err)
				self.assertIn(word, err)
				self.assertEqual(res.stdout, b'')
				self.assertFalse(os.path.exists(marker), args)


def cliProcesses(token):
	"""Pids of the processes whose command line contains token (left running by a test otherwise)"""
	pids = []
	for name in os.listdir('/proc'):
		if name.isdigit() and int(name) != os.getpid():
			try:
				with open('/proc/{}/cmdline'.format(name), 'rb') as fcmd:
					if token.encode() in fcmd.read() and pidAlive(int(name)):
						pids.append(int(name))
			except OSError:
				continue
	return pids


class CliTestCase(MpeTestCase):
	"""Helpers for the real command: its inputs, job log (self.log) and outputs in the test's folder; the
	processes it starts and the long jobs of sleeper() do not outlive the test"""

	def setUp(self):
		super().setUp()
		self.log = self.path('log')
		# A token in the commands of long jobs: no process carrying it may outlive a test
		self.token = '{}.{}'.format(30 + os.getpid() % 1000, int(time.time() * 1000) % 1000000)
		self.addCleanup(self.assertNoTokenProcesses)
		self.procs = []  # The commands started: killed if they run, reaped, before the check above
		self.addCleanup(lambda: [self.endProcess(proc) for proc in self.procs])

	def assertNoTokenProcesses(self):
		left = waitUntil(lambda: not cliProcesses(self.token), 5) or cliProcesses(self.token)
		if left is not True:
			for pid in left:
				os.kill(pid, signal.SIGKILL)
			self.fail('processes left running: {}'.format(left))

	def sleeper(self):
		"""A shell command that sleeps a long time and is recognized by its token"""
		return 'sleep ' + self.token

	def commands(self, *lines, name='cmds'):
		"""A file of commands, one per line"""
		path = self.path(name)
		with open(path, 'w') as fout:
			fout.write(''.join(line + '\n' for line in lines))
		return path

	def start(self, *args, **kwargs):
		"""Start the real command in the background: subprocess.Popen"""
		kwargs.setdefault('stdout', subprocess.PIPE)
		kwargs.setdefault('stderr', subprocess.PIPE)
		kwargs.setdefault('env', cliEnv())
		proc = subprocess.Popen(cliCmd(*args), cwd=REPO, **kwargs)
		self.procs.append(proc)
		return proc

	@staticmethod
	def endProcess(proc):
		"""Kill a process if it runs, reap it"""
		if proc.poll() is None:
			proc.kill()
		proc.wait()

	def rows(self, log=None):
		"""The rows of the job log by Seq (int), each a list of rows, oldest first"""
		header, rows = cliParseLog(log or self.log)
		self.assertEqual(header, list(mpepool._JOBLOG_GNU + mpepool._JOBLOG_OURS))
		byseq = {}
		for row in rows:
			byseq.setdefault(int(row['Seq']), []).append(row)
		return byseq


class TestCliRun(CliTestCase):
	"""The real command: outputs, the job log, templates and the options of a run"""

	def test_commands_output_and_log(self):
		cmds = self.commands('echo a', "printf 'xyz'", 'sleep 0.2; exit 3', 'kill -9 $$', 'echo err >&2; echo out'
			, "printf 'a\tb\\n'")
		tbefore = time.time()
		res = cliRun('-j2', '--joblog', self.log, '-a', cmds)
		tafter = time.time()
		self.assertEqual(res.returncode, 2, res.stderr)  # exit 3 and the kill: two failed
		out = res.stdout.decode()
		for chunk in ('a\n', 'xyz', 'out\n', 'a\tb\n'):  # Grouped: each job's output in one piece
			self.assertIn(chunk, out)
		self.assertEqual(len(out), 2 + 3 + 4 + 4)
		self.assertIn('err\n', res.stderr.decode())
		byseq = self.rows()
		self.assertEqual(sorted(byseq), [1, 2, 3, 4, 5, 6])
		with open(cmds) as fcmd:
			lines = fcmd.read().split('\n')
		expect = {1: (2, 0, 0), 2: (3, 0, 0), 3: (0, 3, 0), 4: (0, 0, 9), 5: (4, 0, 0), 6: (4, 0, 0)}
		for seq, (receive, exitval, sig) in expect.items():
			row, = byseq[seq]
			self.assertEqual((row['Host'], row['Send'], row['Command']), (':', '0', lines[seq - 1]))
			self.assertEqual((int(row['Receive']), int(row['Exitval']), int(row['Signal'])), (receive, exitval, sig)
				, row)
			self.assertRegex(row['Starttime'], r'^\d+\.\d{3}$')
			self.assertTrue(tbefore - 1 <= float(row['Starttime']) <= tafter, row)
			self.assertRegex(row['JobRuntime'], r'^ *\d+\.\d{3}$')
			self.assertEqual(len(row['JobRuntime']), 10)
			self.assertLess(float(row['JobRuntime']), tafter - tbefore)
			self.assertTrue(row['RssmaxMB'] == '-' or float(row['RssmaxMB']) > 0, row)  # '-': below the pool's own peak
			self.assertGreaterEqual(float(row['Utime']) + float(row['Stime']), 0)
			self.assertEqual(row['Reason'], '-')
		self.assertGreaterEqual(float(byseq[3][0]['JobRuntime']), 0.2)

	def test_output_files_reused(self):
		# A job's temporary output files serve the next jobs; a file left empty is not truncated again, but
		# rewound: the job that emptied its own output (its writes moved the shared offset) leaves no hole
		res = cliRun('-j1', '-k', '--tag', '--joblog', self.log, ':::', 'echo abc; : > /dev/stdout', 'true'
			, 'echo x >&2', 'echo next', 'printf z')
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertEqual(res.stdout, b'echo next\tnext\nprintf z\tz')
		self.assertEqual(res.stderr, b'echo x >&2\tx\n')
		self.assertEqual({seq: int(rows[0]['Receive']) for seq, rows in self.rows().items()}
			, {1: 0, 2: 0, 3: 0, 4: 5, 5: 1})

	def test_templates(self):
		for lead in ([], ['--']):  # GNU parallel's convention; a leading -- is accepted
			res = cliRun(*lead + ['echo'], stdin=b'x\ny  z\n')
			self.assertEqual(res.returncode, 0, res.stderr)
			self.assertEqual(sorted(res.stdout.decode().splitlines()), ['x', 'y  z'])  # Quoted: spaces kept
		res = cliRun('-j1', '--', 'echo {#}:{/.}:{.}', ':::', 'd/a.txt', 'b.c')
		self.assertEqual(res.stdout.decode(), '1:a:d/a\n2:b:b\n', res.stderr)
		res = cliRun('--', ':::', 'echo one', 'echo two')  # Commands given as words
		self.assertEqual(sorted(res.stdout.decode().split()), ['one', 'two'])
		with open(self.path('args'), 'w') as fout:
			fout.write('p\nq\n')
		res = cliRun('-a', self.path('args'), '--', 'echo [{}]')
		self.assertEqual(sorted(res.stdout.decode().split()), ['[p]', '[q]'])

	def test_timeout_and_restart(self):
		tstart = time.perf_counter()
		res = cliRun('-j2', '--timeout', '0.5', '--joblog', self.log, '--', ':::', self.sleeper(), 'echo fast')
		self.assertLess(time.perf_counter() - tstart, 20)
		self.assertEqual(res.returncode, 1, res.stderr)
		row, = self.rows()[1]
		self.assertEqual((row['Exitval'], row['Reason']), ('-1', 'timeout'))
		self.assertIn(row['Signal'], ('15', '9'))
		self.assertTrue(0.4 < float(row['JobRuntime']) < 10, row)
		self.assertEqual(res.stdout, b'fast\n')
		# Restarted after the timeout: the second run succeeds, the output of the first is dropped
		flag = self.path('flag')
		res = cliRun('--timeout', '0.5', '--restart-timeout', '--joblog', self.log, '--', ':::'
			, '[ -e {0} ] && echo ok || {{ touch {0}; echo first; {1}; }}'.format(flag, self.sleeper()))
		self.assertEqual((res.returncode, res.stdout), (0, b'ok\n'), res.stderr)
		row, = self.rows()[1]
		self.assertEqual((row['Exitval'], row['Signal'], row['Reason']), ('0', '0', '-'))

	def test_retries(self):
		count = self.path('count')
		job = 'echo x >> {0}; echo try; [ $(wc -l < {0}) -ge 3 ]'.format(count)
		res = cliRun('--retries', '3', '--joblog', self.log, '--', ':::', job)
		self.assertEqual((res.returncode, res.stdout), (0, b'try\n'), res.stderr)  # The last attempt's output
		with open(count) as fcount:
			self.assertEqual(fcount.read(), 'x\n' * 3)
		self.assertEqual(len(self.rows()[1]), 1)  # The last attempt is logged
		os.unlink(count)
		res = cliRun('--retries', '2', '--joblog', self.log, '--', ':::', job)
		self.assertEqual(res.returncode, 1)
		with open(count) as fcount:
			self.assertEqual(fcount.read(), 'x\n' * 2)
		self.assertEqual(self.rows()[1][0]['Exitval'], '1')

	def test_results_ungroup_workdir(self):
		results = self.path('res')
		res = cliRun('--results', results, '--joblog', self.log, 'echo err >&2; echo', ':::', 'out', 'a/b')
		self.assertEqual((res.returncode, res.stdout), (0, b''), res.stderr)
		for name, text in (('1/out/stdout', 'out\n'), ('1/out/stderr', 'err\n'), ('1/out/seq', '1')
		, ('1/a\\_b/stdout', 'a/b\n'), ('1/a\\_b/seq', '2')):  # GNU parallel's layout
			with open(os.path.join(results, name)) as fout:
				self.assertEqual(fout.read(), text, name)
		self.assertEqual(self.rows()[1][0]['Receive'], '4')
		res = cliRun('-u', '--joblog', self.log, '--', ':::', 'echo direct')
		self.assertEqual(res.stdout, b'direct\n')
		self.assertEqual(self.rows()[1][0]['Receive'], '0')  # As GNU parallel -u: not counted
		res = cliRun('--workdir', self.tmp, '--', ':::', 'pwd')
		self.assertEqual(os.path.realpath(res.stdout.decode().strip()), os.path.realpath(self.tmp))
		res = cliRun('--workdir', self.path('new/dir'), ':::', 'pwd')  # Created, as GNU parallel does
		self.assertEqual(os.path.realpath(res.stdout.decode().strip()), os.path.realpath(self.path('new/dir')))

	def test_halt(self):
		cmds = self.commands('exit 1', 'exit 2', 'exit 3', 'echo not run')
		res = cliRun('-j1', '--halt', 'now,fail=2', '--joblog', self.log, '-a', cmds)
		self.assertEqual(res.returncode, 2, res.stderr)
		self.assertEqual(sorted(self.rows()), [1, 2])
		# GNU parallel's diagnostic for each failed job, not the pool's lines
		self.assertEqual(res.stderr.decode(), 'mpepool: This job failed:\nexit 1\nmpepool: This job failed:\nexit 2\n')
		self.assertEqual(res.stdout, b'')
		# soon: the running job finishes and is logged, nothing more starts
		cmds = self.commands('sleep 1; echo s1', 'sleep 0.2; exit 2', 'exit 3', 'echo not run')
		res = cliRun('-j2', '--halt', 'soon,fail=1', '--joblog', self.log, '-a', cmds)
		self.assertEqual((res.returncode, res.stdout), (2, b's1\n'), res.stderr)  # GNU's: the job's status
		byseq = self.rows()
		self.assertEqual(sorted(byseq), [1, 2])
		self.assertEqual(byseq[1][0]['Exitval'], '0')
		# now: the running job is stopped and not logged (--resume runs it again)
		cmds = self.commands(self.sleeper(), 'sleep 0.2; exit 2', 'echo not run')
		res = cliRun('-j2', '--halt', '2', '--joblog', self.log, '-a', cmds)  # GNU's 2: now,fail=1
		self.assertEqual(res.returncode, 2, res.stderr)
		self.assertEqual(sorted(self.rows()), [2])

	def test_exit_status(self):
		self.assertEqual(cliRun('--', ':::', 'true', 'exit 0').returncode, 0)
		self.assertEqual(cliRun('--', ':::', 'exit 1', 'exit 7', 'kill -TERM $$', 'true').returncode, 3)
		res = cliRun('-j2', '--joblog', self.log, stdin=b'exit 1\n' * 102)
		self.assertEqual(res.returncode, 101)
		self.assertEqual(len(self.rows()), 102)
		self.assertEqual(cliRun('--', ':::').returncode, 0)  # Nothing to do
		res = cliRun('--version')
		self.assertEqual((res.returncode, res.stdout.decode().split()), (0, ['mpepool', mpepool.__version__]))
		res = cliRun('--help')
		self.assertEqual(res.returncode, 0)
		for option in ('--joblog', '--resume-failed', '--halt', '--memlimit', '--afnstep', '--webui', '--bar'):
			self.assertIn(option, res.stdout.decode())

	def test_memory_options(self):
		# The pool limit reaches the pool: one beyond the RAM is reduced, with the pool's warning
		res = cliRun('--memlimit', '100T', '--', ':::', 'true')
		self.assertEqual(res.returncode, 0, res.stderr)
		if mpepool._LIMIT_WORKERS_RAM:
			self.assertIn('reduced to the RAM limit', res.stderr.decode())
		res = cliRun('--memlimit', '4G', '--memlim', '1G', '--', ':::', 'echo ok')
		self.assertEqual((res.returncode, res.stdout), (0, b'ok\n'), res.stderr)

	def test_memlim(self):
		if not mpepool._LIMIT_WORKERS_RAM:
			self.skipTest('memory limits need psutil')
		if not cliMemoryLanded():
			self.skipTest('per-job memory limits are not enforced by the pool yet')
		hog = '{} -c "import time; x = b\'1\' * (300 << 20); time.sleep(5)" # {}'.format(sys.executable, self.token)
		res = cliRun('--memlim', '100M', '--joblog', self.log, '--', ':::', hog, 'echo light')
		byseq = self.rows()
		self.assertEqual((res.returncode, byseq[1][0]['Reason'], byseq[2][0]['Exitval']), (1, 'memory limit', '0')
			, res.stderr)

	def test_afnstep(self):
		cpus = sorted(os.sched_getaffinity(0))
		if len(cpus) < 2:
			self.skipTest('affinity needs 2 CPUs')
		res = cliRun('-j2', '--afnstep', '1', '--', ':::', 'sleep 0.3; grep Cpus_allowed_list /proc/self/status'
			, 'sleep 0.3; grep Cpus_allowed_list /proc/self/status')
		self.assertEqual(res.returncode, 0, res.stderr)
		allowed = [line.split()[-1] for line in res.stdout.decode().splitlines()]
		self.assertEqual(len(allowed), 2, res.stdout)
		for val in allowed:  # One CPU each, while the pool itself may use all
			self.assertRegex(val, r'^\d+$')
			self.assertIn(int(val), cpus)
		self.assertNotEqual(allowed[0], allowed[1])  # Two slots run at once on distinct CPUs


def cliMemoryLanded():
	"""Whether the pool enforces per-job memory limits: its memory revision is not a stub"""
	body = ast.parse(textwrap.dedent(inspect.getsource(mpepool.ExecPool._reviseMemory))).body[0].body
	return not (len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant))


class TestCliInterrupt(CliTestCase):
	"""SIGINT/SIGTERM stop the run cleanly; --resume and --resume-failed run only what is left"""

	def waitRuns(self, runs, what):
		"""Wait until the runs file holds the line what"""
		def ran():
			try:
				with open(runs) as frun:
					return what in frun.read().split()
			except FileNotFoundError:
				return False
		self.assertTrue(waitUntil(ran, 20), 'job {} did not start'.format(what))

	def test_resume_after_sigint(self):
		runs = self.path('runs')
		go = self.path('go')
		cmds = self.commands(*['echo {} >> {}'.format(i, runs) for i in (1, 2)] + [
			'echo 3 >> {}; [ -e {} ] || {}'.format(runs, go, self.sleeper())] + [
			'echo {} >> {}'.format(i, runs) for i in (4, 5)])
		proc = self.start('-j1', '--joblog', self.log, '-a', cmds)
		self.waitRuns(runs, '3')
		self.assertTrue(waitUntil(lambda: cliProcesses(self.token), 10))
		tsig = time.perf_counter()
		proc.send_signal(signal.SIGINT)
		out, err = proc.communicate(timeout=20)
		self.assertLess(time.perf_counter() - tsig, 5)
		self.assertEqual(proc.returncode, 130, err)
		self.assertIn('SIGINT', err.decode())
		self.assertEqual(cliProcesses(self.token), [])  # The job's tree was stopped with the run
		self.assertEqual(sorted(self.rows()), [1, 2])  # Finished jobs only, whole lines
		with open(self.log, 'rb') as flog:
			self.assertTrue(flog.read().endswith(b'\n'))
		open(go, 'w').close()
		res = cliRun('-j1', '--joblog', self.log, '--resume', '-a', cmds)
		self.assertEqual(res.returncode, 0, res.stderr)
		with open(runs) as frun:
			self.assertEqual(frun.read().split(), ['1', '2', '3', '3', '4', '5'])
		self.assertEqual({seq: len(rows) for seq, rows in self.rows().items()}, {1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
		res = cliRun('-j1', '--joblog', self.log, '--resume', '-a', cmds)  # All done: nothing runs
		self.assertEqual(res.returncode, 0, res.stderr)
		with open(runs) as frun:
			self.assertEqual(len(frun.read().split()), 6)

	def test_sigterm_then_resume_failed(self):
		runs = self.path('runs')
		fixed = self.path('fixed')
		cmds = self.commands('echo 1 >> {0}; [ -e {1} ] || exit 1'.format(runs, fixed), 'echo 2 >> {}'.format(runs)
			, 'echo 3 >> {}; [ -e {} ] || {}'.format(runs, fixed, self.sleeper()))
		proc = self.start('-j2', '--joblog', self.log, '-a', cmds)
		self.waitRuns(runs, '3')
		self.assertTrue(waitUntil(lambda: os.path.exists(self.log) and len(self.rows()) == 2, 10))
		proc.send_signal(signal.SIGTERM)
		out, err = proc.communicate(timeout=20)
		self.assertEqual(proc.returncode, 143, err)
		self.assertEqual(sorted(self.rows()), [1, 2])
		open(fixed, 'w').close()
		res = cliRun('-j2', '--joblog', self.log, '--resume-failed', '-a', cmds)
		self.assertEqual(res.returncode, 0, res.stderr)
		with open(runs) as frun:
			self.assertEqual(sorted(frun.read().split()), ['1', '1', '2', '3', '3'])
		byseq = self.rows()
		self.assertEqual([row['Exitval'] for row in byseq[1]], ['1', '0'])  # Appended, as GNU parallel
		self.assertEqual((len(byseq[2]), len(byseq[3])), (1, 1))


class TestCliMessages(CliTestCase):
	"""What the command line says on stderr: a job's timeout in plain words, no pool internals without
	--pool-messages, consistent counts on Ctrl-C, the closest option to a misspelt one"""

	def test_timeout(self):
		# By default as GNU parallel says it; with --pool-messages the pool's own line too, in plain words
		res = cliRun('--timeout', '0.5', 'sleep', ':::', '0.1', '30')
		self.assertEqual((res.returncode, res.stderr.decode()), (1, 'mpepool: Warning: This job was killed because'
			' it timed out:\nmpepool: Warning: sleep 30\n'))
		res = cliRun('--pool-messages', '--timeout', '0.5', 'sleep', ':::', '0.1', '30')
		self.assertEqual(res.returncode, 1, res.stderr)
		self.assertRegex(res.stderr.decode(), r'(?m)^WARNING, "2 sleep 30" #\d+ is terminated because of the timeout'
			r' violation: its timeout is 0\.50 s; it ran 0\.\d\d s$')

	def test_sigint_counts(self):
		"""Ctrl-C: one summary whose counts add up; the pool's own steps only with --pool-messages"""
		for extra in ((), ('--pool-messages',)):
			cmds = self.commands(self.sleeper(), 'echo 2', 'echo 3')
			proc = self.start('-j1', *extra, '-a', cmds)
			self.assertTrue(waitUntil(lambda: cliProcesses(self.token), 20))
			proc.send_signal(signal.SIGINT)
			out, err = proc.communicate(timeout=20)
			err = err.decode()
			self.assertEqual(proc.returncode, 130, err)
			self.assertIn('mpepool: stopped by SIGINT: 0 finished, 1 interrupted, 2 not started\n', err)
			if extra:
				self.assertIn('terminating the execution pool with 0 non-started jobs and 1 workers', err)
				self.assertIn('call stack:', err)
			else:
				self.assertEqual(err, 'mpepool: stopped by SIGINT: 0 finished, 1 interrupted, 2 not started\n')

	def test_did_you_mean(self):
		for argv, hint in ((['--timout', '1'], 'did you mean --timeout?'), (['--jobslog', 'x'], 'did you mean --joblog?')
		, (['--zzzzzz'], None)):
			res = cliRun(*argv + ['echo', ':::', 'a'])
			err = res.stderr.decode()
			self.assertEqual((res.returncode, res.stdout, err.count('\n')), (255, b'', 1), err)
			self.assertIn('unsupported option ' + argv[0], err)
			if hint:
				self.assertIn(hint, err)
			else:
				self.assertNotIn('did you mean', err)


class TestCliProgress(CliTestCase):
	"""The progress bar: drawn on a terminal, absent when standard error is a pipe"""

	def test_bar_on_terminal_only(self):
		for option in ('--bar', '--eta', '--progress'):  # GNU parallel's three: one moving estimate here
			with self.subTest(option):
				self.checkBar(option)

	def checkBar(self, option):
		master, slave = pty.openpty()
		args = [option, '-j2', '--', 'sleep 0.2; echo {}', ':::'] + [str(i) for i in range(8)]
		try:
			proc = self.start(*args, stderr=slave)
		finally:
			os.close(slave)
		screen = b''
		while True:
			try:
				data = os.read(master, 4096)
			except OSError:  # EIO: the other side closed
				break
			if not data:
				break
			screen += data
		os.close(master)
		out, _ = proc.communicate(timeout=20)
		self.assertEqual(proc.returncode, 0)
		self.assertEqual(sorted(out.decode().split()), [str(i) for i in range(8)])
		screen = screen.decode()
		self.assertIn('ETA', screen)
		self.assertRegex(screen, r'\[#+\] 100% 8/8 failed 0 running 0 ETA 0:00:00')
		self.assertRegex(screen, r' (25|37|50|62|75|87)% [2-7]/8 ')  # Drawn while running, not only at the end
		res = cliRun(*args)
		self.assertEqual(res.returncode, 0)
		self.assertNotIn(b'ETA', res.stderr)
		self.assertNotIn(b'\r', res.stderr)
		self.assertEqual(res.stderr, b'')


class TestCliGnuParallel(CliTestCase):
	"""The same command list through GNU parallel and mpepool: the nine GNU columns mean the same"""

	def test_same_log_columns(self):
		gnu = shutil.which('parallel')
		requireTool(self, gnu, 'GNU parallel is not installed (Debian package parallel)')
		lines = ['echo a', 'sleep 0.3; exit 3', "printf 'xyz'", 'kill -9 $$', 'echo "b c" | cat', self.sleeper()]
		cmds = self.commands(*lines)
		glog = self.path('gnu.log')
		env = dict(os.environ, SHELL='/bin/sh')  # GNU parallel runs the commands with $SHELL
		tstart = time.time()
		gres = subprocess.run([gnu, '--will-cite', '-j2', '--timeout', '1', '--joblog', glog, '-a', cmds]
			, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, env=env)
		mres = cliRun('-j2', '--timeout', '1', '--joblog', self.log, '-a', cmds)
		tend = time.time()
		self.assertEqual(mres.returncode, gres.returncode, (mres.stderr, gres.stderr))
		self.assertEqual(sorted(mres.stdout.split(b'\n')), sorted(gres.stdout.split(b'\n')))
		with open(glog) as flog:
			gheader = flog.readline().rstrip('\n').split('\t')
			grows = {int(cols[0]): dict(zip(gheader, cols)) for cols in (line.rstrip('\n').split('\t', 8)
				for line in flog)}
		self.assertEqual(gheader, list(mpepool._JOBLOG_GNU))
		mrows = {seq: rows[0] for seq, rows in self.rows().items()}
		self.assertEqual(sorted(mrows), sorted(grows))
		for seq in grows:
			grow, mrow = grows[seq], mrows[seq]
			for col in ('Seq', 'Host', 'Send', 'Receive', 'Exitval', 'Signal', 'Command'):
				self.assertEqual(mrow[col], grow[col], (seq, col, mrow, grow))
			for row in (grow, mrow):
				self.assertTrue(tstart - 1 <= float(row['Starttime']) <= tend, row)
				self.assertEqual(len(row['JobRuntime']), 10)
		self.assertEqual((mrows[6]['Exitval'], mrows[6]['Reason']), ('-1', 'timeout'))  # The timed-out job
		for seq, least in ((2, 0.3), (6, 1.)):
			for row in (grows[seq], mrows[seq]):
				self.assertGreaterEqual(float(row['JobRuntime']), least - 0.05, row)


# Invocations run alike through GNU parallel and mpepool: (name, argv, options). In argv, '@NAME' is the
# path of the input file NAME of GNU_FILES and '@results' a folder of the run. options: 'order' how the
# outputs compare ('exact'; 'sorted' lines, the default without -k or -j1; 'distinct' lines, for {%}),
# 'log' False for no --joblog, 'stdin' bytes, 'prelog' the argv that the OTHER tool runs first with the
# same job log (so each resumes from the other's log or appends to it with 'append'), 'results' to compare
# the --results trees, 'rows' 'commands' to compare only the commands run (their seq is random), 'spaced'
# the least seconds between the job starts, 'stderr' to compare the standard errors too (GNU's
# "parallel:" read as "mpepool:"), 'env' further environment variables ('@' starting a value: the run's
# folder).
GNU_FILES = {'letters': 'p\nq\n', 'digits': '1\n2\n3\n', 'csv': 'a,b\nc , d\ne\n', 'nul': 'a\nb\0c\0'
	, 'commas': 'x y,z,', 'ten': ''.join('{}\n'.format(i) for i in range(1, 11)), 'four': '1\n2\n3\n4\n'
	, 'twenties': '21\n22\n23\n', 'quoted': 'a,"b,c"\n"d ""e""",f\n', 'named': 'name,size\nx,1\ny,2\n'}
_GNU_MANY = [a + b for a in 'abcdefghij' for b in 'abcdefghij']  # 100 arguments of 2 characters
GNU_CASES = (
	('::: cross product', ['echo', ':::', 'a', 'b', ':::', '1', '2'], {}),
	(':::+ linked', ['echo', ':::', 'a', 'b', 'c', ':::+', '1', '2'], {}),
	(':::: files', ['echo', '::::', '@letters', '::::+', '@digits', ':::', 'x', 'y'], {}),
	('{1} {2} positional', ['echo {2}-{1} {1.} {1/} {1//} {1/.} {-1} {#}', ':::', 'd/a.txt', 'b', ':::', '1', '2']
		, {}),
	('no command: input lines are commands', [], {'stdin': b'echo x\n\n  \necho "y  z"\n'}),
	('-k', ['-k', '-j3', 'sleep {}; echo {}', ':::', '0.3', '0.1', '0.2', '0'], {}),
	('--tag', ['-k', '--tag', 'printf "%s\\n" {} x; printf e >&2', ':::', 'a b', 'c', ':::', '1'], {}),
	('--tagstring', ['-k', '--tagstring', '<{2}>{#}', 'echo', ':::', 'a b', 'c', ':::', '1'], {}),
	('--colsep', ['-k', '--colsep', ',', 'echo {2}:{1}', '::::', '@csv'], {}),
	('-N2', ['-k', '-N2', 'echo {1}-{2}', ':::', 'a', 'b', 'c'], {}),
	('-r', ['-k', '-r', 'echo', ':::', '', ' ', 'a', ':::', 'b', ''], {}),
	('--link -n2', ['-k', '--link', '-n2', 'echo', ':::', 'a', 'b', 'c', ':::', '1', '2'], {}),
	('-0', ['-k', '-0', 'echo', '::::', '@nul'], {}),
	('-d --arg-sep', ['-k', '-d', ',', '--arg-sep', ',,', 'echo', ',,', 'p', 'q', '::::', '@commas'], {}),
	('--dry-run', ['--dry-run', '-k', '--tag', 'echo', ':::', "it's", 'a b', 'c=d'], {'log': False}),
	('--halt 1', ['-j1', '--halt', '1', ':::', 'exit 3', 'exit 4', 'echo not run'], {}),
	('--halt 2', ['-j2', '--halt', '2', ':::', 'sleep 0.3; exit 3', 'sleep 9', 'echo not run'], {}),
	('--halt soon,fail=1', ['-j2', '--halt', 'soon,fail=1', ':::', 'sleep 0.3; exit 3', 'sleep 1; echo s'
		, 'echo not run'], {}),
	('--halt now,fail=50%', ['-j1', '--halt', 'now,fail=50%', ':::', 'exit 1', 'true', 'exit 2', 'true'], {}),
	('--halt now,fail=50% not reached', ['-j1', '--halt', 'now,fail=50%', ':::', 'exit 1', 'true', 'true'
		, 'true'], {}),
	('-j0', ['-j0', 'sleep 1; echo {%}', ':::', '1', '2', '3', '4', '5'], {'order': 'distinct'}),
	('-j 50%', ['-j', '50%', 'sleep 0.1; echo {%}', ':::', '1', '2', '3'], {'order': 'distinct'}),
	('-j +1', ['-j', '+1', 'sleep 1; echo {%}'] + [':::'] + [str(i) for i in range(len(os.sched_getaffinity(0))
		+ 1)], {'order': 'distinct'}),
	('--timeout 200%', ['-j3', '--timeout', '200%', ':::', 'sleep 0.5', 'sleep 0.5', 'sleep 0.5', 'sleep 9'
		, 'echo after'], {}),  # The slow one stopped at twice the median, 1 s, well beyond the load's jitter
	('--resume', ['-j1', '--resume', ':::', 'true', 'exit 1', 'echo c'], {'prelog': ['-j1', '--halt', '2', ':::'
		, 'true', 'exit 1', 'echo c']}),
	('--resume-failed', ['-j1', '--resume-failed', ':::', 'true', 'exit 1', 'echo c'], {'prelog': ['-j1'
		, '--halt', '2', ':::', 'true', 'exit 1', 'echo c']}),
	('--results', ['--results', '@results', 'echo', ':::', 'a', 'b/c', ':::', '1'], {'results': True}),
	('--joblog +FILE', ['echo', ':::', 'b'], {'prelog': ['echo', ':::', 'a'], 'append': True}),
	('--shuf', ['--shuf', 'echo', ':::', 'a', 'b', 'c', 'd'], {'rows': 'commands'}),
	('--delay', ['--delay', '0.3', 'echo', ':::', 'a', 'b', 'c'], {'spaced': 0.25}),
	('--nice', ['--nice', '7', 'echo {} $(nice)', ':::', 'x'], {}),
	('-v', ['-k', '-v', 'echo', ':::', 'a', 'b'], {}),
	('--line-buffer', ['--line-buffer', '--tag', 'echo {}; sleep 0.2; echo {}', ':::', 'a', 'b'], {}),
	('-k with many jobs waiting', ['-k', '-j3', ':::', 'sleep 0.5; echo 0'] + ['echo {}'.format(i) for i in range(
		1, mpepool._CLI_HELDFDS + 6)], {}),
	# Several arguments per command: {} in a word is repeated with its word under -N, -X, -L (context), the
	# arguments go into the word under -n, -m, --xargs
	('-N3 {} inside a word', ['-k', '-N3', 'echo', 'in/{}.txt', ':::', 'a', 'b', 'c', 'd'], {}),
	('-N2 {} and {1} in a word with blanks', ['-k', '-N2', 'echo', 'in/{}.txt {1}', ':::', 'a', 'b', 'c', 'd'], {}),
	('-N2 two sources', ['-k', '-N2', 'echo', '{1}-{2}{}', 'x', ':::', 'a', 'b', ':::', '1', '2'], {}),
	('-n2 {} inside a word', ['-k', '-n2', 'echo', 'in/{}.txt', ':::', 'a', 'b', 'c'], {}),
	('-N0', ['-k', '-N0', 'echo', 'hi', ':::', 'a', 'b'], {}),
	('-N2 --colsep', ['-k', '-N2', '--colsep', ',', 'echo', '{1}+{3}', '{}', '::::', '@csv'], {}),
	('-X', ['-k', '-j2', '-X', 'echo', 'in/{}.txt', ':::', 'a', 'b', 'c', 'd'], {}),
	('-X alone', ['-k', '-j1', '-X', 'echo', ':::'] + _GNU_MANY, {}),
	('-X -s', ['-k', '-X', '-s', '20', 'echo', 'x{}y', ':::', 'aa', 'bb', 'cc', 'dd', 'ee', 'ff', 'gg'], {}),
	('-X --tag -j1', ['-k', '-j1', '-X', '--tag', 'echo', ':::', 'a', 'b'], {}),
	('-m spread over the slots', ['-k', '-j3', '-m', 'echo', 'x{}y', ':::', '1', '2', '3', '4', '5', '6', '7'], {}),
	('-m -N2', ['-k', '-m', '-N2', 'echo', 'x{}y', ':::', 'a', 'b', 'c'], {}),
	('-m -s', ['-k', '-j2', '-m', '-s', '40', 'echo', ':::'] + _GNU_MANY[:30], {}),
	('--xargs -s', ['-k', '--xargs', '-s', '20', 'echo', ':::', 'aa', 'bb', 'cc', 'dd', 'ee', 'ff', 'gg', 'hh', 'ii'
		, 'jj', 'kk'], {}),
	('--xargs', ['-k', '--xargs', 'echo', '::::', '@ten'], {}),
	('--xargs --dry-run', ['--dry-run', '-k', '--xargs', 'echo', '{}.x', ':::', 'a b', 'c'], {'log': False}),
	('-L2 a blank at the end continues a line', ['-k', '-L2', 'echo', 'x{}y'], {'stdin': b'a \nb\nc\nd\n'}),
	('-L2 positional', ['-k', '-L2', 'echo', 'x{1}y', '{2}'], {'stdin': b'a b\nc\n\nd\n'}),
	('-l', ['-k', '-l', 'echo', 'x{}y'], {'stdin': b'a b\nc\nd\n'}),
	('-l2', ['-k', '-l2', 'echo'], {'stdin': b'a\nb\nc\n'}),
	('-m -L2', ['-k', '-m', '-L2', 'echo', 'x{}y', ':::', 'a', 'b', 'c'], {}),
	('-I', ['-k', '-I', ',,', 'echo', ',,-{}', ',,.', ':::', 'a', 'b'], {}),
	('-I -N2', ['-k', '-N2', '-I', 'ARG', 'echo', 'x/ARG', ':::', 'a', 'b', 'c'], {}),
	('-E', ['-k', '-E', 'STOP', 'echo'], {'stdin': b'a\nb\nSTOP\nc\n'}),
	('--plus', ['-k', '--plus', 'echo', '{+/}', '{+.}', '{..}', '{+..}', '{/..}', '{...}', '{##}', '{0#}', ':::'
		, 'd/a.tar.gz', 'b', *'cdefghijk'], {}),
	('--plus bash-like', ['-k', '--plus', 'echo', '{:-def}', '{:2}', '{:1:2}', '{#a*}', '{##b*n}', '{%.*}', '{%%.*}'
		, '{/a/X}', '{//a/X}', '{/#b/Y}', '{/%b/Z}', '{^b}', '{^^a}', '{,B}', '{1:-x}', ':::', 'banana.a.b', ''], {}),
	('-q', ['-k', '-q', 'printf', '%s;', 'a  b', '{}', ':::', 'c d'], {}),
	('-q --dry-run', ['--dry-run', '-k', '-q', 'echo', 'a b', "it's", '{}', ':::', 'c d'], {'log': False}),
	('--header : with :::', ['-k', '--header', ':', 'echo', '{f1}', '{f2}', ':::', 'f1', 'a', 'b', ':::', 'f2', 'c']
		, {}),
	('--header with --colsep', ['-k', '--header', ':', '--colsep', ',', 'echo', '{size}-{name}', '{name.}', '::::'
		, '@named'], {}),
	('--header --tagstring --results', ['--header', ':', '--tagstring', '<{f1}>', '--results', '@results', 'echo'
		, ':::', 'f1', 'a', 'b'], {'results': True}),
	('--csv', ['-k', '--csv', 'echo', '{2}:{1}', '::::', '@quoted'], {}),
	('--csv --colsep --header', ['-k', '--csv', '--header', ':', 'echo', '{size}:{name}:'], {'stdin': b'name,size\n'
		b'" x ",1\n'}),
	('--compress', ['-k', '--compress', 'printf "%s\\n" {} {} {}; echo e{} >&2', ':::', 'a', 'b'], {}),
	('--compress -v --tag', ['-k', '-v', '--tag', '--compress', 'seq 3; echo', ':::', 'a'], {}),
	# Inputs as GNU reads them
	('::::+ links every file after it', ['-k', 'echo', '::::+', '@ten', '@digits', '@four'], {}),
	('::: then ::::+ then :::+', ['-k', 'echo', ':::', '11', '22', '33', '::::+', '@digits', '@twenties', ':::', 'a'
		, 'b', 'c', ':::+', 'aa', 'bb', 'cc'], {}),
	('-d \\r\\n', ['-k', '-d', '\\r\\n', 'echo', '{}a'], {'stdin': b'b\r\nc\r\n'}),
	('-d on ::: words', ['-k', '-d', ',', 'echo', ':::', 'a,b', 'c'], {}),
	('-d octal', ['-k', '-d', '\\101', 'echo', '{}x', ':::', '1A2', '3'], {}),
	('a newline in a ::: word', ['-k', 'echo', '{}x', ':::', 'a\nb'], {}),
	('a NUL in the input', ['-k', 'echo'], {'stdin': b'foo\0not printed\nbar\n'}),
	('{1 } spanning lines', ['-k', 'echo', '{1\n}x', '{1 }', '{1  .}', ':::', 'a.c'], {}),
	('-r skips blank lines, not empty columns', ['-k', '-r', '--colsep', ',', 'echo', '{1}:{2}:{3}'], {'stdin':
		b'id1,,x\nid2,y,z\n\nid3,w,\n \n'}),
	('an argument over the kernel\'s limit', ['echo', '{}'], {'stdin': b'0' * 140000 + b'\n', 'log': False}),
	('--results with a 256-character argument', ['--results', '@results', 'echo', ':::', 'x' * 256, 'y'], {'results'
		: True}),
	# Option values GNU accepts
	('--retries 0', ['--retries', '0', 'echo', ':::', 'a'], {}),
	('--retries {}', ['-j1', '--retries', '{}', 'echo x >> f{}; [ $(wc -l < f{}) -ge 2 ]', ':::', '2', '1'], {}),
	('--retries {//}', ['-k', '--retries', '{//}', 'echo', ':::', 'a/2', 'b/1'], {}),
	# Diagnostics and the environment
	('--halt diagnostics', ['-j1', '--halt', 'soon,fail=2', ':::', 'exit 3', 'exit 4', 'echo x'], {'stderr': True}),
	('--halt now diagnostics', ['-j1', '--halt', 'now,fail=1', ':::', 'exit 3', 'echo x'], {'stderr': True}),
	('timeout diagnostic', ['--timeout', '0.5', ':::', 'sleep 9', 'echo a'], {'stderr': True}),
	('$PARALLEL_ENV', ['-k', 'myf', ':::', 'a', 'b'], {'env': {'PARALLEL_ENV': 'myf() { echo "f:$1"; }'}}),
	('$PARALLEL_ENV as a file', ['-k', 'myf', ':::', 'a'], {'env': {'PARALLEL_ENV': '@penv'}, 'penv':
		b'myf() {\001echo "g:$1"\001}\n'}),
	('$PARALLEL_HOME created', ['test -d "$PARALLEL_HOME/x" && echo made', ':::', 'y'], {'env': {'PARALLEL_HOME'
		: '@home/x'}}),
	# Combinations people write
	('-k -N2 --tag --joblog', ['-k', '-N2', '--tag', 'echo', ':::', 'a', 'b', 'c'], {}),
	('-X --results', ['-j1', '-X', '--results', '@results', 'echo', ':::', 'a', 'b'], {'results': True}),
	('-m --halt', ['-j1', '-m', '-s', '26', '--halt', '1', 'f() { return $#; }; f', ':::', 'a', 'b', 'c', 'd', 'e'], {}),
	('-q -N2 --colsep', ['-k', '-q', '-N2', '--colsep', ',', 'printf', '[%s]', '{2}', '{}', '::::', '@csv'], {}),
	('--plus --tagstring -k', ['-k', '--plus', '--tagstring', '{/.}', 'echo', '{+/}', ':::', 'x/y.z'], {}),
)

# The rows of --pipe and --pipepart: blocks of the input to the jobs' standard input
GNU_FILES.update({'lines': ''.join('{}\n'.format(i) for i in range(1, 101)), 'fasta': '>a\nACGT\nGG\n>b\nT\n>c\nAAAAAAAA\nC\n'})
_SEQ = lambda n: ''.join('{}\n'.format(i) for i in range(1, n + 1)).encode()
GNU_CASES += (
	('--pipe wc -l', ['--pipe', 'wc -l'], {'stdin': _SEQ(1000)}),
	('--pipe --block 1k -k', ['-k', '--pipe', '--block', '1k', 'wc -c'], {'stdin': _SEQ(1000)}),
	('--pipe -N3 cat', ['-k', '--pipe', '-N3', 'cat'], {'stdin': _SEQ(10)}),
	('--pipe --block 10 --recend', ['-k', '--pipe', '--block', '10', '--recend', 'X', 'echo B; cat; echo'], {'stdin'
		: b'aaXbbbXcXdddddddddddddXe'}),
	('--pipe --recstart', ['-k', '--pipe', '--recstart', '>', '--block', '8', 'echo B; cat'], {'stdin': GNU_FILES[
		'fasta'].encode()}),
	('--pipe --recstart --recend -N', ['-k', '--pipe', '--recend', '\\n', '--recstart', '>', '-N2', 'echo B; cat']
		, {'stdin': GNU_FILES['fasta'].encode()}),
	('--pipe --regexp', ['-k', '--pipe', '--regexp', '--recend', '[0-9]\\n', '--recstart', '[bd]', '--block', '1'
		, 'echo B; cat'], {'stdin': b'a1\nb2\nc3\nd4\n'}),
	('--pipe -L', ['-k', '--pipe', '-L5', '--block', '20', 'echo B; cat'], {'stdin': _SEQ(12)}),
	('--pipe -L -N', ['-k', '--pipe', '-L3', '-N2', 'echo B; cat'], {'stdin': _SEQ(12)}),
	('--pipe -r', ['-k', '--pipe', '-r', '-N1', 'echo B; cat'], {'stdin': b'a\n\n  \nb\n\nc\n'}),
	('--pipe --tag {#} {}', ['-k', '--tag', '--pipe', '-N4', 'echo {#} {}; cat'], {'stdin': _SEQ(10)}),
	('--pipe exit status', ['--pipe', '-N3', 'cat >/dev/null; exit 2'], {'stdin': _SEQ(10)}),
	('--pipe --timeout', ['-j2', '--pipe', '-N1', '--timeout', '1', 'read x; [ $x = 2 ] && sleep 9; echo $x']
		, {'stdin': _SEQ(3)}),
	('--pipe --dry-run', ['--dry-run', '--pipe', '-N5', 'wc -l'], {'stdin': _SEQ(12), 'log': False}),
	('--pipe --roundrobin', ['--pipe', '--roundrobin', '-j2', '--block', '10', 'cat'], {'stdin': _SEQ(100)
		, 'log': False}),  # The blocks go to either job: the lines are the same, sorted
	('--pipe --results', ['-j1', '--pipe', '-N3', '--results', '@results', 'cat'], {'stdin': _SEQ(10)
		, 'results': True}),
	('--pipepart -a FILE --block', ['-k', '--pipepart', '-a', '@lines', '--block', '20', 'wc -l'], {}),
	('--pipepart :::: --block -2', ['-k', '-j2', '--pipepart', '--block', '-2', 'wc -c', '::::', '@lines'
		, '@fasta'], {}),
	('--pipepart --recstart', ['-k', '--pipepart', '--recstart', '>', '--block', '5', 'echo B; cat', '::::'
		, '@fasta'], {}),
)


class TestCliVsGnuParallel(CliTestCase):
	"""mpepool is a drop-in for GNU parallel: the same invocations give the same output, exit status, commands
	and job log columns; every GNU option is implemented or refused"""

	def gnuParallel(self):
		"""The path of GNU parallel; the test skips without it (fails under CI, where .ci/run installs it)"""
		gnu = shutil.which('parallel')
		if not gnu or b'GNU parallel' not in subprocess.run([gnu, '--version'], stdout=subprocess.PIPE
		, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL).stdout:
			requireTool(self, False, 'GNU parallel is not installed (Debian package parallel)')
		return gnu

	def runCase(self, tool, other, name, argv, opts):
		"""Run one case with tool (an argv prefix), other the tool that writes the job log first ('prelog');
		returns (exit status, stdout, log rows of GNU's columns without the times, the --results tree)"""
		folder = os.path.join(self.tmp, '{}.{}'.format(abs(hash((name, tool[0]))), len(tool)))
		os.makedirs(folder)
		log = os.path.join(folder, 'log')
		words = [os.path.join(self.tmp, w[1:]) if w[1:] in GNU_FILES else os.path.join(folder, w[1:])
			if w == '@results' else w for w in argv]
		env = repoEnv(SHELL='/bin/sh', PARALLEL_SHELL='/bin/sh', HOME=folder, PARALLEL=None)  # PARALLEL: GNU's options
		env.update({name: os.path.join(folder, val[1:]) if val.startswith('@') else val for name, val in opts.get(
			'env', {}).items()})
		if 'penv' in opts:
			with open(os.path.join(folder, 'penv'), 'wb') as fenv:
				fenv.write(opts['penv'])

		def run(prefix, words, logarg=log):
			return subprocess.run(prefix + (['--joblog', logarg] if opts.get('log', True) else []) + words
				, input=opts.get('stdin', b''), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
				, cwd=folder, timeout=60)
		if 'prelog' in opts:
			run(other, opts['prelog'])
		res = run(tool, words, '+' + log if opts.get('append') else log)
		rows = []
		starts = []
		if opts.get('log', True):
			with open(log, encoding='utf-8') as flog:
				for line in flog.read().split('\n')[1:-1]:
					cols = line.split('\t', 8)
					cols[8] = cols[8][:len(cols[8]) - len('\t'.join([''] + cols[8].split('\t')[-4:]))] if len(
						cols[8].split('\t')) > 4 else cols[8]  # Ours after Command
					rows.append(tuple(cols[:2] + cols[4:]) if opts.get('rows', 'all') == 'all' else cols[8])
					starts.append(float(cols[2]))
		else:
			self.assertFalse(os.path.exists(log), (tool, name))
		tree = {}
		if opts.get('results'):
			root = os.path.join(folder, 'results')
			for path, _, files in os.walk(root):
				for fname in files:
					with open(os.path.join(path, fname), 'rb') as fres:
						tree[os.path.relpath(os.path.join(path, fname), root)] = fres.read()
		starts.sort()
		for tprev, tnext in zip(starts, starts[1:]):
			self.assertGreaterEqual(tnext - tprev, opts.get('spaced', 0), (tool, name, starts))
		return res.returncode, res.stdout, sorted(rows), tree, res.stderr

	def test_same_as_gnu_parallel(self):
		gnu = [self.gnuParallel(), '--will-cite']
		mpe = [sys.executable, '-m', 'mpepool']
		for fname, text in GNU_FILES.items():
			with open(self.path(fname), 'w') as fout:
				fout.write(text)
		with concurrent.futures.ThreadPoolExecutor(6) as executor:  # GNU parallel starts slowly: at once
			futures = [(case, executor.submit(self.runCase, gnu, mpe, *case), executor.submit(self.runCase, mpe
				, gnu, *case)) for case in GNU_CASES]
			for (name, argv, opts), gfut, mfut in futures:
				with self.subTest(name):
					(gcode, gout, grows, gtree, gerr), (mcode, mout, mrows, mtree, merr) = gfut.result(), mfut.result()
					order = opts.get('order', 'exact' if {'-k', '-j1', '--dry-run'} & set(argv) else 'sorted')
					if order == 'sorted':
						gout, mout = sorted(gout.split(b'\n')), sorted(mout.split(b'\n'))
					elif order == 'distinct':
						gout, mout = set(gout.split()), set(mout.split())
					self.assertEqual(mcode, gcode, (gerr, merr))
					self.assertEqual(mout, gout, (gerr, merr))
					if opts.get('stderr'):
						self.assertEqual(merr, gerr.replace(b'parallel:', b'mpepool:'))
					self.assertEqual(mrows, grows)  # The commands run, their seq, exit status, signal, output size
					self.assertEqual(mtree, gtree)
					self.assertTrue(gout or grows or gtree or gcode, 'the case shows something')

	def test_same_shell(self):
		# The commands run in GNU's shell: $PARALLEL_SHELL, else the shell the command line was typed in
		gnu = self.gnuParallel()
		env = repoEnv(PARALLEL=None, PARALLEL_SHELL=None)  # PARALLEL: GNU's options, as cliEnv() removes them
		job = "'cat /proc/$$/comm; true # {}' ::: x; true"  # `; true`: the calling shell stays, a parent of the tool
		runs = {}
		for shell, extra, expect in (('/bin/sh', {}, b'sh'), ('bash', {}, b'bash'), ('/bin/sh', {'PARALLEL_SHELL'
		: shutil.which('bash')}, b'bash')):
			for tool in ([gnu, '--will-cite'], [sys.executable, '-m', 'mpepool']):  # All at once: GNU starts slowly
				runs[shell, tool[0], expect] = subprocess.Popen([shell, '-c', ' '.join(tool) + ' ' + job], env=dict(env
					, **extra), stdout=subprocess.PIPE, cwd=self.tmp)
				self.procs.append(runs[shell, tool[0], expect])
		for (shell, tool, expect), proc in runs.items():
			self.assertEqual((proc.communicate(timeout=60)[0].strip(), tool), (expect, tool), shell)

	def gnuOptions(self, gnu):
		"""The option names of GNU parallel from `parallel --help`, its man page and its option table"""
		names = set(re.findall(r'(?m)^(-{1,2}[A-Za-z0-9][\w-]*)', subprocess.run([gnu, '--help'], stdout=subprocess
			.PIPE, stdin=subprocess.DEVNULL).stdout.decode()))
		self.assertGreater(len(names), 10)
		for man in ('/usr/share/man/man1/parallel.1.gz', '/usr/share/man/man1/parallel.1'):
			if os.path.exists(man):
				with (gzip.open if man.endswith('.gz') else open)(man, 'rb') as fman:
					text = fman.read().decode('utf-8', 'replace')
				names.update(opt.replace('\\-', '-') for opt in re.findall(
					r'(?m)^\.IX Item "((?:\\-){1,2}[A-Za-z0-9][\w\\-]*)', text))
		with open(gnu, encoding='utf-8', errors='replace') as fsrc:  # GetOptions' table, with every alias
			src = fsrc.read()
		start = src.find('sub options_completion_hash')
		body = src[start:src.find('\nsub ', start + 1)] if start >= 0 else ''
		for spec in re.findall(r'''["']([A-Za-z0-9][\w|-]*)(?:[=:][sif][@%]?|!|\+)?(?:\[|["'])''', body):
			names.update(('-' if len(name) == 1 else '--') + name for name in spec.split('|') if name)
		return names

	# The GNU options mpepool implements, with GNU's meaning (a name here is checked against the table)
	IMPLEMENTED = frozenset((
		'-a', '--arg-file', '--argfile', '-C', '--colsep', '--col-sep', '-N', '--max-replace-args'
		, '--maxreplaceargs', '-n', '--max-args', '--maxargs', '--link', '--xapply', '-0', '--null', '-d'
		, '--delimiter', '--arg-sep', '--argsep', '--arg-file-sep', '--argfilesep', '-r', '--no-run-if-empty'
		, '--norunifempty', '--shuf', '-j', '--jobs', '-P', '--max-procs', '--maxprocs', '--timeout', '--delay'
		, '--retries', '--halt', '--halt-on-error', '--haltonerror', '--workdir', '--wd', '--work-dir', '--nice'
		, '--tmpdir', '--tempdir', '--dry-run', '--dryrun', '--dr', '-k', '--keep-order', '--keeporder'
		, '--no-keep-order', '--nokeeporder', '--nok', '--no-k', '--tag', '-u', '--ungroup', '--group'
		, '--line-buffer', '--lb', '--line-buffered', '--linebuffer', '--linebuffered', '--results', '--res'
		, '--result', '-v', '-t', '--verbose', '--joblog', '--jl', '--resume', '--resume-failed', '--resumefailed'
		, '--tagstring', '--tag-string', '--bar', '--eta', '--progress', '--will-cite', '--willcite', '--no-notice', '--nonotice', '--nn'
		, '--plain', '--gnu', '--version', '-V', '--help', '-h', '-X', '-m', '--xargs', '-s', '--max-chars'
		, '--maxchars', '-L', '-l', '--max-lines', '--maxlines', '-I', '-E', '--plus', '--header', '--csv', '-q'
		, '--quote', '--compress', '--pipe', '--spreadstdin', '--pipepart', '--pipe-part'
		, '--block', '--block-size', '--blocksize', '--recend', '--recstart', '--regexp', '--regex'
		, '--roundrobin', '--round-robin', '--round'))

	def test_every_gnu_option_implemented_or_refused(self):
		gnu = self.gnuParallel()
		names = self.gnuOptions(gnu)
		self.assertGreater(len(names), 150)  # The whole table was read
		table = set(mpepool._CLI_OPTBYNAME)
		self.assertEqual(table & names, self.IMPLEMENTED & names)  # No GNU name is ours with another meaning
		refused = sorted(names - self.IMPLEMENTED)
		for name in refused:
			with self.assertRaises(mpepool._CliError, msg=name) as ctx:
				mpepool._cliParse([name, 'x', 'echo', ':::', 'a'])
			self.assertIn(name, str(ctx.exception))
		# Through the real command: exit status 255, one line naming it, nothing run
		marker = self.path('ran')
		for name in ('--fifo', '-S', '--sshlogin', '--memfree'):
			res = cliRun(name, '1', 'touch', marker, ':::', 'a')
			self.assertEqual((res.returncode, res.stdout, res.stderr.count(b'\n')), (255, b'', 1), res.stderr)
			self.assertIn(name.encode(), res.stderr)
			self.assertFalse(os.path.exists(marker))
		for argv in (['echo', '{= uc =}', ':::', 'a'], ['--halt', '3', 'true', ':::', 'a'], ['-j', 'procfile'
		, 'true', ':::', 'a']):
			res = cliRun(*argv)
			self.assertEqual((res.returncode, res.stderr.count(b'\n')), (255, 1), (argv, res.stderr))


class TestCliGnuOptions(CliTestCase):
	"""GNU parallel's options whose effect shows over time, on mpepool alone"""

	def test_line_buffer_prints_while_running(self):
		go = self.path('go')
		proc = self.start('--line-buffer', '--tag', 'echo first; while [ ! -e {} ]; do sleep 0.05; done; echo second'
			.format(go) + ' #{}', ':::', 'a', 'b')
		fd = proc.stdout.fileno()
		got = b''
		tend = time.monotonic() + 20
		while not got.endswith(b'\n') and time.monotonic() < tend:  # Raw reads: none left in a buffer
			got += os.read(fd, 4096)
		self.assertIn(got, (b'a\tfirst\n', b'b\tfirst\n', b'a\tfirst\nb\tfirst\n', b'b\tfirst\na\tfirst\n'))
		self.assertIsNone(proc.poll())  # Printed while the jobs run
		open(go, 'w').close()
		out, err = proc.communicate(timeout=20)
		self.assertEqual(proc.returncode, 0, err)
		self.assertEqual(sorted((got + out).split(b'\n')), sorted(b'a\tfirst\nb\tfirst\na\tsecond\nb\tsecond\n'
			.split(b'\n')))

	def test_timeout_percent_restart(self):
		# --timeout N% with --restart-timeout: the slow job is stopped at twice the median and restarted
		flag = self.path('flag')
		res = cliRun('-j1', '--timeout', '200%', '--restart-timeout', '--joblog', self.log, ':::', 'sleep 0.1'
			, 'sleep 0.1', '[ -e {0} ] && echo ok || {{ touch {0}; {1}; }}'.format(flag, self.sleeper()))
		self.assertEqual((res.returncode, res.stdout), (0, b'ok\n'), res.stderr)
		self.assertEqual([rows[0]['Exitval'] for _, rows in sorted(self.rows().items())], ['0', '0', '0'])

	def test_combinations_refused(self):
		for argv, word in ((['-k', '--line-buffer', 'echo', ':::', 'a'], '--line-buffer'), (['-j', '-9', 'echo'
		, ':::', 'a'], '-j')):
			res = cliRun(*argv)
			self.assertEqual((res.returncode, res.stdout), (255, b''), argv)
			self.assertIn(word.encode(), res.stderr)
		# GNU parallel's default options ($PARALLEL, its config files) would change the run: refused, unless --plain
		env = dict(cliEnv(), PARALLEL='-k --tag')
		res = cliRun('echo', ':::', 'a', env=env)
		self.assertEqual((res.returncode, res.stdout), (255, b''))
		self.assertIn(b'$PARALLEL', res.stderr)
		env['HOME'] = self.tmp
		env.pop('PARALLEL')
		os.mkdir(self.path('.parallel'))
		with open(self.path('.parallel/config'), 'w') as fconf:
			fconf.write('# a comment\n\n')
		self.assertEqual(cliRun('echo', ':::', 'a', env=env).stdout, b'a\n')  # Nothing in it
		with open(self.path('.parallel/config'), 'a') as fconf:
			fconf.write('-j1\n')
		res = cliRun('echo', ':::', 'a', env=env)
		self.assertEqual(res.returncode, 255)
		self.assertIn(b'config', res.stderr)
		self.assertEqual(cliRun('--plain', 'echo', ':::', 'a', env=env).stdout, b'a\n')


class TestCliPipe(CliTestCase):
	"""--pipe, --pipepart and --roundrobin under the pool's guarantees: bounded memory, timeouts, memory limits,
	the job log, --halt; no block file left behind"""

	def pipeRun(self, *args, stdin=b'', timeout=60):
		"""Run the command with its blocks in a folder of the test, checked empty after: CompletedProcess"""
		tmpdir = self.path('blocks')
		os.makedirs(tmpdir, exist_ok=True)
		res = cliRun('--tmpdir', tmpdir, *args, stdin=stdin, timeout=timeout)
		self.assertEqual(os.listdir(tmpdir), [], 'the block files are removed')
		return res

	def test_memory_stays_flat(self):
		# 200 MB through --pipe wc -l: the pool's peak RSS stays far below the input; the lines are all counted.
		# Its peak is taken by a small Python parent from wait4 (the peak of a child and of the processes it
		# waited for, the jobs, which are small): a child's peak counts the memory of its parent at the
		# fork, so it is not measured from this test process, which is large after many tests
		gen = subprocess.Popen(['sh', '-c', 'head -c 200M /dev/zero | tr "\\0" "\\n"'], stdout=subprocess.PIPE)
		self.procs.append(gen)
		proc = subprocess.Popen([sys.executable, '-c', 'import os, subprocess, sys\nproc = subprocess.Popen('
			'sys.argv[1:])\n_, status, usage = os.wait4(proc.pid, 0)\nprint(usage.ru_maxrss, file=sys.stderr)\n'
			'sys.exit(os.WEXITSTATUS(status))'] + cliCmd('-j2', '--tmpdir', self.tmp, '--pipe', 'wc -l')
			, stdin=gen.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=cliEnv())
		gen.stdout.close()
		self.procs.append(proc)
		out, err = proc.communicate(timeout=300)
		self.assertEqual((proc.returncode, sum(int(n) for n in out.split())), (0, 200 << 20), err)
		self.assertEqual(len(out.split()), 200, 'one job per block of 1 MB')
		self.assertLess(int(err.split()[-1]), 100 << 10, 'peak RSS (KB) of the pool\'s process: it holds a'
			' block or two, not the input')

	def test_timeout_joblog_and_cleanup(self):
		# The blocks of -N1: the job of block 2 outlives its --timeout; the log shows each block's size in
		# Send, the killed job as Exitval -1; the exit status counts it
		res = self.pipeRun('-k', '-j2', '--pipe', '-N1', '--timeout', '1', '--joblog', self.log
			, 'read x; [ $x = 22 ] && {}; echo $x'.format(self.sleeper()), stdin=b'1\n22\n333\n')
		self.assertEqual((res.returncode, res.stdout), (1, b'1\n333\n'), res.stderr)
		rows = {seq: rows[0] for seq, rows in self.rows().items()}
		self.assertEqual([(rows[seq]['Send'], rows[seq]['Exitval'], rows[seq]['Reason']) for seq in (1, 2, 3)]
			, [('2', '0', '-'), ('3', '-1', 'timeout'), ('4', '0', '-')])

	def test_slow_input(self):
		# While the input is silent the pool goes on: the job of the first block is stopped at its timeout
		# and logged; SIGTERM ends the run at once (with --roundrobin too, whose writer waits for the input)
		tmpdir = self.path('blocks')
		os.makedirs(tmpdir)
		proc = self.start('--tmpdir', tmpdir, '--pipe', '-N1', '--timeout', '1', '--joblog', self.log, 'read x; {}'
			.format(self.sleeper()), stdin=subprocess.PIPE)
		proc.stdin.write(b'1\n')
		proc.stdin.flush()
		self.assertTrue(waitUntil(lambda: os.path.exists(self.log) and len(self.rows()) == 1, 30))
		self.assertEqual(self.rows()[1][0]['Reason'], 'timeout')
		self.assertIsNone(proc.poll())  # Waiting for more input
		proc.send_signal(signal.SIGTERM)
		self.assertEqual(proc.wait(timeout=20), 128 + signal.SIGTERM)
		proc = self.start('--tmpdir', tmpdir, '-u', '--pipe', '--roundrobin', '-j2', '-N1', 'read x; echo $x; {}'
			.format(self.sleeper()), stdin=subprocess.PIPE)
		proc.stdin.write(b'1\n')
		proc.stdin.flush()
		self.assertEqual(proc.stdout.readline(), b'1\n')  # A job got the block while the input stays open
		proc.send_signal(signal.SIGTERM)
		self.assertEqual(proc.wait(timeout=20), 128 + signal.SIGTERM)
		self.assertEqual(os.listdir(tmpdir), [], 'the block files are removed')

	def test_round_robin_job_ends_between_blocks(self):
		# A --roundrobin job that ends while the input is silent (its FIFO empty) leaves the others fed: the
		# end of the input still reaches the job that waits for it
		proc = self.start('--tmpdir', self.tmp, '--pipe', '--roundrobin', '-j2', '-N1', '--joblog', self.log
			, 'read x; echo $x', stdin=subprocess.PIPE)
		proc.stdin.write(b'1\n')
		proc.stdin.flush()
		self.assertTrue(waitUntil(lambda: os.path.exists(self.log) and len(self.rows()) == 1, 30))
		proc.stdin.write(b'2\n')
		out, err = proc.communicate(timeout=30)  # Closes the input
		self.assertEqual((proc.returncode, sorted(out.split()), err), (0, [b'1', b'2'], b''))

	def test_relative_tmpdir_with_workdir(self):
		# The jobs open their block by an absolute path: a relative --tmpdir holds whatever --workdir they run in
		os.makedirs(self.path('blocks'))
		res = cliRun('--tmpdir', 'blocks', '--workdir', 'wd', '-k', '--pipe', '-N2', 'wc -l', stdin=_SEQ(3)
			, cwd=self.tmp, env=dict(cliEnv(), PYTHONPATH=REPO))
		self.assertEqual((res.returncode, res.stdout.split()), (0, [b'2', b'1']), res.stderr)
		self.assertEqual(os.listdir(self.path('blocks')), [])

	def test_memory_limit(self):
		# --memlim stops the job of a block that grows beyond it; the others succeed
		hog = '{} -c "b = bytearray(600 << 20); import time; time.sleep(30)"'.format(sys.executable)
		res = self.pipeRun('-k', '-j2', '--pipe', '-N1', '--memlim', '200M', '--joblog', self.log
			, 'read x; [ $x = b ] && exec {}; echo $x'.format(hog), stdin=b'a\nb\nc\n')
		self.assertEqual((res.returncode, res.stdout), (1, b'a\nc\n'), res.stderr)
		self.assertEqual(self.rows()[2][0]['Reason'], 'memory limit')

	def test_jobs_that_do_not_read_their_input(self):
		# Blocks nobody reads do not stall the pool, with block files or with --roundrobin's FIFOs
		data = b'x' * 1023 + b'\n'
		for args in (['--pipe', '--block', '100k'], ['--pipe', '--roundrobin', '-j2', '--block', '100k']):
			res = self.pipeRun(*args + ['echo done'], stdin=data * 4096, timeout=60)
			self.assertEqual(res.returncode, 0, (args, res.stderr))
			self.assertEqual(set(res.stdout.split(b'\n')), {b'done', b''}, args)

	def test_round_robin_streams_to_each_job(self):
		# --roundrobin: one job per job slot; together they read the whole input once
		data = _SEQ(100000)
		res = self.pipeRun('-j3', '--pipe', '--roundrobin', '--block', '10k', '--joblog', self.log, 'wc -l'
			, stdin=data)
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertEqual((len(res.stdout.split()), sum(int(n) for n in res.stdout.split())), (3, 100000))
		self.assertEqual(sum(int(rows[0]['Send']) for rows in self.rows().values()), len(data))

	def test_halt(self):
		# --halt now,fail=1: the job of the third block fails, nothing more starts (GNU parallel hangs here)
		res = self.pipeRun('-j1', '--pipe', '-N2', '--halt', 'now,fail=1', '--joblog', self.log
			, 'read x; cat >/dev/null; echo $x; [ $x != 5 ]', stdin=_SEQ(10))
		self.assertEqual((res.returncode, res.stdout), (1, b'1\n3\n5\n'), res.stderr)
		self.assertEqual(sorted(self.rows()), [1, 2, 3])

	def test_pipepart_copies_each_part_once(self):
		# --pipepart over two files: each job gets a part ending at a line end, the parts cover the files
		paths = [self.path('a'), self.path('b')]
		for path, n in zip(paths, (5000, 777)):
			with open(path, 'wb') as fout:
				fout.write(_SEQ(n))
		res = self.pipeRun('-k', '--pipepart', '--block', '4k', 'cat', '::::', *paths)
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertEqual(res.stdout, _SEQ(5000) + _SEQ(777))

	def test_usage_errors(self):
		marker = self.path('ran')
		for argv, word in ((['--block', '1k', 'touch', marker], '--block'), (['--pipe', '--block', '-1', 'touch'
		, marker], '--block'), (['--pipe', 'touch', marker, ':::', 'a'], ':::'), (['--pipe', '-a', marker, 'touch'
		, marker], '-a'), (['--pipepart', 'touch', marker], '--pipepart'), (['--pipepart', '-a', '/dev/stdin'
		, 'touch', marker], '/dev/stdin'), (['--pipe', '--regexp', '--recend', '(', 'touch', marker], '--recend')
		, (['--pipe', '--block', '1x', 'touch', marker], '1x'), (['--pipe'], '--pipe'), (['--pipe', '--roundrobin'
		, '--retries', '2', 'touch', marker], '--retries')):
			res = cliRun(*argv, stdin=b'a\n')
			self.assertEqual((res.returncode, res.stdout, res.stderr.count(b'\n')), (255, b'', 1), (argv
				, res.stderr))
			self.assertIn(word.encode(), res.stderr)
			self.assertFalse(os.path.exists(marker))


class TestCliMisuse(CliTestCase):
	"""Misuse a demanding user tries: nothing lost, nothing crashes, GNU parallel's behaviour"""

	def test_word_repeated_for_each_argument(self):
		# -N2 with {} inside a word: the word for each argument (rm notes.bak report.bak), never all the
		# arguments inside one word (rm notes report.bak would delete the user's notes)
		for name in ('notes', 'report', 'notes.bak', 'report.bak'):
			open(self.path(name), 'w').close()
		res = cliRun('--workdir', self.tmp, '-N2', 'rm', '{}.bak', ':::', 'notes', 'report')
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertEqual(sorted(name for name in os.listdir(self.tmp)), ['notes', 'report'])
		res = cliRun('--dry-run', '-k', '-N3', 'echo', 'in/{}.txt', ':::', 'a', 'b', 'c', 'd')
		self.assertEqual(res.stdout, b'echo in/a.txt in/b.txt in/c.txt\necho in/d.txt\n', res.stderr)

	def test_output_that_cannot_be_opened_fails_its_job_only(self):
		results = self.path('res')
		os.makedirs(os.path.join(results, '1'))
		open(os.path.join(results, '1', 'b'), 'w').close()  # Job b's results folder cannot be made
		res = cliRun('-j1', '--joblog', self.log, '--results', results, 'echo', ':::', 'a', 'b', 'c', 'd')
		self.assertEqual(res.returncode, 1, res.stderr)  # One failed job
		self.assertNotIn(b'Traceback', res.stderr)
		self.assertIn(b'job 2', res.stderr)
		byseq = self.rows()
		self.assertEqual({seq: (rows[0]['Exitval'], rows[0]['Reason']) for seq, rows in byseq.items()}, {1: ('0', '-')
			, 2: ('-1', 'output error'), 3: ('0', '-'), 4: ('0', '-')})
		for arg in ('a', 'c', 'd'):
			with open(os.path.join(results, '1', arg, 'stdout')) as fout:
				self.assertEqual(fout.read(), arg + '\n')
		# A value longer than a file name is cut to the longest one, as GNU parallel does
		res = cliRun('--results', results, 'echo', ':::', 'x' * 300)
		self.assertEqual(res.returncode, 0, res.stderr)
		with open(os.path.join(results, '1', 'x' * os.pathconf(results, 'PC_NAME_MAX'), 'stdout')) as fout:
			self.assertEqual(fout.read(), 'x' * 300 + '\n')

	def test_more_jobs_than_descriptors(self):
		import resource
		hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
		res = subprocess.run(cliCmd('-j100', '--joblog', self.log, 'sleep 0.2; echo {}', ':::', *range(200))
			, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, cwd=REPO, env=cliEnv()
			, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard)))
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertEqual(sorted(res.stdout.decode().split('\n')), sorted([str(i) for i in range(200)] + ['']))
		self.assertEqual(len(self.rows()), 200)
		err = res.stderr.decode()
		self.assertEqual(err.count('\n'), 1, err)  # Said once
		self.assertRegex(err, r'^mpepool: warning: only enough file descriptors to run \d+ jobs at once \(ulimit -n 256\)')

	def test_skip_blank_lines_keeps_empty_columns(self):
		res = cliRun('-k', '-r', '--colsep', ',', 'echo', '{1}:{2}:{3}', stdin=b'id1,,x\nid2,y,z\n\nid3,w,\n \n')
		self.assertEqual((res.returncode, res.stdout), (0, b'id1::x\nid2:y:z\nid3:w:\n'), res.stderr)

	def test_command_line_too_long_runs_nothing(self):
		marker = self.path('ran')
		res = cliRun('--joblog', self.log, stdin='touch {}\n{}\n'.format(marker, '0' * 140000).encode())
		self.assertEqual((res.returncode, res.stdout), (255, b''))
		self.assertEqual(res.stderr.count(b'\n'), 1, res.stderr)
		self.assertIn(b'Command line too long', res.stderr)
		self.assertFalse(os.path.exists(marker))
		self.assertFalse(os.path.exists(self.log))
		# The limit is the kernel's: just below it runs
		res = cliRun('-k', '-X', 'echo', stdin=b'0' * 130000 + b'\n1\n')
		self.assertEqual(res.returncode, 0, res.stderr[:200])
		self.assertTrue(res.stdout.split() == [b'0' * 130000, b'1'], res.stdout[-100:])  # No diff of 130 kB

	def test_closed_output_pipe_stops_the_run(self):
		# As GNU parallel: `mpepool ... | head -1` ends at its next output once head has left, whatever the
		# output mode; the jobs still running are stopped
		for mode in (['--line-buffer'], [], ['-k']):
			with self.subTest(mode=mode):
				proc = self.start(*['-j3'] + mode + [':::', 'echo a', 'sleep 1; echo b', self.sleeper()])
				self.assertEqual(proc.stdout.readline(), b'a\n')
				proc.stdout.close()
				tstart = time.perf_counter()
				proc.wait(timeout=60)
				self.assertLess(time.perf_counter() - tstart, 30)
				self.assertEqual(proc.returncode, 128 + signal.SIGPIPE)
				self.assertNotIn(b'Traceback', proc.stderr.read())
				proc.stderr.close()

	def test_nul_in_the_input(self):
		# printf, not echo: dash's echo (the shell of a caller typing in sh) turns the \0 back into a NUL
		res = cliRun('-k', "printf '%s\\n'", stdin=b'foo\0not printed\nbar\n')
		self.assertEqual((res.returncode, res.stdout), (0, b'foo\\0not printed\nbar\n'), res.stderr)
		self.assertIn(b'NUL', res.stderr)
		self.assertNotIn(b'Traceback', res.stderr)

	def test_parallel_environment(self):
		home = self.path('home/parallel')
		env = dict(cliEnv(), PARALLEL_HOME=home, PARALLEL_ENV='myf() { echo "f:$1:${PARALLEL_ENV-unset}"; }')
		res = cliRun('-k', 'myf', ':::', 'a', env=env)
		self.assertEqual((res.returncode, res.stdout), (0, b'f:a:unset\n'), res.stderr)  # Not passed on
		self.assertTrue(os.path.isdir(home))


class TestCliDemoAndWebUi(CliTestCase):
	"""--demo runs its batch with a summary in well under a minute; --webui serves the pool"""

	def test_demo(self):
		tstart = time.perf_counter()
		res = cliRun('--demo', timeout=60)
		self.assertLess(time.perf_counter() - tstart, 60)
		self.assertEqual(res.returncode, 0, res.stderr)
		out = res.stdout.decode()
		self.assertIn('Summary of the demo', out)
		for result in ('exit 0', 'timeout', 'timeout chain', 'task timeout', 'restart flaky', "GNU parallel's syntax"):
			self.assertIn(result, out)
		# Its length as the demo and the README say it
		about = '(finishes in about {} s)'.format(mpepool._CLI_DEMO_SECONDS)
		self.assertIn(about, out)
		with open(os.path.join(REPO, 'README.md'), encoding='utf-8') as fin:
			readme = fin.read()
		self.assertEqual(re.findall(r'\(about (\d+) s\)', readme), [str(mpepool._CLI_DEMO_SECONDS)] * 2)
		if mpewui is not None:  # Standard input is not a terminal: the Web UI ends with the demo, as said
			self.assertIn('it stops with the demo', out)
		# Its closing command runs as printed
		command = out.rsplit('e.g.:\n', 1)[1].strip()
		self.assertEqual(command, mpepool._CLI_DEMO_COMMAND)
		res = subprocess.run(('/bin/sh', '-c', command), capture_output=True, text=True, cwd=self.tmp
			, env=repoShellEnv(self.tmp), timeout=60)
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertEqual(sorted(res.stdout.splitlines()), ['{0} {1}\t{0}{1}'.format(a, n) for a in 'ab'
			for n in '123'])

	def test_demo_web_ui_until_enter(self):
		"""On a terminal the demo's Web UI still answers after the batch, until Enter is pressed"""
		import pty
		import urllib.request
		requireTool(self, mpewui is not None, NOBOTTLE)
		master, slave = pty.openpty()
		self.addCleanup(os.close, master)
		proc = self.start('--demo', stdin=slave, stderr=subprocess.DEVNULL)
		os.close(slave)
		url = None
		for line in iter(proc.stdout.readline, b''):
			line = line.decode()
			if line.startswith('Web UI: '):
				url = line.split()[2]
				self.assertIn('it stays up after the demo until you press Enter', line)
			if 'press Enter to stop it' in line:
				break
		else:
			self.fail('the demo ended without waiting: exit status {}'.format(proc.wait(20)))
		found = re.match(r'(http://[^/]+)/\?token=([\w-]+)$', url or '')
		self.assertTrue(found, url)
		request = urllib.request.Request(found.group(1) + '/jobs?fmt=txt'
			, headers={'Authorization': 'Bearer ' + found.group(2)})
		with urllib.request.urlopen(request, timeout=10) as resp:
			self.assertEqual(resp.status, 200)
			self.assertIn('mpepool-demo', resp.read().decode())
		self.assertIsNone(proc.poll())  # Still serving
		os.write(master, b'\n')
		self.assertEqual(proc.wait(20), 0)

	def test_webui(self):
		if importlib.util.find_spec('mpewui') is None or not mpepool._WEBUI or not hasattr(
		importlib.import_module('mpewui'), 'WebUiApp'):
			self.skipTest('the Web UI (mpewui.WebUiApp, bottle) has not landed here')
		proc = self.start('--webui', '127.0.0.1:0', '--', ':::', self.sleeper())
		line = proc.stderr.readline().decode()  # The URL with its token, on stderr only
		found = re.match(r'WebUI "mpepool" serves (http://127\.0\.0\.1:(\d+)/)\?token=([\w-]+) ', line)
		self.assertTrue(found, line)
		port, token = int(found.group(2)), found.group(3)
		self.assertNotEqual(port, 0)  # HOST:0 picks a free port

		def page():
			try:
				req = urllib.request.Request('http://127.0.0.1:{}/jobs?fmt=json'.format(port), headers={
					'Authorization': 'Bearer ' + token})
				with urllib.request.urlopen(req, timeout=2) as resp:
					body = resp.read()  # The first snapshots may precede the job's start: wait for it
					return resp.status == 200 and self.token.encode() in body and body
			except OSError:
				return False
		body = waitUntil(page, 20, 0.1)
		self.assertTrue(body, proc.stderr.read1(4096) if proc.poll() is not None else 'no answer')
		self.assertIn(self.token.encode(), body)
		proc.send_signal(signal.SIGINT)
		out, _ = proc.communicate(timeout=20)
		self.assertEqual(proc.returncode, 130)
		self.assertNotIn(b'WebUI', out)
		self.assertNotIn(token.encode(), out)  # stdout holds the jobs' output only

	def test_web_ui_unix_socket(self):
		"""--webui unix:PATH serves on a Unix socket; the socket and the URL file are gone when the run ends"""
		if mpewui is None:
			self.skipTest(NOBOTTLE)
		sockpath, runtime = self.path('ui.sock'), self.path('runtime')
		os.mkdir(runtime)
		res = cliRun('--webui', 'unix:' + sockpath, '-k', '--', 'echo', ':::', 'a', 'b', env=dict(cliEnv()
			, XDG_RUNTIME_DIR=runtime))
		self.assertEqual(res.returncode, 0, res.stderr)
		self.assertEqual(res.stdout, b'a\nb\n')
		self.assertRegex(res.stderr.decode(), r'WebUI "mpepool" serves http\+unix://{}/\?token=[\w-]+ \(also in {}/'
			.format(re.escape(quote(sockpath, safe='')), re.escape(os.path.join(runtime, 'pyexpool'))))
		self.assertFalse(os.path.exists(sockpath))
		self.assertEqual(os.listdir(os.path.join(runtime, 'pyexpool')), [])


# --- Slurm: the same jobs through srun on a real cluster ----------------------------------------------
# The cluster: $SLURM_CONF when set, else the test cluster of .ci/slurm-cluster when it runs, else Slurm's
# default configuration. Without one answering, the tests are skipped with the reason (failed under CI).

SLURM_TESTCONF = os.path.join(os.environ.get('PYEXPOOL_SLURM_BASE', '/tmp/pyexpool-slurm'), 'etc', 'slurm.conf')


def slurmCluster():
	"""(the SLURM_CONF to use or None for Slurm's default, None) or (None, why no cluster answers)"""
	if shutil.which('srun') is None or shutil.which('sinfo') is None:
		return None, 'Slurm is not installed (no srun on PATH; Debian: slurm-wlm)'
	conf = os.environ.get('SLURM_CONF') or (SLURM_TESTCONF if os.path.exists(SLURM_TESTCONF) else None)
	env = dict(os.environ, SLURM_CONF=conf) if conf else None
	try:
		res = subprocess.run(['sinfo', '-h', '-o', '%T'], env=env, capture_output=True, text=True, timeout=20)
	except (OSError, subprocess.SubprocessError) as err:
		return None, 'sinfo failed: {}'.format(err)
	if res.returncode or not res.stdout.strip():
		return None, 'no Slurm cluster answers ({}); start one: .ci/slurm-cluster start'.format(
			(res.stderr.strip().splitlines() or ['no node'])[-1])
	return conf, None


def squeue(*args):
	"""squeue -h lines"""
	res = subprocess.run(['squeue', '-h'] + list(args), capture_output=True, text=True, timeout=30)
	return res.stdout.splitlines()


def daemonCgroups(pid):
	"""The cgroup.procs files of the v1 cgroups that a daemon runs in and this process does not (a daemon
	started again is put there: not into this test's cgroups, which may go with this session)"""
	with open('/proc/{}/cgroup'.format(pid)) as fcg, open('/proc/self/cgroup') as fown, open(
	'/proc/self/mountinfo') as finfo:
		theirs, ours, mounts = mpepool._cgOwnPaths(fcg.read()), mpepool._cgOwnPaths(fown.read()), finfo.read()
	return [os.path.join(point, theirs[ctrl].lstrip('/'), 'cgroup.procs') for point, _, version, opts, _
		in mpepool._cgMounts(mounts) if version == 'v1' for ctrl in sorted(opts & set(theirs))[:1]
		if theirs[ctrl] != ours.get(ctrl)]


def startDaemonIn(procs, *argv):
	"""Start a daemon (argv) again in the cgroups whose cgroup.procs files daemonCgroups() gave"""
	subprocess.run(['sh', '-c', 'while [ "$1" != -- ]; do echo $$ 2>/dev/null >"$1"; shift; done; shift; exec "$@"'
		, 'sh'] + procs + ['--'] + list(argv), check=True, timeout=30)


def slurmJobsOf(pid):
	"""'id|name|state' of the Slurm jobs (still in squeue) of the pools of process pid"""
	prefix = 'pyexpool-{:x}-'.format(pid)
	return [line for line in squeue('-o', '%i|%j|%T') if line.split('|')[1].startswith(prefix)]


# A script whose pool runs a long job on Slurm and says when it runs (the test cluster runs 8 jobs at once per node)
SLURM_HOLDER = textwrap.dedent('''\
	import sys, time
	import mpepool
	from mpepool import ExecPool, Job, SlurmLauncher
	mpepool.installTerminationHandlers()
	pool = ExecPool(1, launcher=SlurmLauncher())
	pool.execute(Job('hold', args=('sleep', '300')))
	while not all(job.slurmid and job._run.launch.start for job in pool._workers):
		pool._cycle(time.perf_counter() + 0.05)
	print('running', flush=True)
	pool.join()
	''')


class TestSlurm(MpeTestCase):
	"""Jobs on the real cluster through SlurmLauncher; independent scenarios run at once in one pool
	(queued jobs start on slurmctld's 1 s tick, sacct lags up to ~5 s)"""

	@classmethod
	def useCluster(cls):
		"""The class's tests use the cluster (its SLURM_CONF); skipped without one, failed under CI"""
		conf, why = slurmCluster()
		if why:
			if os.environ.get('CI') == 'true':
				raise AssertionError('CI needs the Slurm tests: ' + why)
			raise unittest.SkipTest(why)
		cls.env = mock.patch.dict(os.environ, {'SLURM_CONF': conf} if conf else {})
		cls.env.start()
		cls.addClassCleanup(cls.env.stop)
		# The nodes (the test cluster's n1..n3), each job runs on one of them
		cls.nodes = sorted(set(subprocess.run(['sinfo', '-h', '-N', '-o', '%N'], capture_output=True, text=True
			, timeout=30).stdout.split()))

	@classmethod
	def setUpClass(cls):
		cls.useCluster()
		# Slurm's own --time backstop kills 60-90 s after the start: begun with the class, so that its wait
		# overlaps the other tests whatever their order; test_time_backstop waits for its end
		cls.backstop = subprocess.Popen((PYEXEC, '-c', textwrap.dedent('''\
			import json, mpepool
			from mpepool import ExecPool, Job, SlurmLauncher
			with ExecPool(1, launcher=SlurmLauncher(options=('--time=1',))) as pool:
				job = Job('backstop', args=('sleep', '300'), rsrtonto=False)
				pool.execute(job)
				pool.join(150)
			print(json.dumps([job.reason, job.proc.returncode, job.slurmid]))
			''')), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO
			, env=repoEnv())
		cls.backstopOut = []  # Reaped by a thread: no zombie child while the other tests run
		cls.backstopReaper = threading.Thread(target=lambda: cls.backstopOut.extend(cls.backstop.communicate())
			, daemon=True)
		cls.backstopReaper.start()
		cls.addClassCleanup(cls.endBackstop)

	@classmethod
	def endBackstop(cls):
		if cls.backstop.poll() is None:
			cls.backstop.terminate()
		cls.backstopReaper.join(60)

	def setUp(self):
		self.addCleanup(self.assertNoSlurmJobsLeft)  # Registered first: runs after the base's checks
		super().setUp()

	def assertNoSlurmJobsLeft(self):
		"""No Slurm job of this process's pools is left in squeue (they are cancelled if any)"""
		left = waitUntil(lambda: not slurmJobsOf(os.getpid()), 15, 0.2) or slurmJobsOf(os.getpid())
		if left is not True:
			subprocess.run(['scancel'] + [line.split('|')[0] for line in left])
			self.fail('Slurm jobs left: {}'.format(left))

	def slurmPool(self, wksnum=8, **kwargs):
		launcher = kwargs.pop('launcher', None) or mpepool.SlurmLauncher()
		return self.newPool(wksnum, launcher=launcher, **kwargs)

	def test_scenarios(self):
		"""Outcomes, reasons, figures and the Slurm mapping of the scenarios, at once in one pool"""
		started = []
		pool = self.slurmPool(16, memlimit=8)
		mark = self.path('restarted')
		outpath, errpath = self.path('out', 'o.txt'), self.path('out', 'e.txt')
		jobs = {job.name: job for job in (
			Job('ok', args=('sh', '-c', 'echo hi; echo there >&2'), stdout=subprocess.PIPE, stderr=subprocess.PIPE),
			Job('cpu', args=pyjob('import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\n'
				'buf = b"1" * (150 << 20); time.sleep(1.5)')),
			Job('exit3', args=('sh', '-c', 'exit 3')),
			Job('signal', args=('sh', '-c', 'kill -9 $$')),
			Job('timeout', args=('sleep', '60'), timeout=1.5),
			Job('restart', args=('sh', '-c', 'if [ -e {0} ]; then exit 0; fi; touch {0}; sleep 60'.format(mark))
				, timeout=1.5, rsrtonto=True, onstart=lambda job: started.append(job.name)),
			Job('memory', args=pyjob(ALLOC(300, 5)), memlim=0.1),
			Job('mem1', args=pyjob(ALLOC(300, 5)), memlim=0.1, category='m', size=1),
			Job('mem2', args=('sleep', '60'), memlim=0.1, category='m', size=2),
			Job('tmo1', args=('sleep', '60'), timeout=1, category='t', size=1),
			Job('tmo2', args=('sleep', '60'), category='t', size=2),
			Job('task', args=('sleep', '60'), task=Task('tsk', timeout=1.5)),
			Job('big', args=pyjob('import sys; sys.stdout.write("x" * (10 << 20))'), stdout=subprocess.PIPE),
			Job('files', args=('sh', '-c', 'echo to-out; echo to-err >&2'), stdout=outpath, stderr=errpath),
			Job('mapping', args=('sleep', '60'), timeout=90, memlim=0.2),
			Job('external', args=('sleep', '60')),
			Job('nowd', args=('true',), workdir=self.path('missing')),
		)}
		for job in jobs.values():
			pool.execute(job)
		# The controller's view of a running job: --time is the backstop (90 s -> 2 min + 1 margin), --mem
		self.assertTrue(waitUntil(lambda: jobs['mapping'].slurmid and jobs['external'].slurmid or pool._cycle(
			time.perf_counter() + 0.05), 20, 0))
		self.assertEqual(squeue('-j', jobs['mapping'].slurmid, '-o', '%l|%m'), ['3:00|205M'])
		subprocess.run(['scancel', jobs['external'].slurmid], check=True)
		pool.execute(Job('stop', args=('true',), onfinish=lambda job: jobs['mapping'].proc.poll() is None and
			pool._stopJob(jobs['mapping'], 'timeout')))
		self.assertTrue(pool.join(120))
		reasons = {info.name: info.reason for info in pool.failures}
		self.assertEqual(reasons, {'exit3': None, 'signal': None, 'timeout': 'timeout', 'memory': 'memory limit'
			, 'mem1': 'memory limit', 'mem2': 'memory limit chain', 'tmo1': 'timeout', 'tmo2': 'timeout chain'
			, 'task': 'task timeout', 'mapping': 'timeout', 'external': 'cancelled', 'nowd': 'start failure'})
		codes = {name: job.proc.returncode for name, job in jobs.items() if job.proc is not None}
		self.assertEqual((codes['ok'], codes['exit3'], codes['signal'], codes['restart']), (0, 3, -9, 0))
		self.assertEqual(started, ['restart', 'restart'])  # Restarted on its timeout, then succeeded
		self.assertEqual(pool.jobsdone, 6)  # ok cpu restart big files stop
		ok, cpu = jobs['ok'], jobs['cpu']
		self.assertEqual((ok.pipedout, 'there\n' in ok.pipederr), ('hi\n', True))
		self.assertEqual(len(jobs['big'].pipedout), 10 << 20)
		with open(outpath) as fout, open(errpath) as ferr:
			self.assertEqual((fout.read(), 'to-err\n' in ferr.read()), ('to-out\n', True))
		for job in (ok, cpu, jobs['exit3']):
			self.assertEqual(job.accounting, 'slurm')
			self.assertIn(job.node, self.nodes)
			self.assertTrue(job.slurmid.isdigit(), job.slurmid)
		self.assertGreaterEqual(cpu.utime + cpu.stime, 0.4)  # Slurm's figures: CPU of the task, MaxRSS sampled each second
		self.assertGreater(cpu.rssmax, 0.1)
		self.assertGreaterEqual(cpu.wtime, 1.5)
		# The failure report names the node and the Slurm id
		self.assertRegex(self.out.getvalue(), r'reason +accounting +node +slurmid')
		self.assertRegex(self.out.getvalue(), r'exit3 .* {} +{} '.format(jobs['exit3'].node, jobs['exit3'].slurmid))

	def test_wtime_is_the_run(self):
		"""Jobs that wait in the queue for one node's memory, one after the other: each one's wtime is its run,
		from its step's start that sacct records, whether or not squeue saw it start (it polls every 8 s
		at most while it learns nothing new)"""
		node = self.nodes[0]
		nodemb = int(subprocess.run(['sinfo', '-h', '-n', node, '-o', '%m'], capture_output=True, text=True
			, timeout=30).stdout.split()[0])
		pool = self.slurmPool(4, launcher=mpepool.SlurmLauncher(options=('--nodelist=' + node,)))
		jobs = [Job('q%d' % i, args=('sleep', '3'), memlim=nodemb * 0.6 / 1024) for i in range(4)]
		tstart = time.perf_counter()
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(180))
		self.assertGreaterEqual(time.perf_counter() - tstart, 4 * 3)  # They ran one after the other
		self.assertEqual([(job.proc.returncode, job.reason, job.accounting) for job in jobs], [(0, None, 'slurm')] * 4)
		for job in jobs:  # Slurm records the start in whole seconds: up to 1 s more than the run
			self.assertGreaterEqual(job.wtime, 3, job.name)
			self.assertLess(job.wtime, 5, job.name)

	def test_admission_and_refusal(self):
		"""memlimit admits jobs by the sum of their --mem; a job Slurm refuses fails as 'start failure'"""
		spans = {}
		pool = self.slurmPool(4, memlimit=1)
		for i in range(3):
			pool.execute(Job('m{}'.format(i), args=('sleep', '1'), memlim=0.45
				, onstart=lambda job: spans.__setitem__(job.name, [time.perf_counter()])
				, onfinish=lambda job: spans[job.name].append(job._run.tspawn + job.wtime)))
		self.assertTrue(pool.join(60))
		ends = sorted(span[1] for span in spans.values())
		self.assertGreaterEqual(max(span[0] for span in spans.values()), ends[0] - 0.05)  # 3 * 0.45 > 1 GB
		bad = self.slurmPool(2)
		job = Job('bad', args=('true',), stderr=subprocess.PIPE, memlim=1000)  # More than any node has
		bad.execute(job)
		self.assertTrue(bad.join(30))
		self.assertEqual((job.reason, job.proc.returncode), ('start failure', mpepool._SLURM_EXIT_ERROR))
		self.assertIn('Memory specification can not be satisfied', job.pipederr)
		with mock.patch.dict(os.environ, {'PATH': self.tmp}):
			with self.assertRaisesRegex(FileNotFoundError, 'srun'):
				ExecPool(1, launcher=mpepool.SlurmLauncher())

	def test_unknown_partition(self):
		"""A partition the cluster does not have, given to the launcher or in srun's own SLURM_PARTITION: a
		ValueError naming it from ExecPool(), before any job runs"""
		with self.assertRaisesRegex(ValueError, r"^partition must name partitions of the Slurm cluster, not 'nope':"
		r' Partition nope not found$'):
			ExecPool(2, launcher=mpepool.SlurmLauncher(partition='nope'))
		for env in ({'SLURM_PARTITION': 'nope'}, {'SLURM_PARTITION': 'nope', 'PYEXPOOL_LAUNCHER': 'slurm'}):
			with mock.patch.dict(os.environ, env), self.assertRaisesRegex(ValueError
			, r"^SLURM_PARTITION must name partitions of the Slurm cluster, not 'nope': Partition nope not found$"):
				ExecPool(2, launcher=mpepool.SlurmLauncher() if 'PYEXPOOL_LAUNCHER' not in env else None)
		self.assertEqual(slurmJobsOf(os.getpid()), [])
		# A partition it has (the default one), or a list of them, is fine
		default = subprocess.run(['scontrol', 'show', 'partition', '-o'], capture_output=True, text=True
			, timeout=30).stdout.split()[0].partition('=')[2]
		job = Job('ok', args=('true',))
		with mock.patch.dict(os.environ, {'SLURM_PARTITION': default + ',' + default, 'PYEXPOOL_LAUNCHER': 'slurm'}):
			pool = self.newPool(2)
			pool.execute(job)
			self.assertTrue(pool.join(60))
		self.assertEqual((job.proc.returncode, job.reason, pool._launcher.calls['scontrol']), (0, None, 2))

	def test_memlimit_is_no_jobs_mem(self):
		"""The pool's memlimit bounds what its jobs in flight request together, it is never a job's --mem: a
		job without memlim requests none (the partition's default applies), also in a pool whose memlimit
		is more than any node has (code written for a big machine), where a share of it would be refused"""
		default = subprocess.run(['srun', '-n1', '-N1', 'sh', '-c', 'squeue -h -j $SLURM_JOB_ID -o %m']
			, capture_output=True, text=True, timeout=60).stdout.strip()
		self.assertRegex(default, r'^\d+[MG]$')
		pool = self.slurmPool(2, memlimit=4096)
		jobs = [Job('plain', args=('sleep', '1')), Job('own', args=('sleep', '1'), memlim=0.2)]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(waitUntil(lambda: all(job.slurmid for job in jobs) or pool._cycle(time.perf_counter() + 0.05)
			, 20, 0))
		self.assertEqual([squeue('-t', 'all', '-j', job.slurmid, '-o', '%m') for job in jobs], [[default], ['205M']])
		self.assertTrue(pool.join(60))
		self.assertEqual([(job.proc.returncode, job.reason) for job in jobs], [(0, None), (0, None)])

	def test_unchanged_client(self):
		"""A client that makes its own ExecPool() (a memlimit of its machine's size) runs its jobs on Slurm
		with PYEXPOOL_LAUNCHER=slurm; srun takes the QOS from SLURM_QOS, the launcher does not override it"""
		qos = 'pyexpool{}'.format(os.getpid())
		subprocess.run(['sacctmgr', '-i', 'add', 'qos', qos], capture_output=True, check=True, timeout=60)
		self.addCleanup(subprocess.run, ['sacctmgr', '-i', 'delete', 'qos', qos], capture_output=True, timeout=60)
		res = subprocess.run((PYEXEC, '-c', textwrap.dedent('''\
			import json, subprocess
			from mpepool import ExecPool, Job
			with ExecPool(2, memlimit=4096) as pool:
				jobs = [Job('j%d' % i, args=('sh', '-c', 'squeue -h -j $SLURM_JOB_ID -o %q'), stdout=subprocess.PIPE)
					for i in range(3)]
				for job in jobs:
					pool.execute(job)
				pool.join(60)
			print(json.dumps([type(pool._launcher).__name__] + [[job.proc.returncode, job.reason, job.accounting
				, job.node, job.pipedout] for job in jobs]))
			''')), cwd=self.tmp, env=repoEnv(PYEXPOOL_LAUNCHER='slurm', SLURM_QOS=qos), capture_output=True, text=True
			, timeout=120)
		self.assertEqual(res.returncode, 0, res.stderr)
		launcher, *jobs = json.loads(res.stdout.splitlines()[-1])
		self.assertEqual(launcher, 'SlurmLauncher')
		self.assertEqual([job[:3] + job[4:] for job in jobs], [[0, None, 'slurm', qos + '\n']] * 3)
		for job in jobs:
			self.assertIn(job[3], self.nodes)

	def test_controller_unreachable(self):
		"""srun can not reach slurmctld: the job fails as 'start failure', the pool goes on"""
		conf = self.path('slurm.conf')
		with open(os.environ.get('SLURM_CONF') or '/etc/slurm/slurm.conf') as fconf, open(conf, 'w') as fout:
			fout.write(re.sub(r'(?m)^SlurmctldPort=.*$', 'SlurmctldPort=1', fconf.read()))
		with mock.patch.dict(os.environ, {'SLURM_CONF': conf}):
			pool = self.slurmPool(2)
			jobs = [Job('lost', args=('true',), stderr=subprocess.PIPE), Job('stub')]
			for job in jobs:
				pool.execute(job)
			self.assertTrue(pool.join(60))
		self.assertEqual([(job.reason, job.proc and job.proc.returncode) for job in jobs]
			, [('start failure', mpepool._SLURM_EXIT_ERROR), (None, None)])
		self.assertIn('Unable to contact slurm controller', jobs[0].pipederr)

	def test_controller_outage(self):
		"""slurmctld stops while 4 jobs run and stays down until their sruns gave up on telling it their end
		(~10 s of retries): the pool completes the jobs, and cancels their allocations, which Slurm would keep
		RUNNING (InactiveLimit=0), once the controller answers again. (Their step daemons retry their own
		message every 60 s: the allocations are COMPLETING until then.)"""
		conf = os.environ.get('SLURM_CONF')
		if conf != SLURM_TESTCONF:
			self.skipTest('the controller of {} is not the test cluster\'s'.format(conf))
		pidfile = os.path.join(os.path.dirname(os.path.dirname(conf)), 'run', 'slurmctld.pid')
		daemon = os.path.realpath(shutil.which('slurmctld'))

		def controller():
			"""The pid of the running slurmctld, None"""
			try:
				with open(pidfile) as fpid:
					pid = int(fpid.read())
				return pid if os.path.realpath('/proc/{}/exe'.format(pid)) == daemon else None
			except (OSError, ValueError):
				return None

		def restart():
			"""slurmctld again, in the cgroups it ran in where they still are (not this test's: they may go with
			this session), in any case"""
			if controller() is None:
				startDaemonIn(procs, 'slurmctld', '-i')
			self.assertTrue(waitUntil(lambda: subprocess.run(['scontrol', 'ping'], capture_output=True
				, timeout=30).returncode == 0, 30, 0.1), 'slurmctld did not come back')
		pool = self.slurmPool(4)
		jobs = [Job('o%d' % i, args=('sleep', '1'), memlim=0.05) for i in range(4)]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(waitUntil(lambda: all(job.slurmid and job._run.launch.start is not None for job in jobs) or pool._cycle(
			time.perf_counter() + 0.05), 30, 0))
		pid = controller()
		self.assertIsNotNone(pid)
		procs = daemonCgroups(pid)
		self.addCleanup(restart)  # Whatever happens: other tests use this cluster
		os.kill(pid, signal.SIGTERM)
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(waitUntil(lambda: all(job.proc.poll() is not None for job in jobs) or pool._cycle(
				time.perf_counter() + 0.05), 40, 0))  # The sruns gave up
			restart()
			self.assertTrue(pool.join(60))
		self.assertEqual([(job.proc.returncode, job.reason) for job in jobs], [(0, None)] * 4)
		ids = {job.slurmid for job in jobs}
		self.assertEqual([line for line in squeue('-o', '%i|%T') if line.split('|')[0] in ids
			and line.split('|')[1] not in ('COMPLETING', 'CANCELLED', 'COMPLETED')], [])
		self.assertTrue(waitUntil(lambda: not any(line.split('|')[0] in ids for line in squeue('-o', '%i|%T'))
			, 120, 0.5), squeue('-o', '%i|%T'))

	def test_no_accounting_storage(self):
		"""sacct says accounting storage is disabled (the client's slurm.conf): jobs complete promptly without
		figures, outcomes from srun's exit code and the pool's timer, and the pool says why once"""
		conf = self.path('slurm.conf')
		with open(os.environ.get('SLURM_CONF') or '/etc/slurm/slurm.conf') as fconf, open(conf, 'w') as fout:
			fout.write(re.sub(r'(?m)^AccountingStorageType=.*$', 'AccountingStorageType=accounting_storage/none'
				, fconf.read()))
		ended = {}  # Name -> (perf_counter() of its srun's exit, of its onfinish)
		note = lambda job: ended.__setitem__(job.name, (job._run.tspawn + job.wtime, time.perf_counter()))  # noqa: E731
		err = io.StringIO()
		with mock.patch.dict(os.environ, {'SLURM_CONF': conf}), contextlib.redirect_stderr(err):
			pool = self.slurmPool(4)
			jobs = [Job(name, args=args, onfinish=note, **kw) for name, args, kw in (
				('ok', ('sh', '-c', 'echo hi'), {'stdout': subprocess.PIPE}), ('exit3', ('sh', '-c', 'exit 3'), {})
				, ('timeout', ('sleep', '60'), {'timeout': 1}), ('signal', ('sh', '-c', 'kill -9 $$'), {}))]
			for job in jobs:
				pool.execute(job)
			self.assertTrue(pool.join(30))
			late = Job('late', args=('true',), onfinish=note)  # Once the pool knows: no sacct is awaited
			pool.execute(late)
			self.assertTrue(pool.join(30))
		jobs.append(late)
		self.assertEqual([(job.name, job.reason, job.proc.returncode != 0) for job in jobs], [('ok', None, False)
			, ('exit3', None, True), ('timeout', 'timeout', True), ('signal', None, True), ('late', None, False)])
		# srun's exit code: no Slurm state tells a signal (128+N) from the program's own code
		self.assertEqual((jobs[0].pipedout, jobs[1].proc.returncode, jobs[3].proc.returncode), ('hi\n', 3, 137))
		self.assertEqual(sorted(info.name for info in pool.failures), ['exit3', 'signal', 'timeout'])
		for job in jobs:  # wtime: srun's own
			self.assertEqual((job.utime, job.stime, job.rssmax, job.accounting), (None, None, None, None), job.name)
			self.assertGreater(job.wtime, 0, job.name)
			self.assertTrue(job.slurmid is None or job.slurmid.isdigit(), job.slurmid)
		# The first jobs wait for one sacct call (0.5 s after the first exit), not for the figures' bound
		# (_SLURM_ACCT_BOUND, 10 s); once the pool knows, a job completes as its srun exits
		delays = {name: fin - end for name, (end, fin) in ended.items()}
		self.assertLess(max(delays.values()), 3, delays)
		self.assertLess(delays['late'], 0.5, delays)
		self.assertGreaterEqual(jobs[2].wtime, 1)
		# Said once, with sacct's words, naming what is missing (not wtime: srun's is there)
		self.assertEqual(err.getvalue().count('Slurm keeps no accounting'), 1, err.getvalue())
		self.assertRegex(err.getvalue(), r'no accounting \(Slurm accounting storage is disabled\): jobs complete'
			r' without utime, stime, rssmax and their Slurm state')
		self.assertEqual(pool._launcher.calls['sacct'], 1)

	def test_webui(self):
		if mpewui is None:
			self.skipTest(NOBOTTLE)
		app = WebUiApp(host='127.0.0.1', port=0, name='WebUI-slurm')
		self.addCleanup(app.stop)
		pool = self.slurmPool(2, webuiapp=app)
		job = Job('uijob', args=('sleep', '60'))
		pool.execute(job)
		# The id comes from squeue while the job may still be pending, its node once it runs
		self.assertTrue(waitUntil(lambda: job.slurmid and job.node or pool._cycle(time.perf_counter() + 0.05), 20, 0))
		self.assertIn(job.node, self.nodes)
		pool._publishUi(True)
		text = json.dumps(uiJson(app, '/jobs?fmt=json'))
		self.assertIn('"{}"'.format(job.slurmid), text)
		self.assertIn('"{}"'.format(job.node), text)
		pool.terminate()

	def test_endings(self):
		"""SIGINT and SIGTERM of the program, SIGKILL of its process and of its process group: no job
		of it is left in squeue a few seconds later"""
		procs = {}
		for how in ('SIGINT', 'SIGTERM', 'kill', 'killpg'):
			proc = procs[how] = subprocess.Popen((PYEXEC, '-c', SLURM_HOLDER), stdout=subprocess.PIPE
				, stderr=subprocess.DEVNULL, cwd=REPO, env=repoEnv(), start_new_session=True)
			self.addCleanup(lambda proc=proc: proc.poll() is None and os.killpg(proc.pid, signal.SIGKILL))
		for how, proc in procs.items():
			self.assertIn(b'running\n', iter(proc.stdout.readline, b''), how)  # After the pool's messages
			self.assertEqual(len(slurmJobsOf(proc.pid)), 1)
		for how, proc in procs.items():
			if how == 'killpg':
				os.killpg(proc.pid, signal.SIGKILL)
			else:
				os.kill(proc.pid, getattr(signal, how, signal.SIGKILL))
		for how, proc in procs.items():
			proc.communicate(timeout=30)
			self.assertEqual(proc.returncode, {'SIGINT': 130, 'SIGTERM': 143}.get(how, -9), how)
		for how, proc in procs.items():
			left = waitUntil(lambda: not slurmJobsOf(proc.pid), 10, 0.2) or slurmJobsOf(proc.pid)
			if left is not True:
				subprocess.run(['scancel'] + [line.split('|')[0] for line in left])
			self.assertIs(left, True, how)

	def test_cli(self):
		"""mpepool --slurm: the joblog's Host is the node, --resume runs nothing again"""
		log = self.path('log')
		cmds = self.path('cmds')
		with open(cmds, 'w') as fcmd:
			fcmd.write('echo one\nexit 3\n')
		res = cliRun('--slurm', '-j2', '--joblog', log, '-a', cmds, timeout=60)
		self.assertEqual((res.returncode, res.stdout), (1, b'one\n'), res.stderr)
		header, rows = cliParseLog(log)
		self.assertEqual(sorted((row['Seq'], row['Exitval']) for row in rows), [('1', '0'), ('2', '3')])
		for row in rows:
			self.assertIn(row['Host'], self.nodes)
		res = cliRun('--slurm', '-j2', '--joblog', log, '--resume', '-a', cmds, timeout=60)
		self.assertEqual((res.returncode, res.stdout), (0, b''), res.stderr)
		self.assertEqual(len(cliParseLog(log)[1]), 2)

	def test_cli_pipe(self):
		"""mpepool --slurm --pipe: each job reads its block (a file of --tmpdir, which the node sees) on its
		standard input; the joblog's Send is the block's size"""
		log = self.path('log')
		res = cliRun('--slurm', '-j2', '-k', '--pipe', '-N5', '--joblog', log, 'wc -l', stdin=_SEQ(12), timeout=60)
		self.assertEqual((res.returncode, res.stdout.split()), (0, [b'5', b'5', b'2']), res.stderr)
		rows = sorted((row['Seq'], row['Host'], row['Send']) for row in cliParseLog(log)[1])
		self.assertEqual([(seq, send) for seq, _, send in rows], [('1', '10'), ('2', '11'), ('3', '6')])
		nodes = subprocess.run(['sinfo', '-h', '-N', '-o', '%N'], capture_output=True, text=True, timeout=30).stdout
		self.assertTrue(all(host in nodes.split() for _, host, _ in rows), (rows, nodes))  # A node of the cluster

	def test_inside_allocation(self):
		"""Inside salloc the jobs are steps of the allocation, with the same outcomes"""
		res = subprocess.run(['salloc', '-n2', '--mem=1G', PYEXEC, '-c', textwrap.dedent('''\
			import json, os, sys
			from mpepool import ExecPool, Job, SlurmLauncher
			pool = ExecPool(2, launcher=SlurmLauncher())
			jobs = [Job('ok', args=('true',)), Job('exit3', args=('sh', '-c', 'exit 3'))
				, Job('timeout', args=('sleep', '60'), timeout=1), Job('memory', args=(sys.executable, '-c'
				, 'buf = b"1" * (300 << 20); import time; time.sleep(5)'), memlim=0.1)]
			for job in jobs:
				pool.execute(job)
			pool.join(60)
			print(json.dumps([os.environ['SLURM_JOB_ID']] + [[job.name, job.proc.returncode, job.reason
				, job.slurmid, job.accounting] for job in jobs]))
			''')], capture_output=True, text=True, timeout=120, cwd=REPO, env=repoEnv())
		self.assertEqual(res.returncode, 0, res.stderr)
		alloc, *jobs = json.loads(res.stdout.splitlines()[-1])
		self.assertEqual([(job[0], job[2]) for job in jobs], [('ok', None), ('exit3', None), ('timeout', 'timeout')
			, ('memory', 'memory limit')])
		self.assertEqual([job[1] for job in jobs[:2]], [0, 3])
		for job in jobs:
			self.assertRegex(job[3], r'^{}\.\d+$'.format(alloc))

	def likeLocalBatch(self, tag, more=()):
		"""(task, jobs, [(callback, job name)]) of the batch run locally and on Slurm alike"""
		calls = []
		task = Task('tsk-' + tag)
		note = lambda event: lambda job: calls.append((event, job.name))  # noqa: E731
		jobs = [Job(name, args=args, task=task, onstart=note('start'), ondone=note('done'), onfinish=note('finish')
			, **kw) for name, args, kw in (
			('ok', ('sh', '-c', 'echo ok'), {'stdout': subprocess.PIPE}),
			('exit3', ('sh', '-c', 'exit 3'), {}),
			('timeout', ('sleep', '60'), {'timeout': 1}),
			('memory', pyjob(ALLOC(300, 5)), {'memlim': 0.1}),
			('nowd', ('true',), {'workdir': self.path('missing')})) + tuple(more)]
		return task, jobs, calls

	def test_like_local(self):
		"""The same batch locally and on Slurm: the same outcomes, reasons, callbacks, task results and
		failure report"""
		batch = self.likeLocalBatch

		results = {}

		def run(tag, launcher):
			task, jobs, calls = batch(tag)
			pool = self.newPool(5, launcher=launcher)
			for job in jobs:
				pool.execute(job)
			pool.join(60)
			results[tag] = (sorted(calls), [(job.name, job.reason, job.pipedout) for job in jobs]
				, (task.numadded, task.numdone, task.numterm), sorted((i.name, i.reason) for i in pool.failures))
		slurm = threading.Thread(target=run, args=('slurm', mpepool.SlurmLauncher()))
		slurm.start()
		run('local', None)
		slurm.join(90)
		self.assertEqual(results['slurm'], results['local'])
		self.assertEqual(results['local'][3], [('exit3', None), ('memory', 'memory limit'), ('nowd', 'start failure')
			, ('timeout', 'timeout')])

	def test_time_backstop(self):
		"""Slurm's --time ends a job the pool's timer did not: 'timeout' (started by setUpClass; passes in any
		order of the tests, run first it waits the longest)"""
		self.backstopReaper.join(150)
		out, err = self.backstopOut
		reason, code, slurmid = json.loads(out.splitlines()[-1])
		self.assertEqual((reason, code), ('timeout', -15), err[-2000:])


class TestDefaultLauncher(MpeTestCase):
	"""PYEXPOOL_LAUNCHER chooses the launcher of every pool made without launcher= (the Slurm runs: TestSlurm)"""

	def launcherOf(self, value, **kwargs):
		"""The launcher of a pool made without launcher= under PYEXPOOL_LAUNCHER=value (None: unset)"""
		return self.poolOf(value, **kwargs)._launcher

	def poolOf(self, value, **kwargs):
		"""A pool made without launcher= under PYEXPOOL_LAUNCHER=value (None: unset)"""
		with mock.patch.dict(os.environ, {'PYEXPOOL_LAUNCHER': value} if value is not None else {}):
			if value is None:
				os.environ.pop('PYEXPOOL_LAUNCHER', None)
			return self.newPool(1, **kwargs)

	def test_values(self):
		requireTool(self, mpepool._cgroupsMissing() is None, mpepool._cgroupsMissing())
		self.assertIs(type(self.launcherOf('local')), mpepool.LocalLauncher)
		self.assertIs(type(self.launcherOf('local', cgroups=False)), mpepool.LocalLauncher)
		self.assertIs(type(self.launcherOf('cgroup')), mpepool.CgroupLauncher)
		for value in (None, ''):  # The default: a cgroup per job where usable, as cgroups= says
			self.assertIs(type(self.launcherOf(value)), mpepool.CgroupLauncher)
			self.assertIs(type(self.launcherOf(value, cgroups=False)), mpepool.LocalLauncher)
		# The variable applies to pools made without launcher= only
		with mock.patch.dict(os.environ, {'PYEXPOOL_LAUNCHER': 'cgroup'}):
			self.assertIs(type(self.newPool(1, launcher=mpepool.LocalLauncher())._launcher), mpepool.LocalLauncher)
		job = Job('env', args=('true',))
		pool = self.poolOf('local')
		pool.execute(job)
		self.assertTrue(pool.join(10))
		self.assertEqual((job.proc.returncode, job.accounting), (0, 'wait4'))

	def test_bad_values(self):
		"""An unknown value, a bad PYEXPOOL_SLURM_NODES or a value that contradicts cgroups=: ValueError at the
		pool, naming the variable and the value"""
		for value in ('slurmish', 'Local', ' local'):
			with self.assertRaisesRegex(ValueError, r'^PYEXPOOL_LAUNCHER must be one of cgroup, local, slurm,'
			r' slurm-pernode \(or unset\), not {}$'.format(re.escape(repr(value)))):
				self.launcherOf(value)
		for nodes in ('0', '-1', '1.5', 'x', ' 2'):
			with mock.patch.dict(os.environ, {'PYEXPOOL_SLURM_NODES': nodes}), self.assertRaisesRegex(ValueError
			, r'^PYEXPOOL_SLURM_NODES must be a number of nodes >= 1 \(or unset\), not {}$'.format(re.escape(repr(nodes)))):
				self.launcherOf('slurm-pernode')
		for value in ('local', 'slurm'):
			with self.assertRaisesRegex(ValueError, r"^cgroups=True, but PYEXPOOL_LAUNCHER='{}' runs no cgroup"
			r' per job$'.format(value)):
				self.launcherOf(value, cgroups=True)
		with self.assertRaisesRegex(ValueError, r'^PYEXPOOL_LAUNCHER=cgroup, but cgroups=False$'):
			self.launcherOf('cgroup', cgroups=False)
		self.assertEqual(self.pools, [])


def _processesWith(*argv):
	"""Pids of the live processes running argv (their whole command line)"""
	cmdline = b'\0'.join(arg.encode() for arg in argv) + b'\0'
	pids = []
	for name in os.listdir('/proc'):
		if name.isdigit():
			try:
				with open('/proc/{}/cmdline'.format(name), 'rb') as fcmd:
					if fcmd.read() == cmdline and pidAlive(int(name)):
						pids.append(int(name))
			except OSError:
				pass
	return pids


class TestSlurmPerNode(TestSlurm):
	"""SlurmLauncher(pernode=True): one agent per node of an allocation on the real cluster, with as many
	nodes as sinfo shows (CI's cluster has 3)"""

	@classmethod
	def setUpClass(cls):
		cls.useCluster()
		cls.nodes = sorted(set(subprocess.run(['sinfo', '-h', '-N', '-o', '%N'], capture_output=True, text=True
			, timeout=30).stdout.split()))

	def nodePool(self, wksnum=None, nodes=None, **kwargs):
		"""A pool on an allocation of nodes (all by default): wksnum 2 per node by default"""
		nodes = nodes or len(self.nodes)
		launcher = mpepool.SlurmLauncher(pernode=True, nodes=nodes)
		return self.newPool(wksnum or 2 * nodes, launcher=launcher, **kwargs)


	def test_run_freed_at_completion(self):
		pool = self.nodePool(nodes=1)
		assertRunFreed(self, pool)

	def test_spread(self):
		"""The jobs spread over every node, each node running as many at once as its slots; outputs: PIPE
		streamed back, files written on the node, the console's inherited; figures from the node's kernel"""
		pool = self.nodePool()
		launcher = pool._launcher
		self.assertEqual(sorted(agent.node for agent in launcher._agents), self.nodes)
		outpath = self.path('out', 'files.txt')
		jobs = [Job('j{}'.format(i), args=('sh', '-c', 'echo $SLURMD_NODENAME $SLURM_JOB_ID; sleep 0.5')
			, stdout=subprocess.PIPE) for i in range(2 * len(self.nodes))]
		jobs.append(Job('files', args=('sh', '-c', 'echo to-out; echo to-err >&2'), stdout=outpath, stderr=outpath))
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(60))
		self.assertEqual(pool.failures, [])
		for job in jobs[:-1]:
			self.assertEqual(job.pipedout.split(), [job.node, launcher._jobid])
			self.assertIn(job.accounting, ('cgroup', 'wait4'))
			self.assertIsNotNone(job.utime)
			self.assertGreater(job.wtime, 0.45)
		self.assertEqual(sorted({job.node for job in jobs[:-1]}), self.nodes)
		with open(outpath) as fout:
			self.assertEqual(sorted(fout.read().split()), ['to-err', 'to-out'])
		# Each node's slots are its CPUs (capped by wksnum): no more jobs at once on a node than that
		slots = {agent.node: agent.slots for agent in launcher._agents}
		for node in self.nodes:
			mine = sorted((job.tstart, job.tstop) for job in jobs[:-1] if job.node == node)
			most = max(sum(1 for start, stop in mine if start <= tstart < stop) for tstart, _ in mine)
			self.assertLessEqual(most, slots[node])
		pool.terminate()  # The allocation goes back
		self.assertEqual(launcher._agents, [])

	def test_node_budget_and_affinity(self):
		"""memlimit is a per-node budget: jobs whose memlim fit it once run one at a time on each node; the
		affinity step pins each job to CPUs of its node's slot (wksnum is not cut to this machine's CPUs)"""
		pool = self.nodePool(memlimit=0.3, afnmask=1)
		self.assertEqual(pool._wkslim, 2 * len(self.nodes))
		jobs = [Job('m{}'.format(i), args=('sh', '-c', 'grep Cpus_allowed_list /proc/self/status; sleep 0.4')
			, memlim=0.2, stdout=subprocess.PIPE) for i in range(2 * len(self.nodes))]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(pool.join(60))
		self.assertEqual(pool.failures, [])
		for node in self.nodes:
			mine = sorted((job.tstart, job.tstop) for job in jobs if job.node == node)
			self.assertEqual(len(mine), 2, node)
			self.assertLessEqual(mine[0][1], mine[1][0])  # One after the other
		for job in jobs:
			cpus = mpepool._parseCpulist(job.pipedout.split(':')[1].strip())
			self.assertEqual(len(cpus), 1, job.pipedout)

	def test_like_local(self):
		"""The same batch locally and per node: the same outcomes, reasons, callbacks, task results and
		failure report; a timeout chain too"""
		results = {}
		for tag, launcher in (('local', None), ('pernode', mpepool.SlurmLauncher(pernode=True, nodes=len(self.nodes)))):
			task, jobs, calls = self.likeLocalBatch(tag, (('chained', ('sleep', '60'), {'category': 'c', 'size': 2}),
				('origin', ('sleep', '60'), {'category': 'c', 'size': 1, 'timeout': 1.5})))
			pool = self.newPool(7, launcher=launcher)
			for job in jobs:
				pool.execute(job)
			self.assertTrue(pool.join(60))
			results[tag] = (sorted(calls), [(job.name, job.reason, job.pipedout, job.proc.returncode if job.proc
				and job.reason != 'start failure' else None) for job in jobs], (task.numadded, task.numdone
				, task.numterm), sorted((i.name, i.reason) for i in pool.failures))
		self.assertEqual(results['pernode'], results['local'])
		self.assertEqual(results['local'][3], [('chained', 'timeout chain'), ('exit3', None), ('memory', 'memory limit')
			, ('nowd', 'start failure'), ('origin', 'timeout'), ('timeout', 'timeout')])

	def test_agent_killed(self):
		"""An agent killed mid-run: its jobs run again once on the other nodes (each job ends once); a job
		whose node is lost twice fails as 'node failure'; the pool goes on"""
		if len(self.nodes) < 3:
			self.skipTest('needs 3 nodes, the cluster has {}'.format(self.nodes))
		ends = collections.Counter()
		pool = self.nodePool(2 * len(self.nodes))
		launcher = pool._launcher
		twice = Job('twice', args=('sleep', '60'), onfinish=lambda job: ends.update([job.name]))
		pool.execute(twice)
		jobs = [Job('j{}'.format(i), args=('sleep', '1.5'), onfinish=lambda job: ends.update([job.name]))
			for i in range(2 * len(self.nodes) - 1)]
		for job in jobs:
			pool.execute(job)
		first = twice.node
		self.assertTrue(waitUntil(lambda: twice.proc.pid or pool._cycle(time.perf_counter() + 0.05), 20))
		moved = [job for job in jobs if job.node == first]
		os.kill(launcher._agents[[agent.node for agent in launcher._agents].index(first)].pid, signal.SIGKILL)
		self.assertTrue(waitUntil(lambda: (twice.node != first and twice.proc.pid) or pool._cycle(
			time.perf_counter() + 0.05), 20))
		second = twice.node
		os.kill(launcher._agents[[agent.node for agent in launcher._agents].index(second)].pid, signal.SIGKILL)
		self.assertTrue(pool.join(60))
		self.assertEqual(twice.reason, 'node failure')
		self.assertEqual(ends, collections.Counter(job.name for job in jobs + [twice]))  # Each once
		self.assertTrue(moved)
		for job in jobs:  # Those of the lost nodes ran again on the node left (or failed when lost twice)
			self.assertTrue(job.reason is None and job.proc.returncode == 0 or job.reason == 'node failure', job)
			if job.reason is None:
				self.assertNotIn(job.node, (first, second) if job in moved else (first,))
		self.assertEqual([agent.node for agent in launcher._agents], [node for node in self.nodes
			if node not in (first, second)])

	def test_slurmd_killed(self):
		"""A node's slurmd killed (SIGKILL) mid-run, then the node DOWN, as slurmctld sets it once the node
		misses its pings (here ~25 s after the kill; the test sets it at once: the same path in slurmctld,
		"Removing failed node", "Killing JobId=J StepId=S due to failed node"): srun reports the node failure
		and ends, that node's running jobs run again on the other nodes, each job ends once, the rest go on.
		The agent and its jobs outlive their slurmd (its step daemon lives on, fed by no srun); the slurmd
		started again reports that step, which the controller kills (on the wrong node): nothing stays on
		the node, which is back idle (ReturnToService=2)"""
		conf = os.environ.get('SLURM_CONF')
		if conf != SLURM_TESTCONF:
			self.skipTest('the slurmd daemons of {} are not the test cluster\'s'.format(conf))
		if len(self.nodes) < 2:
			self.skipTest('needs 2 nodes, the cluster has {}'.format(self.nodes))
		# Whatever happens, after the pool's end (cleanups run last first): the node's slurmd runs, every node idle
		self.addCleanup(subprocess.run, [os.path.join(REPO, '.ci', 'slurm-cluster'), 'start', '--nodes'
			, str(len(self.nodes))], capture_output=True, timeout=120)
		ends = collections.Counter()
		pool = self.nodePool()
		launcher = pool._launcher
		agent = launcher._agents[0]
		node = agent.node
		# On the lost node the jobs would run 60 s unless stopped; elsewhere 1 s
		jobs = [Job('j{}'.format(i), args=('sh', '-c', '[ "$SLURMD_NODENAME" = {} ] && exec sleep 60.25 || exec sleep 1'
			.format(node)), onfinish=lambda job: ends.update([job.name])) for i in range(3 * len(self.nodes))]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(waitUntil(lambda: all(job.proc.pid for job in pool._workers) or pool._cycle(
			time.perf_counter() + 0.05), 20))
		moved = [job for job in pool._workers if job.node == node]
		self.assertEqual(len(moved), agent.slots)
		with open(os.path.join(os.path.dirname(os.path.dirname(conf)), 'run', 'slurmd.{}.pid'.format(node))) as fpid:
			slurmd = int(fpid.read())
		procs = daemonCgroups(slurmd)
		os.kill(slurmd, signal.SIGKILL)
		subprocess.run(['scontrol', 'update', 'nodename=' + node, 'state=down', 'reason=pyexpool test: slurmd killed']
			, check=True, timeout=30)
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertTrue(waitUntil(lambda: agent not in launcher._agents or pool._cycle(time.perf_counter() + 0.05), 30))
		self.assertEqual(sorted(other.node for other in launcher._agents), [other for other in self.nodes if other != node])
		# Its slurmd again, in the cgroups it ran in (not this test's)
		startDaemonIn(procs, 'slurmd', '-N', node)
		self.assertTrue(waitUntil(lambda: (not pidAlive(agent.pid) and not _processesWith('sleep', '60.25')
			and subprocess.run(['sinfo', '-h', '-n', node, '-o', '%T'], capture_output=True, text=True, timeout=30
			).stdout.strip() == 'idle') or pool._cycle(time.perf_counter() + 0.2), 30), 'left on {}: the agent {}'
			' ({}), job processes {}'.format(node, agent.pid, pidAlive(agent.pid), _processesWith('sleep', '60.25')))
		self.assertTrue(pool.join(60))
		self.assertEqual(ends, collections.Counter(job.name for job in jobs))  # Each once
		self.assertEqual([(job.name, job.reason, job.proc.returncode) for job in jobs], [(job.name, None, 0) for job in jobs])
		self.assertEqual([job.node for job in jobs if job.node == node], [])  # The moved ones ran elsewhere

	def test_scancel(self):
		"""scancel of the allocation from outside: every job ends once, as 'cancelled', and the pool goes on"""
		ends = collections.Counter()
		pool = self.nodePool()
		launcher = pool._launcher
		jobs = [Job('j{}'.format(i), args=('sleep', '60.5'), onfinish=lambda job: ends.update([job.name]))
			for i in range(3 * len(self.nodes))]
		for job in jobs:
			pool.execute(job)
		self.assertTrue(waitUntil(lambda: all(job.proc.pid for job in pool._workers) or pool._cycle(
			time.perf_counter() + 0.05), 20))
		subprocess.run(['scancel', launcher._jobid], check=True, timeout=30)
		self.assertTrue(pool.join(60))
		self.assertEqual(sorted((job.name, job.reason) for job in jobs), sorted((job.name, 'cancelled') for job in jobs))
		self.assertEqual(ends, collections.Counter(job.name for job in jobs))
		self.assertTrue(waitUntil(lambda: not _processesWith('sleep', '60.5'), 15), 'job processes left')

	def test_pool_signalled(self):
		"""SIGINT, SIGTERM, SIGKILL of the pool's process: nothing of it stays in squeue or on the nodes"""
		script = textwrap.dedent('''\
			import sys, time
			import mpepool
			from mpepool import ExecPool, Job, SlurmLauncher
			mpepool.installTerminationHandlers()
			mpepool._MESSAGES.configure(info=None)
			pool = ExecPool(2, launcher=SlurmLauncher(pernode=True, nodes=1))
			for i in range(2):
				pool.execute(Job('hold%d' % i, args=('sleep', sys.argv[1])))
			while not all(job.proc.pid for job in pool._workers):
				pool._cycle(time.perf_counter() + 0.05)
			print('running', flush=True)
			pool.join()
			''')
		procs = {}
		for sig, secs in ((signal.SIGINT, '301.5'), (signal.SIGTERM, '302.5'), (signal.SIGKILL, '303.5')):
			procs[sig] = (subprocess.Popen((PYEXEC, '-c', script, secs), stdout=subprocess.PIPE, stderr=subprocess.PIPE
				, cwd=self.tmp, env=repoEnv(), text=True), secs)
			self.addCleanup(lambda proc=procs[sig][0]: proc.poll() is None and proc.kill())
		for sig, (proc, secs) in procs.items():
			self.assertEqual(proc.stdout.readline(), 'running\n', proc.stderr.read() if proc.poll() is not None else '')
			self.assertTrue(slurmJobsOf(proc.pid))
			self.assertEqual(len(_processesWith('sleep', secs)), 2)
			proc.send_signal(sig)
		for sig, (proc, secs) in procs.items():
			proc.wait(30)
			self.assertEqual(proc.returncode, -sig if sig == signal.SIGKILL else 128 + sig, proc.stderr.read())
			self.assertTrue(waitUntil(lambda: not slurmJobsOf(proc.pid), 20), slurmJobsOf(proc.pid))
			self.assertTrue(waitUntil(lambda: not _processesWith('sleep', secs), 20), 'job processes left after {}'.format(
				signal.Signals(sig).name))
			proc.stdout.close()
			proc.stderr.close()

	def test_killed_inside_allocation(self):
		"""A pool killed (SIGKILL) inside the user's allocation: the guardian cancels its agents' steps (and
		their jobs end), the allocation stays the user's"""
		res = subprocess.run(['salloc', '--no-shell', '-N1', '--exclusive', '--job-name=pyexpool-{:x}-user'.format(
			os.getpid())], capture_output=True, text=True, timeout=60)
		alloc = re.search(r'Granted job allocation (\d+)', res.stderr).group(1)
		self.addCleanup(subprocess.run, ['scancel', alloc], timeout=30)
		script = textwrap.dedent('''\
			import time
			import mpepool
			from mpepool import ExecPool, Job, SlurmLauncher
			mpepool._MESSAGES.configure(info=None)
			pool = ExecPool(2, launcher=SlurmLauncher(pernode=True))
			for i in range(2):
				pool.execute(Job('hold%d' % i, args=('sleep', '304.5')))
			while not all(job.proc.pid for job in pool._workers):
				pool._cycle(time.perf_counter() + 0.05)
			print('running', flush=True)
			pool.join()
			''')
		proc = subprocess.Popen((PYEXEC, '-c', script), stdout=subprocess.PIPE, cwd=self.tmp, text=True
			, env=repoEnv(SLURM_JOB_ID=alloc, SLURM_JOB_NODELIST=subprocess.run(['squeue', '-h', '-j', alloc, '-o', '%N']
			, capture_output=True, text=True, timeout=30).stdout.strip()))
		self.addCleanup(lambda: proc.poll() is None and proc.kill())
		self.assertEqual(proc.stdout.readline(), 'running\n')
		self.assertEqual(len(squeue('-s', '-j', alloc, '-o', '%i')), 1)  # Its agent's step
		proc.kill()
		proc.wait(30)
		proc.stdout.close()
		self.assertTrue(waitUntil(lambda: not squeue('-s', '-j', alloc, '-o', '%i'), 20), squeue('-s', '-j', alloc))
		self.assertTrue(waitUntil(lambda: not _processesWith('sleep', '304.5'), 20), 'job processes left')
		self.assertEqual(squeue('-j', alloc, '-o', '%T'), ['RUNNING'])  # The user's allocation stays

	def test_client_inside_allocation(self):
		"""An unchanged client (its own ExecPool(4, memlimit=4096), as written for the original, with a copy of
		mpepool.py in its folder: utils/mpepool.py) run inside salloc with PYEXPOOL_LAUNCHER=slurm-pernode: the
		agents run that copy by its path, the jobs run on the allocation's nodes"""
		os.makedirs(self.path('client', 'utils'))
		shutil.copy(os.path.join(REPO, 'mpepool.py'), self.path('client', 'utils', 'mpepool.py'))
		with open(self.path('client', 'bench.py'), 'w') as fout:
			fout.write(textwrap.dedent('''\
				import json, os, subprocess
				from utils.mpepool import ExecPool, Job
				pool = ExecPool(4, memlimit=4096)
				jobs = [Job('j%d' % i, args=('sh', '-c', 'echo $SLURMD_NODENAME $SLURM_JOB_ID; sleep 0.3')
					, stdout=subprocess.PIPE) for i in range(4)]
				for job in jobs:
					pool.execute(job)
				pool.join(60)
				print(json.dumps([os.environ['SLURM_JOB_ID'], [job.pipedout for job in jobs], [job.node for job in jobs]
					, sorted({' '.join(agent.srun.args[-3:]) for agent in pool._launcher._agents})]))
				'''))
		nodes = min(2, len(self.nodes))
		env = {name: val for name, val in os.environ.items() if name != 'PYTHONPATH'}
		env['PYEXPOOL_LAUNCHER'] = 'slurm-pernode'
		res = subprocess.run(['salloc', '-N{}'.format(nodes), '--exclusive', PYEXEC, 'bench.py'], capture_output=True
			, text=True, timeout=120, cwd=self.path('client'), env=env)
		self.assertEqual(res.returncode, 0, res.stderr)
		alloc, outs, nodesrun, agents = json.loads(res.stdout.splitlines()[-1])
		self.assertEqual([out.split() for out in outs], [[node, alloc] for node in nodesrun])
		self.assertEqual(len(set(nodesrun)), nodes)
		self.assertEqual(agents, ['-u {} --agent'.format(self.path('client', 'utils', 'mpepool.py'))])

	def test_bad_input(self):
		"""nodes=0, -1, 1.5, no srun on PATH, an unknown partition: a clear error before any job runs"""
		for nodes, err in ((0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)):
			with self.assertRaisesRegex(err, r'nodes .*{!r}'.format(nodes)):
				mpepool.SlurmLauncher(pernode=True, nodes=nodes)
		with self.assertRaisesRegex(ValueError, 'nodes=2 needs pernode=True'):
			mpepool.SlurmLauncher(nodes=2)
		with mock.patch.dict(os.environ, {'PATH': self.tmp}):
			with self.assertRaisesRegex(FileNotFoundError, 'srun'):
				ExecPool(2, launcher=mpepool.SlurmLauncher(pernode=True))
		tstart = time.perf_counter()
		with self.assertRaisesRegex(ValueError, "partition must name partitions of the Slurm cluster, not 'nope'"):
			ExecPool(2, launcher=mpepool.SlurmLauncher('nope', pernode=True))
		self.assertLess(time.perf_counter() - tstart, 30)
		res = cliRun('--slurm-pernode', '--slurm-partition', 'nope', 'true', ':::', '1', timeout=60)
		self.assertEqual(res.returncode, 255)
		self.assertIn(b"partitions of the Slurm cluster, not 'nope'", res.stderr)

	def test_cli(self):
		"""mpepool --slurm-pernode --slurm-nodes N: the joblog's Host names the nodes"""
		log = self.path('log')
		res = cliRun('--slurm-pernode', '--slurm-nodes', str(len(self.nodes)), '-j', str(2 * len(self.nodes))
			, '--joblog', log, 'echo {} $SLURMD_NODENAME; sleep 0.3', ':::', *[str(i) for i in range(2 * len(self.nodes))]
			, timeout=60)
		self.assertEqual(res.returncode, 0, res.stderr)
		ran = dict(line.split() for line in res.stdout.decode().splitlines())
		header, rows = cliParseLog(log)
		self.assertEqual(sorted((row['Seq'], row['Host']) for row in rows), sorted((str(int(seq) + 1), node)
			for seq, node in ran.items()))
		self.assertEqual(sorted(set(ran.values())), self.nodes)
		res = cliRun('--slurm-nodes', '2', 'true', ':::', '1', timeout=60)
		self.assertEqual(res.returncode, 255)
		self.assertIn(b'--slurm-nodes needs --slurm-pernode', res.stderr)

# TestSlurm's tests are its own (one srun per job): TestSlurmPerNode takes its helpers, not its tests
for _name in [name for name in vars(TestSlurm) if name.startswith('test') and name not in vars(TestSlurmPerNode)]:
	setattr(TestSlurmPerNode, _name, None)


if __name__ == '__main__':
	unittest.main()
