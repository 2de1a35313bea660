#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Multi-process execution pool for external programs with per-job and pool-wide constraints.

A faithful Python 3 reimplementation of PyExPool v3: jobs (external programs, or Python snippets run
through ``sys.executable -c``) run in parallel under timeouts, memory limits measured on their whole
process tree and CPU affinity chosen from the NUMA/cache topology, grouped into hierarchical tasks with
callbacks and a failure report.

Usage::

    from mpepool import ExecPool, Job, Task
    with ExecPool(2) as pool:
        task = Task('demo')
        pool.execute(Job('list', args=('ls', '-la'), task=task, timeout=10))
        pool.execute(Job('nap', args=('sleep', '1'), task=task))
        pool.join(60)

The event loop (all of it runs in the caller's thread, inside ``execute()`` and ``join()``)::

    reap the finished jobs (pidfd readable) -> drain the PIPE outputs -> enforce the deadlines
    (job/task/pool timeouts, TERM->KILL escalation) -> sample memory when due -> start what fits
    -> publish a snapshot for the Web UI -> wait for the next event (a child exit, piped output,
    a wake-up or the nearest deadline) in one ``select()``; never a sleeping poll.

Optional dependencies: ``psutil`` (memory measurement and balancing) and ``bottle`` (the Web UI in
``mpewui``); both are imported lazily or with a ``None`` fallback, and importing this module prints
nothing and runs no external program.
"""
__all__ = ['Job', 'Task', 'ExecPool', 'AffinityMask', 'JobInfo', 'TaskInfo', 'ramfracs',
           'cpucorethreads', 'cpunodes', 'cpusequential', 'inBytes', 'inGigabytes', 'secondsToHms',
           'timeheader', 'tblfmt', 'applyCallback', 'infodata', 'infoheader', 'propslist',
           'TaskInfoExt', 'tasksInfoExt', 'printDepthFirst', 'TaskInfoPrefmt', 'unfoldDepthFirst',
           'installTerminationHandlers', 'wallclock']
__version__ = '3.3.0'

import collections
import errno
import heapq
import importlib.util
import itertools
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import traceback
import types
import weakref
from math import sqrt
from multiprocessing import cpu_count

try:
    import psutil
except ImportError:  # Memory measurement and balancing are off without it (said once per pool)
    psutil = None

# === Tunables ==========================================================================================
# Module-level knobs of the original, kept with their names; tests patch them with mock.patch.object.

# Measure the memory of the jobs and balance the workers under memory limits; needs psutil
_LIMIT_WORKERS_RAM = psutil is not None
# Terminate (or cancel) the heavier jobs of the same category when a job violates its timeout or memory
_CHAINED_CONSTRAINTS = True
# The Web UI (mpewui) can be served: bottle is importable; checked without importing it
_WEBUI = importlib.util.find_spec('bottle') is not None
# Physical RAM in GB and the part of it the pool may target (2% + 256 MB are left to the OS)
_RAM_SIZE = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024.**3
_RAM_LIMIT = _RAM_SIZE * 0.98 - 0.25
# Kept for compatibility: the original pinned jobs through this binary; this module pins them itself
_AFFINITYBIN = 'taskset'
# Tracing level: 0/False none, 1 brief, 2 detailed, 3 in-cycle; truthy also sends info messages to stderr
_DEBUG_TRACE = False

# === Small helpers: time, units, formatting, callbacks =================================================


def timeheader(timestamp=None):
	"""A timestamp header line for logs: '# ----- 2024-01-31 12:00:00 -----...'

	timestamp: time.struct_time  - the time to show, now (UTC) by default
	"""
	if timestamp is None:
		timestamp = time.gmtime()
	elif not isinstance(timestamp, time.struct_time):
		raise TypeError('timestamp must be a time.struct_time, not {!r}'.format(timestamp))
	return time.strftime('# ----- %Y-%m-%d %H:%M:%S ' + '-' * 30, timestamp)


def secondsToHms(seconds):
	"""Split seconds into (hours: int, minutes: int, seconds: float), e.g. 3725.5 -> (1, 2, 5.5)"""
	if seconds < 0:
		raise ValueError('seconds must be >= 0, not {!r}'.format(seconds))
	hours = int(seconds // 3600)
	mins = int((seconds - hours * 3600) // 60)
	return hours, mins, seconds - hours * 3600 - mins * 60


def inGigabytes(nbytes):
	"""Bytes to GB (GiB)"""
	return nbytes / 1024.**3


def inBytes(gb):
	"""GB (GiB) to bytes, a float"""
	return gb * 1024.**3


def ramfracs(fracsize):
	"""How many fractions of fracsize GB fit into the physical RAM, e.g. to size a pool by RAM"""
	if not fracsize > 0:
		raise ValueError('fracsize must be a positive number of GB, not {!r}'.format(fracsize))
	return int(_RAM_SIZE / fracsize)


# perf_counter() and time() read together once: turns the pool's perf_counter stamps into wall-clock times
_CLOCK_ORIGIN = time.time() - time.perf_counter()


def wallclock(tperf):
	"""The wall-clock (epoch) time of a time.perf_counter() reading such as Job.tstart, None stays None"""
	return None if tperf is None else _CLOCK_ORIGIN + tperf


def tblfmt(v, strpad=0):
	"""A table cell: floats with 3 decimals, None as '-', other values as str, right-justified to strpad"""
	if isinstance(v, float):
		return '{:.3f}'.format(v)
	if v is None:
		v = '-'
	elif isinstance(v, bool):
		v = str(int(v))
	elif not isinstance(v, str):
		v = str(v)
	return v.rjust(strpad)


def _infomsg(*args):
	"""An informational console message: stdout, or stderr when tracing"""
	print(*args, file=sys.stderr if _DEBUG_TRACE else sys.stdout)


def _warnmsg(*args):
	"""A warning or error message: always stderr"""
	print(*args, file=sys.stderr)


def applyCallback(callback, owner):
	"""Call callback() and report (not raise) an Exception it raises, naming the callback and its owner

	return  - True when the callback succeeded, False when it raised
	"""
	try:
		callback()
	except Exception as err:  # A user callback never takes the pool down
		_warnmsg('ERROR in the {} callback of "{}": {}. {}'.format(getattr(callback, '__name__', callback)
			, owner, err, ''.join(traceback.format_exc(5))))
		return False
	return True


def _bindCallback(callback, owner, pname):
	"""Bind a user callback to its owner, so that it is called with the owner as its only argument"""
	if callback is None:
		return None
	if not callable(callback):
		raise TypeError('{} must be callable or None, not {!r}'.format(pname, callback))
	return types.MethodType(callback, owner)

# === CPU topology ======================================================================================
# Computed from /sys/devices/system/{cpu,node} and the CPUs this process may use; no external programs.


def cpucorethreads():
	"""The number of hardware threads per CPU core"""
	return 1  # TODO(affinity issue): sysfs topology


def cpunodes():
	"""The number of NUMA nodes with CPUs"""
	return 1  # TODO(affinity issue): sysfs topology


def cpusequential(ncpunodes=None):
	"""Whether the logical CPUs are enumerated sequentially (a core's threads adjacent) rather than across nodes"""
	return True  # TODO(affinity issue): sysfs topology


class AffinityMask(object):
	"""CPU groups for the worker slots of a pool (see the affinity issue)"""
	CPUS = len(os.sched_getaffinity(0))
	NODES = 1
	CORE_THREADS = 1
	CORES = CPUS
	NODE_CPUS = CPUS
	SEQUENTIAL = True

	def __init__(self, afnstep, first=True, sequential=None):
		self.afnstep = int(afnstep)
		self.first = first
		self.sequential = sequential

	def cpus(self, i):
		"""The set of logical CPUs of worker slot i"""
		return {i * self.afnstep} if self.first else set(range(i * self.afnstep, (i + 1) * self.afnstep))

	def __call__(self, i):
		"""The CPU list of worker slot i as a string for `taskset -c`, e.g. '0-1,16-17'"""
		return ','.join(str(c) for c in sorted(self.cpus(i)))

# === Reporting data model: snapshots of jobs and tasks for the failure report and the Web UI ==========
# (JobInfo, TaskInfo, infodata, tasksInfoExt, ... ; see SPEC §1.5) -- written with the core

# === Task ==============================================================================================


class Task(object):
	"""A group of jobs and subtasks (core issue)"""

# === Job ===============================================================================================


class Job(object):
	"""An external program to run in the pool (core issue)"""

# === ExecPool ==========================================================================================


class ExecPool(object):
	"""The execution pool (core issue)"""

# === Web UI snapshots ==================================================================================
# What the pool publishes for mpewui (Web UI issue)
# The pool calls uiSnapshot(self) in its own thread at most every _UI_PERIOD s and hands the result to
# WebUiApp.publish(); the HTTP threads only read snapshots. A snapshot copies what the UI shows, in a few
# cheap passes (about 1 ms per 1,000 queued jobs); JobInfo records of finished jobs are immutable and
# shared, and all the formatting and filtering happens in the HTTP thread.

# Queued jobs copied into a snapshot (the UI lists at most lim of them); the queue length is always exact
_UI_QUEUE_MAX = 10000

UiJob = collections.namedtuple('UiJob', 'name task category size timeout pid tstart mem mempeak memkind wslot')
"""A running or queued job in a UI snapshot (task: the owner Task object; times: perf_counter; memory: GB)"""

UiTask = collections.namedtuple('UiTask', 'name task tstart tstop numadded numdone numterm')
"""A task in a UI snapshot (task: the owner Task object)"""

UiSnapshot = collections.namedtuple('UiSnapshot', 'name alive wkslim memlimit tstart tend tsnap clock0 jobsdone'
	' running queued queuelen failures history tasks taskreg memtrace memjobs')
"""The state of a pool published for the Web UI (all tuples and dicts owned by the snapshot):
name, alive, wkslim, memlimit (GB)  - the pool's settings and state
tstart, tend, tsnap  - perf_counter: the pool's _tstart, the snapshot time when the pool is idle (else
	None), the snapshot time
clock0  - wallclock(0.): adds to a perf_counter stamp to give an epoch time
jobsdone  - successfully completed jobs
running, queued  - tuples of UiJob; queued holds the first _UI_QUEUE_MAX of queuelen queued jobs
failures, history  - tuples of JobInfo (failed jobs; finished jobs, newest last)
tasks  - dict Task -> UiTask of the registered tasks, the tasks of running and queued jobs and their owners
taskreg  - tuple of the pool's registered tasks
memtrace  - tuple of the pool's (perf_counter, jobs_mem_GB, free_ram_GB) samples
memjobs  - current memory of the running jobs, GB
"""


def _uiTaskInfo(task):
	"""The UiTask of a Task"""
	return UiTask(task.name, task.task, task.tstart, task.tstop, task.numadded, task.numdone, task.numterm)


def uiSnapshot(pool):
	"""An immutable snapshot of pool for the Web UI (see UiSnapshot); cheap enough for a few calls per second"""
	tsnap = time.perf_counter()
	running = tuple(UiJob(j.name, j.task, j.category, j.size, j.timeout, getattr(j.proc, 'pid', None)
		, j.tstart, j.mem, getattr(j, 'mempeak', None), j.memkind, getattr(j, 'wslot', None))
		for j in tuple(pool._workers))
	jobs = pool._jobs
	queuelen = len(jobs)
	qjobs = tuple(itertools.islice(jobs, _UI_QUEUE_MAX)) if queuelen > _UI_QUEUE_MAX else tuple(jobs)
	queued = tuple([UiJob(j.name, j.task, j.category, j.size, j.timeout, None, None, j.mem, None, j.memkind
		, None) for j in qjobs])
	taskreg = tuple(pool.tasks)
	tasks = {}
	pending = set(taskreg)
	pending.update(j.task for j in running)
	pending.update(j.task for j in queued)
	pending.discard(None)
	while pending:  # The tasks and all their owners, each read once
		task = pending.pop()
		if task in tasks:
			continue
		tasks[task] = _uiTaskInfo(task)
		if task.task is not None and task.task not in tasks:
			pending.add(task.task)
	memjobs = 0.
	for j in running:
		memjobs += j.mem or 0.
	return UiSnapshot(pool.name, bool(pool.alive), pool._wkslim, pool.memlimit, pool._tstart
		, None if running or queuelen else tsnap, tsnap, wallclock(0.), pool.jobsdone, running, queued
		, queuelen, tuple(pool.failures), tuple(getattr(pool, '_history', ())), tasks
		, taskreg, tuple(getattr(pool, '_memtrace', ())), memjobs)

# === Command line ======================================================================================
# `mpepool` / `python -m mpepool` (command-line issue)
